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
    /// Provider agreements (of `dataset` only, when given) under which a data-plane request has
    /// begun, newest first: the only consumers who can hold a delivered copy, so the only
    /// candidates a leaked file's watermark is compared with.
    func deliveredAgreements(dataset: String?, limit: Int) async throws -> [ContractAgreement]

    func insertTransfer(_ transfer: TransferProcess) async throws
    func transfer(id: String) async throws -> TransferProcess?
    func updateTransfer(id: String, _ change: @Sendable (inout TransferProcess) throws -> Void) async throws -> TransferProcess
    /// Compare-and-swap on `transfer.revision`, as `replaceNegotiation`.
    func replaceTransfer(_ transfer: TransferProcess) async throws -> TransferProcess
    func transfers(agreementID: String?, limit: Int) async throws -> [TransferProcess]
    /// Provider side: inserts a started transfer, numbered after those already started under its
    /// agreement, and reserves its delivery — if `admit(nextDelivery)` allows it (the number the
    /// delivery would have: deliveries reserved or complete so far + 1); all in one transaction.
    func insertNumberedTransfer(_ transfer: TransferProcess, admit: @Sendable (Int) throws -> Void) async throws -> TransferProcess

    /// Provider side, at each data-plane request: joins the transfer's delivery (reserved when the
    /// transfer was accepted; repeats and continuations join the same one), if `admit(usesBefore)`
    /// allows it — time limits are checked at every request. Throws `DeliveryUnavailable` when
    /// the delivery was released (the transfer ended).
    func beginDelivery(agreementID: String, transferID: String, at: Date, admit: @Sendable (_ uses: Int) throws -> Void) async throws -> DeliverySlot
    /// Ends a request's part of a delivery: adds its bytes and, if it streamed the whole file
    /// and the delivery was only reserved, consumes it — with the request's usage record and its
    /// evidence (`transfer.delivered`, marked `consumed`), all in one transaction. True when this
    /// request consumed the use.
    @discardableResult
    func endDelivery(_ slot: DeliverySlot, bytes: Int64, complete: Bool, at: Date, usage: UsageRecord?, evidence: [EvidenceEvent]) async throws -> Bool
    /// The deliveries an agreement holds and has used (both roles' APIs and the operator pages show these).
    func deliveryCounts(agreementID: String) async throws -> DeliveryCounts
    /// Every delivery of an agreement, for reconciliation with the consumer.
    func deliveries(agreementID: String) async throws -> [DeliveryRecord]
    /// One transfer's delivery, whether a request is streaming it, and its last activity.
    func delivery(transferID: String) async throws -> (record: DeliveryRecord, streaming: Bool, updatedAt: Date)?
    /// At start-up: requests that were streaming when the process stopped are not streaming now.
    func releaseStreamingDeliveries() async throws
    /// Transfers still open (requested, started, suspended) whose last change is before `cutoff`.
    func openTransfers(updatedBefore cutoff: Date, limit: Int) async throws -> [TransferProcess]

    /// Ids of negotiations and transfers with an undelivered message, to resume after a restart.
    func pendingOutboxes() async throws -> (negotiations: [String], transfers: [String])
    /// Takes (or renews) the right to deliver a process's queued messages until `until`: true
    /// unless another owner holds a claim that has not expired at `now`. Replicas sharing a store
    /// thus deliver each message from one place at a time; a replica that dies loses its claims
    /// when they expire and another takes them over.
    func claimOutbox(_ kind: ProcessKind, id: String, owner: String, now: Date, until: Date) async throws -> Bool
    /// Gives a claim up (the owner delivered everything queued).
    func releaseOutbox(_ kind: ProcessKind, id: String, owner: String) async throws

    func usage(agreementID: String?) async throws -> [UsageRecord]
}

/// A negotiation or a transfer process (the two things with outboxes).
public enum ProcessKind: String, Sendable, Hashable {
    case negotiation, transfer
}

/// Where a consumer keeps the provider receipts (c2sp.org/tlog-proof) it verified for its transfers.
public protocol DeliveryReceiptStore: Sendable {
    func saveDeliveryReceipt(transferID: String, index: UInt64, receipt: String) async throws
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
