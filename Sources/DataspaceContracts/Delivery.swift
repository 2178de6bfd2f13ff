import Foundation

/// One delivery of an agreement's data (docs/policies.md, "What counts as a delivery"): reserved
/// when a data-plane request starts a new copy, complete when a request of it has streamed the
/// last byte. Reserved deliveries count against `count` from the moment they start, so requests
/// racing for the last permitted delivery can never both get it; a delivery that broke off stays
/// open and the consumer continues it (with `Range`, or from the start) without using another.
public struct DeliverySlot: Sendable, Hashable {
    public var agreementID: String
    public var transferID: String
    /// 1-based position among the agreement's deliveries: the `count` it uses.
    public var number: Int
    /// The request continues a delivery that broke off rather than starting a new one.
    public var continued: Bool

    public init(agreementID: String, transferID: String, number: Int, continued: Bool) {
        self.agreementID = agreementID
        self.transferID = transferID
        self.number = number
        self.continued = continued
    }
}

/// How many deliveries an agreement has used: every reserved one counts; `complete` of them
/// reached their last byte.
public struct DeliveryCounts: Sendable, Hashable {
    public var reserved: Int
    public var complete: Int

    public init(reserved: Int, complete: Int) {
        self.reserved = reserved
        self.complete = complete
    }
}
