import DataspaceCore
import Foundation

/// What negotiations and transfer processes share as DSP processes with an outbox: the two
/// process ids, the queue of undelivered messages, and a terminal state to fall back to.
public protocol ContractProcess: Sendable {
    var providerPid: String? { get set }
    var consumerPid: String? { get set }
    var counterparty: String { get }
    var queue: [OutgoingMessage] { get set }
    var reasons: [String] { get set }
    var updatedAt: Date { get set }
    /// Ends the process on this side without a message (the other party refused ours).
    mutating func terminateLocally()
}

/// How delivering the first queued message went.
public enum DeliveryOutcome: Sendable {
    /// The other party acknowledged it; its reply, if JSON.
    case delivered(JSONValue?)
    /// It answered with a refusal (4xx), for these reasons.
    case refused([String])
    /// Network failure or a temporary error; try again later.
    case retry(String)
}

extension ContractProcess {
    /// Records the outcome of sending `sent`, unless the queue moved on meanwhile.
    public mutating func settle(_ sent: OutgoingMessage, _ outcome: DeliveryOutcome, now: Date) {
        guard queue.first?.body == sent.body else { return }
        switch outcome {
        case .delivered(let reply):
            queue.removeFirst()
            // An opening message learns the other side's process id from the answer.
            if providerPid == nil, let pid = reply?["providerPid"]?.stringValue { providerPid = pid }
            if consumerPid == nil, let pid = reply?["consumerPid"]?.stringValue { consumerPid = pid }
        case .refused(let why):
            queue.removeAll()
            terminateLocally()
            reasons = why
        case .retry(let why):
            queue[0].attempts += 1
            queue[0].lastError = why
        }
        updatedAt = now
    }
}

extension ContractNegotiation: ContractProcess {
    public mutating func terminateLocally() { if !state.isTerminal { state = .terminated } }
}

extension TransferProcess: ContractProcess {
    public mutating func terminateLocally() { if !state.isTerminal { state = .terminated } }
}
