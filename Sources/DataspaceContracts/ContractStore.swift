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
    func negotiations(limit: Int) async throws -> [ContractNegotiation]

    /// Stores the agreement and the negotiation change that produced it in one transaction.
    func saveAgreement(_ agreement: ContractAgreement, negotiationID: String, _ change: @Sendable (inout ContractNegotiation) throws -> Void) async throws
        -> ContractNegotiation
    func agreement(id: String) async throws -> ContractAgreement?
    func agreements(limit: Int) async throws -> [ContractAgreement]

    func insertTransfer(_ transfer: TransferProcess) async throws
    func transfer(id: String) async throws -> TransferProcess?
    func updateTransfer(id: String, _ change: @Sendable (inout TransferProcess) throws -> Void) async throws -> TransferProcess
    func transfers(agreementID: String?, limit: Int) async throws -> [TransferProcess]
    /// Provider side: inserts a started transfer numbered after those already started under its
    /// agreement, if `admit(nextSequence)` allows it; both in one transaction so two concurrent
    /// requests can never both take the last permitted delivery.
    func insertNumberedTransfer(_ transfer: TransferProcess, admit: @Sendable (Int) throws -> Void) async throws -> TransferProcess

    /// Ids of negotiations and transfers with an undelivered message, to resume after a restart.
    func pendingOutboxes() async throws -> (negotiations: [String], transfers: [String])

    func recordUsage(_ usage: UsageRecord) async throws
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
