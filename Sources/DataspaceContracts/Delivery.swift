import Foundation

/// Where a transfer's delivery stands (docs/policies.md, "What counts as a delivery").
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
    /// Held for an accepted transfer: counts against `count` (so racing transfers cannot exceed
    /// it) but is not yet used.
    case reserved
    /// The whole file has streamed once: the use is consumed. Repeats and continuations within
    /// the same transfer do not use another.
    case complete
    /// The transfer ended (terminated, timed out) before the file streamed whole: nothing used.
    case released
}

/// One data-plane request's share of a transfer's delivery.
public struct DeliverySlot: Sendable, Hashable {
    public var agreementID: String
    public var transferID: String
    /// 1-based position among the agreement's deliveries when it was reserved: the `count` it uses.
    public var number: Int
    /// The request continues or repeats a delivery that had already sent bytes.
    public var continued: Bool

    public init(agreementID: String, transferID: String, number: Int, continued: Bool) {
        self.agreementID = agreementID
        self.transferID = transferID
        self.number = number
        self.continued = continued
    }
}

/// How many deliveries an agreement has: `reserved` are held by open transfers, `complete` are
/// used. A `count` limit applies to both together (`used`).
public struct DeliveryCounts: Sendable, Hashable {
    public var reserved: Int
    public var complete: Int

    public init(reserved: Int, complete: Int) {
        self.reserved = reserved
        self.complete = complete
    }

    /// What a `count` limit is checked against.
    public var used: Int { reserved + complete }
}

/// A provider's record of one transfer's delivery, as the reconciliation shows it.
public struct DeliveryRecord: Sendable, Hashable {
    public var transferID: String
    public var agreementID: String
    public var number: Int
    public var state: DeliveryState
    /// Bytes sent by every request of it, repeats included.
    public var bytes: Int64
    public var requests: Int
    public var reservedAt: Date
    public var completedAt: Date?

    public init(
        transferID: String, agreementID: String, number: Int, state: DeliveryState, bytes: Int64, requests: Int, reservedAt: Date, completedAt: Date?
    ) {
        self.transferID = transferID
        self.agreementID = agreementID
        self.number = number
        self.state = state
        self.bytes = bytes
        self.requests = requests
        self.reservedAt = reservedAt
        self.completedAt = completedAt
    }
}

/// A data-plane request for a transfer whose delivery was released (the transfer ended) or never
/// reserved.
public struct DeliveryUnavailable: Error, Sendable, CustomStringConvertible {
    public let transferID: String
    public init(transferID: String) { self.transferID = transferID }
    public var description: String { "transfer \(transferID) has no open delivery (it ended or timed out); request a new transfer" }
}
