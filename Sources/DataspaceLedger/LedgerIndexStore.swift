import DataspaceCore
import Foundation

/// One indexed log entry: where it is, what kind of event, when, and what it is about.
public struct LedgerEntryRow: Sendable, Equatable {
    public let index: UInt64
    public let type: String
    public let time: Int64
    public let ref: String?
    /// The pending-evidence row the entry was appended from, if any.
    public let evidenceID: Int64?

    public init(index: UInt64, type: String, time: Int64, ref: String?, evidenceID: Int64? = nil) {
        self.index = index
        self.type = type
        self.time = time
        self.ref = ref
        self.evidenceID = evidenceID
    }
}

/// An event queued with its state change, not yet in the log.
public struct PendingEvidence: Sendable, Equatable {
    public let id: Int64
    public let event: EvidenceEvent
    public let queuedAt: Date

    public init(id: Int64, event: EvidenceEvent, queuedAt: Date) {
        self.id = id
        self.event = event
        self.queuedAt = queuedAt
    }
}

/// The ledger's side tables in a node's store: evidence queued by state changes (in their
/// transactions), the index of appended entries by type and reference (rebuilt from the log
/// if a crash lost rows), what this node as a witness last cosigned for each log, and the
/// receipts a consumer kept for its deliveries.
public protocol LedgerIndexStore: Sendable {
    /// Indexes appended entries and removes the pending evidence they came from, in one
    /// transaction, so each queued event is appended exactly once. With `epoch`, only while it is
    /// still the sequencer's (`LogSequencerStore`); a sequencer that was replaced gets
    /// `SequencerFenced` and writes nothing.
    func indexLedgerEntries(_ rows: [LedgerEntryRow], epoch: Int64?) async throws
    /// Queues events that record no change of the store's own (state changes queue theirs in
    /// their own transaction), in one transaction.
    func queueEvidence(_ events: [EvidenceEvent]) async throws
    /// The oldest queued events, in the order they were queued.
    func pendingEvidence(limit: Int) async throws -> [PendingEvidence]
    func pendingEvidenceCount() async throws -> Int
    /// The number of entries indexed from the start without a gap (entries are indexed in order).
    func ledgerIndexedCount() async throws -> UInt64
    /// Entries after `after` (exclusive), optionally of one type and from a time on, oldest first.
    func ledgerEntries(type: String?, since: Int64?, after: UInt64?, limit: Int) async throws -> [LedgerEntryRow]
    /// Entries recorded about `ref` (a transfer, agreement, product …), oldest first.
    func ledgerEntries(ref: String, type: String?) async throws -> [LedgerEntryRow]
    /// Runs a witness's checks against its record of `origin` and stores the new record, in one
    /// transaction, so two concurrent submissions cannot roll the record back (tlog-witness).
    func witness<T: Sendable>(origin: String, _ body: @escaping @Sendable (Witness.Record?) throws -> (Witness.Record, T)) async throws -> T
    /// What this witness last cosigned for each log.
    func witnessedLogs() async throws -> [(origin: String, size: UInt64, root: String, updatedAt: Date)]
    /// The receipts a consumer kept for a transfer's deliveries.
    func deliveryReceipts(transferID: String) async throws -> [(index: UInt64, receipt: String)]
}

/// Where replicas sharing a store elect the evidence log's sequencer: at most one process holds
/// the role at a time, each holder gets a higher epoch than any before, and a holder whose
/// session ends (its process died) loses the role at once.
public protocol LogSequencerStore: Sendable {
    /// Runs `body` as the sequencer, with its epoch, if no other process holds the role; returns
    /// nil at once if one does. The role ends when `body` returns, or — cancelling `body` — when
    /// the session holding it breaks.
    func whileSequencer<T: Sendable>(holder: String, _ body: @escaping @Sendable (Int64) async throws -> T) async throws -> T?
}

/// A write by a sequencer that another has replaced since (its epoch is stale).
public struct SequencerFenced: Error, Sendable, CustomStringConvertible {
    public let epoch: Int64
    public let current: Int64
    public init(epoch: Int64, current: Int64) {
        self.epoch = epoch
        self.current = current
    }
    public var description: String { "this replica's sequencer epoch \(epoch) was superseded by \(current)" }
}

extension LedgerIndexStore {
    public func indexLedgerEntries(_ rows: [LedgerEntryRow]) async throws { try await indexLedgerEntries(rows, epoch: nil) }

    public func ledgerEntries(ref: String) async throws -> [LedgerEntryRow] { try await ledgerEntries(ref: ref, type: nil) }
}
