import DataspaceCore
import Foundation

/// One transfer process as this node sees it.
public struct TransferProcess: Sendable, Hashable {
    public var id: String
    public var role: ContractRole
    public var providerPid: String?
    public var consumerPid: String?
    public var agreementID: String
    public var dataset: String
    public var state: TransferState
    public var counterparty: String
    public var counterpartyAddress: String
    public var format: String
    /// Consumer side: where and with which token to pull; provider side: the token's id.
    public var dataAddress: DataAddress?
    /// Provider side: which delivery under the agreement this is (1-based), for count limits.
    public var sequence: Int?
    /// Provider side: the blob delivered and its digest.
    public var sha256: String?
    public var byteSize: Int64?
    public var rowCount: Int64?
    public var mediaType: String?
    /// Provider side: the consumer's membership credential when it asked, re-checked for
    /// revocation at every data-plane request.
    public var credentialID: String?
    public var credentialIssuer: String?
    public var reasons: [String]
    public var createdAt: Date
    public var updatedAt: Date
    /// Messages accepted for the other party but not yet acknowledged, delivered in order.
    public var queue: [OutgoingMessage]
    /// The next message to deliver.
    public var outbox: OutgoingMessage? { queue.first }
    /// Digest of the last message the other party delivered, so a redelivered message (the
    /// sender retrying after a lost acknowledgement) is acknowledged again without effect.
    public var lastInbound: String?
    /// Bumped by the store at every write; a write from a stale copy (another transition got in
    /// first) fails its compare-and-swap instead of overwriting the newer state.
    public var revision = 0

    public init(
        id: String, role: ContractRole, providerPid: String?, consumerPid: String?, agreementID: String, dataset: String, state: TransferState,
        counterparty: String, counterpartyAddress: String, format: String, now: Date = Date()
    ) {
        self.id = id
        self.role = role
        self.providerPid = providerPid
        self.consumerPid = consumerPid
        self.agreementID = agreementID
        self.dataset = dataset
        self.state = state
        self.counterparty = counterparty
        self.counterpartyAddress = counterpartyAddress
        self.format = format
        dataAddress = nil
        sequence = nil
        sha256 = nil
        byteSize = nil
        rowCount = nil
        mediaType = nil
        credentialID = nil
        credentialIssuer = nil
        reasons = []
        createdAt = now
        updatedAt = now
        queue = []
        lastInbound = nil
    }

    public mutating func apply(_ event: TransferEvent, from sender: ContractRole, now: Date) throws(TransitionError) {
        state = try TransferStateMachine.next(state, on: event, from: sender)
        updatedAt = now
    }
}

/// An HTTP pull endpoint and its bearer token.
public struct DataAddress: Sendable, Hashable {
    public var endpoint: String
    public var token: String
    public var expiresAt: Date?

    public init(endpoint: String, token: String, expiresAt: Date?) {
        self.endpoint = endpoint
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// One delivery by the data plane: what was sent under which agreement, for billing and audit.
public struct UsageRecord: Sendable, Hashable {
    public var agreementID: String
    public var transferID: String
    public var consumer: String
    public var dataset: String
    public var at: Date
    public var bytes: Int64
    /// Rows delivered, when the whole file was delivered (a byte range has no row count).
    public var rows: Int64?
    public var rangeStart: Int64
    public var complete: Bool
    /// SHA-256 of the file the bytes came from.
    public var sha256: String

    public init(
        agreementID: String, transferID: String, consumer: String, dataset: String, at: Date, bytes: Int64, rows: Int64?, rangeStart: Int64,
        complete: Bool, sha256: String
    ) {
        self.agreementID = agreementID
        self.transferID = transferID
        self.consumer = consumer
        self.dataset = dataset
        self.at = at
        self.bytes = bytes
        self.rows = rows
        self.rangeStart = rangeStart
        self.complete = complete
        self.sha256 = sha256
    }
}

/// Data-plane usage of one agreement, summed over its usage records (what billing will price).
public struct AgreementUsage: Sendable, Hashable {
    public var agreementID: String
    public var requests = 0
    public var completeDeliveries = 0
    public var bytes: Int64 = 0
    public var rows: Int64 = 0

    /// Totals per agreement, ordered by agreement id.
    public static func summarize(_ records: [UsageRecord]) -> [AgreementUsage] {
        var totals: [String: AgreementUsage] = [:]
        for r in records {
            var u = totals[r.agreementID] ?? AgreementUsage(agreementID: r.agreementID)
            u.requests += 1
            u.completeDeliveries += r.complete ? 1 : 0
            u.bytes += r.bytes
            u.rows += r.rows ?? 0
            totals[r.agreementID] = u
        }
        return totals.values.sorted { $0.agreementID < $1.agreementID }
    }
}
