import DataspaceCore
import DataspaceLedger
import Foundation
import PostgresNIO

/// Evidence queued with the state change it records, in the change's transaction; the index of
/// appended entries; the witness's records; consumers' receipts (docs/ledger.md).
extension PostgresStore: LedgerIndexStore {
    /// Queues events inside the caller's transaction. The sequencer (whichever replica it is)
    /// looks for queued evidence every few milliseconds; a NOTIFY per event would serialize
    /// every commit on PostgreSQL's notification lock.
    func queue(_ events: [EvidenceEvent], on db: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        for event in events {
            try await db.run(
                "INSERT INTO pending_evidence (kind, fields, queued_at) VALUES (\(event.kind), \(JSONValue.object(event.fields).encodedString()), \(now))",
                logger: logger)
        }
    }

    /// One statement (atomic by itself), so one round trip for any number of events.
    public func queueEvidence(_ events: [EvidenceEvent]) async throws {
        guard !events.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        let kinds = events.map(\.kind)
        let fields = events.map { JSONValue.object($0.fields).encodedString() }
        try await rows(
            """
            INSERT INTO pending_evidence (kind, fields, queued_at)
            SELECT k, f, \(now) FROM unnest(\(kinds)::text[], \(fields)::text[]) WITH ORDINALITY AS u(k, f, n) ORDER BY n
            """)
    }

    public func pendingEvidence(limit: Int) async throws -> [PendingEvidence] {
        try await rows("SELECT id, kind, fields, queued_at FROM pending_evidence ORDER BY id LIMIT \(limit)").map { row in
            let (id, kind, fields, queuedAt) = try row.decode((Int64, String, String, Double).self)
            let object = (try? JSONValue.parse(fields))?.objectValue ?? [:]
            return PendingEvidence(id: id, event: EvidenceEvent(kind: kind, fields: object), queuedAt: Date(timeIntervalSince1970: queuedAt))
        }
    }

    public func pendingEvidenceCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM pending_evidence").first?.decode(Int64.self) ?? 0)
    }

    public func indexLedgerEntries(_ entries: [LedgerEntryRow], epoch: Int64?) async throws {
        try await transaction { db in
            if let epoch {
                // The fence: the row lock orders this against a successor's epoch bump.
                let current = try await db.rows("SELECT epoch FROM ledger_sequencer WHERE singleton = 1 FOR UPDATE", logger: logger).first?
                    .decode(Int64.self) ?? 0
                guard current == epoch else { throw SequencerFenced(epoch: epoch, current: current) }
            }
            // One statement for the batch (arrays unnested), not one per entry; empty refs and
            // -1 evidence ids stand for none.
            let usable = entries.filter { Int64(exactly: $0.index) != nil }
            guard !usable.isEmpty else { return }
            let indices = usable.map { Int64(clamping: $0.index) }
            let types = usable.map(\.type)
            let times = usable.map(\.time)
            let refs = usable.map { $0.ref ?? "" }
            let evidence = usable.map { $0.evidenceID ?? -1 }
            try await db.run(
                """
                INSERT INTO ledger_entry (idx, type, time, ref, evidence_id)
                SELECT i, t, tm, NULLIF(r, ''), NULLIF(e, -1)
                FROM unnest(\(indices)::bigint[], \(types)::text[], \(times)::bigint[], \(refs)::text[], \(evidence)::bigint[]) AS u(i, t, tm, r, e)
                ON CONFLICT (idx) DO UPDATE SET type = excluded.type, time = excluded.time, ref = excluded.ref, evidence_id = excluded.evidence_id
                """, logger: logger)
            let done = evidence.filter { $0 >= 0 }
            if !done.isEmpty { try await db.run("DELETE FROM pending_evidence WHERE id = ANY(\(done)::bigint[])", logger: logger) }
        }
    }

    public func ledgerIndexedCount() async throws -> UInt64 {
        UInt64(clamping: try await rows("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry").first?.decode(Int64.self) ?? 0)
    }

    static func entry(_ row: PostgresRow) throws -> LedgerEntryRow {
        let (idx, type, time, ref) = try row.decode((Int64, String, Int64, String?).self)
        return LedgerEntryRow(index: UInt64(clamping: idx), type: type, time: time, ref: ref)
    }

    public func ledgerEntries(type: String?, since: Int64?, after: UInt64?, limit: Int) async throws -> [LedgerEntryRow] {
        let after = after.map { Int64(clamping: $0) } ?? -1
        // NULL filters match everything; one statement whatever the caller filters by.
        return try await rows(
            """
            SELECT idx, type, time, ref FROM ledger_entry
            WHERE idx > \(after) AND (\(type)::text IS NULL OR type = \(type)) AND (\(since)::bigint IS NULL OR time >= \(since))
            ORDER BY idx LIMIT \(limit)
            """
        ).map(Self.entry)
    }

    public func ledgerEntries(ref: String, type: String?) async throws -> [LedgerEntryRow] {
        try await rows(
            "SELECT idx, type, time, ref FROM ledger_entry WHERE ref = \(ref) AND (\(type)::text IS NULL OR type = \(type)) ORDER BY idx"
        ).map(Self.entry)
    }

    public func witness<T: Sendable>(
        origin: String, _ body: @escaping @Sendable (Witness.Record?) throws -> (Witness.Record, T)
    ) async throws -> T {
        try await transaction { db in
            // The row lock (or, for a first record, the advisory lock) serializes submissions for one log.
            try await db.run("SELECT pg_advisory_xact_lock(\(Self.witnessLockSpace), hashtext(\(origin)))", logger: logger)
            let last = try await db.rows("SELECT size, root FROM witnessed_log WHERE origin = \(origin)", logger: logger).first.flatMap { row in
                let (size, root) = try row.decode((Int64, String).self)
                return MerkleHash(base64: root).map { Witness.Record(size: UInt64(clamping: size), root: $0) }
            }
            let (record, result) = try body(last)
            guard let size = Int64(exactly: record.size) else { throw PostgresStoreError.unreadable("witness record size") }
            try await db.run(
                """
                INSERT INTO witnessed_log (origin, size, root, updated_at) VALUES (\(origin), \(size), \(record.root.base64), \(Date().timeIntervalSince1970))
                ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, updated_at = excluded.updated_at
                """, logger: logger)
            return result
        }
    }

    static let witnessLockSpace: Int32 = 0x4454

    public func witnessedLogs() async throws -> [(origin: String, size: UInt64, root: String, updatedAt: Date)] {
        try await rows("SELECT origin, size, root, updated_at FROM witnessed_log ORDER BY origin").map { row in
            let (origin, size, root, updatedAt) = try row.decode((String, Int64, String, Double).self)
            return (origin, UInt64(clamping: size), root, Date(timeIntervalSince1970: updatedAt))
        }
    }
}
