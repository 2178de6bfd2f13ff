import DataspaceCore
import Foundation

/// Durable storage of negotiations, agreements, transfers and usage. Every `update` is a
/// read-modify-write in one transaction, so a state change and the message it queues are
/// persisted together before anything is acknowledged.
public protocol ContractStore: Sendable {
    /// Inserts a negotiation, with the agreement it already reached if any, in one transaction.
    func insertNegotiation(_ negotiation: ContractNegotiation, agreement: ContractAgreement?) async throws
    func negotiation(id: String) async throws -> ContractNegotiation?
    /// The provider-side negotiation a consumer started with `consumerPid` (idempotent requests).
    func providerNegotiation(consumer: String, consumerPid: String) async throws -> ContractNegotiation?
    /// Loads, changes and stores one negotiation atomically; returns the stored value.
    func updateNegotiation(id: String, _ change: @Sendable (inout ContractNegotiation) throws -> Void) async throws -> ContractNegotiation
    /// Stores `negotiation` (and the agreement it reached, if any) only if the stored copy still
    /// has `negotiation.revision` — compare-and-swap for a transition computed from a copy read
    /// earlier; a `ContractConflict` otherwise. Returns the stored value (next revision).
    func replaceNegotiation(_ negotiation: ContractNegotiation, agreement: ContractAgreement?) async throws -> ContractNegotiation
    func negotiations(limit: Int) async throws -> [ContractNegotiation]

    /// Stores the agreement and the negotiation change that produced it in one transaction.
    func saveAgreement(_ agreement: ContractAgreement, negotiationID: String, _ change: @Sendable (inout ContractNegotiation) throws -> Void) async throws
        -> ContractNegotiation
    func agreement(id: String) async throws -> ContractAgreement?
    func agreements(limit: Int) async throws -> [ContractAgreement]

    func insertTransfer(_ transfer: TransferProcess) async throws
    func transfer(id: String) async throws -> TransferProcess?
    func updateTransfer(id: String, _ change: @Sendable (inout TransferProcess) throws -> Void) async throws -> TransferProcess
    /// Compare-and-swap on `transfer.revision`, as `replaceNegotiation`.
    func replaceTransfer(_ transfer: TransferProcess) async throws -> TransferProcess
    func transfers(agreementID: String?, limit: Int) async throws -> [TransferProcess]
    /// Provider side: inserts a started transfer numbered after those already started under its
    /// agreement, if `admit(nextDelivery)` allows it (the number the next delivery would have,
    /// from the deliveries reserved so far); both in one transaction.
    func insertNumberedTransfer(_ transfer: TransferProcess, admit: @Sendable (Int) throws -> Void) async throws -> TransferProcess

    /// Provider side, at each data-plane request: continues the transfer's open delivery that no
    /// other request is streaming, or else reserves the agreement's next delivery if
    /// `admit(usesSoFar)` allows it — in one transaction, so concurrent requests never exceed a
    /// limit. `admit` is also asked (with the slot's own number − 1) for a continued delivery, so
    /// time limits still apply. The slot is marked as streaming until `endDelivery`.
    func beginDelivery(agreementID: String, transferID: String, at: Date, admit: @Sendable (_ uses: Int) throws -> Void) async throws -> DeliverySlot
    /// Ends a request's part of a delivery: adds its bytes, marks it complete if it streamed the
    /// last byte, and frees it for a continuation otherwise — with the request's usage record and
    /// its evidence (`transfer.delivered`), all in one transaction.
    func endDelivery(_ slot: DeliverySlot, bytes: Int64, complete: Bool, at: Date, usage: UsageRecord?, evidence: [EvidenceEvent]) async throws
    /// The deliveries an agreement has used (both roles' APIs and the operator pages show these).
    func deliveryCounts(agreementID: String) async throws -> DeliveryCounts
    /// At start-up: requests that were streaming when the process stopped are not streaming now.
    func releaseStreamingDeliveries() async throws

    /// Ids of negotiations and transfers with an undelivered message, to resume after a restart.
    func pendingOutboxes() async throws -> (negotiations: [String], transfers: [String])

    func usage(agreementID: String?) async throws -> [UsageRecord]
}

/// A negotiation, agreement or transfer that does not exist (or is not the caller's).
public struct ContractNotFound: Error, Sendable, CustomStringConvertible {
    public let kind: String
    public let id: String
    public init(_ kind: String, _ id: String) {
        self.kind = kind
        self.id = id
    }
    public var description: String { "no \(kind) \(id)" }
}

/// A write that would replace a record belonging to something else (an agreement id a peer
/// reused), or a transition that lost a race with another one (compare-and-swap failed).
public struct ContractConflict: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
