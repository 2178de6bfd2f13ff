/// DSP 2025-1 contract negotiation states.
public enum NegotiationState: String, Sendable, Codable, CaseIterable {
    case requested = "REQUESTED"
    case offered = "OFFERED"
    case accepted = "ACCEPTED"
    case agreed = "AGREED"
    case verified = "VERIFIED"
    case finalized = "FINALIZED"
    case terminated = "TERMINATED"

    public var isTerminal: Bool { self == .finalized || self == .terminated }
}

/// Which side of a negotiation or transfer this node plays.
public enum ContractRole: String, Sendable, Codable {
    case provider, consumer
}

/// The messages that move a negotiation, named by the state they lead to.
public enum NegotiationEvent: String, Sendable, Codable {
    case request, offer, accept, agree, verify, finalize, terminate

    /// Who may send it: consumers request, accept and verify; providers offer, agree and finalize;
    /// either side terminates.
    public func isSentBy(_ role: ContractRole) -> Bool {
        switch self {
        case .request, .accept, .verify: role == .consumer
        case .offer, .agree, .finalize: role == .provider
        case .terminate: true
        }
    }
}

/// A transition the protocol does not allow from the current state.
public struct TransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let from: String?
    public let event: String
    public let message: String
    public var description: String { message }

    public init(from: String?, event: String, message: String) {
        self.from = from
        self.event = event
        self.message = message
    }
}

/// The DSP 2025-1 negotiation state machine as a pure function, so every transition is tested
/// without HTTP or storage.
public enum NegotiationStateMachine {
    public static func next(_ state: NegotiationState?, on event: NegotiationEvent, from sender: ContractRole) throws(TransitionError) -> NegotiationState {
        guard event.isSentBy(sender) else {
            throw TransitionError(from: state?.rawValue, event: event.rawValue, message: "a \(sender.rawValue) cannot send '\(event.rawValue)'")
        }
        let target: NegotiationState? =
            switch (state, event) {
            case (nil, .request), (.offered?, .request): .requested
            case (nil, .offer), (.requested?, .offer): .offered
            case (.offered?, .accept): .accepted
            case (.requested?, .agree), (.accepted?, .agree): .agreed
            case (.agreed?, .verify): .verified
            case (.verified?, .finalize): .finalized
            case (let s?, .terminate) where !s.isTerminal: .terminated
            default: nil
            }
        guard let target else {
            throw TransitionError(
                from: state?.rawValue, event: event.rawValue,
                message: "cannot \(event.rawValue) a negotiation \(state.map { "in state \($0.rawValue)" } ?? "that does not exist yet")")
        }
        return target
    }
}

/// DSP 2025-1 transfer process states.
public enum TransferState: String, Sendable, Codable, CaseIterable {
    case requested = "REQUESTED"
    case started = "STARTED"
    case suspended = "SUSPENDED"
    case completed = "COMPLETED"
    case terminated = "TERMINATED"

    public var isTerminal: Bool { self == .completed || self == .terminated }
}

public enum TransferEvent: String, Sendable, Codable {
    case request, start, suspend, complete, terminate
}

/// The DSP 2025-1 transfer state machine as a pure function. Only the consumer requests; only the
/// provider starts a requested transfer, while either side may restart a suspended one.
public enum TransferStateMachine {
    public static func next(_ state: TransferState?, on event: TransferEvent, from sender: ContractRole) throws(TransitionError) -> TransferState {
        let target: TransferState? =
            switch (state, event, sender) {
            case (nil, .request, .consumer): .requested
            case (.requested?, .start, .provider): .started
            case (.suspended?, .start, _): .started
            case (.started?, .suspend, _): .suspended
            case (.started?, .complete, _), (.suspended?, .complete, _): .completed
            case (let s?, .terminate, _) where !s.isTerminal: .terminated
            default: nil
            }
        guard let target else {
            throw TransitionError(
                from: state?.rawValue, event: event.rawValue,
                message: "a \(sender.rawValue) cannot \(event.rawValue) a transfer \(state.map { "in state \($0.rawValue)" } ?? "that does not exist yet")")
        }
        return target
    }
}
