import DataspaceCore
import DataspaceLedger
import DataspaceContracts
import Foundation
import GRDB

/// The ledger's side tables. The log itself lives in tiles on disk; these index it by type and
/// reference (rebuilt from the log if a crash lost rows), hold what this node, as a witness,
/// last cosigned for each log, and the receipts a consumer received for its deliveries.
extension SQLiteStore {
    /// Indexes appended entries; the pending evidence they came from is removed in the same
    /// transaction, so each queued event is appended exactly once (after a crash between the
    /// append and this, the start-up reindex finds the entry and removes the row).
    /// One process uses an SQLite file, so there is no other sequencer to be fenced by.
    public func indexLedgerEntries(_ rows: [LedgerEntryRow], epoch: Int64?) async throws {
        try await writer.write { db in
            for row in rows {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO ledger_entry (idx, type, time, ref, evidence_id) VALUES (?, ?, ?, ?, ?)",
                    arguments: [Int64(row.index), row.type, row.time, row.ref, row.evidenceID])
                if let id = row.evidenceID { try db.execute(sql: "DELETE FROM pending_evidence WHERE id = ?", arguments: [id]) }
            }
        }
    }

    // MARK: pending evidence

    public func queueEvidence(_ events: [EvidenceEvent]) async throws {
        try await writer.write { db in try Self.queue(events, db: db) }
    }

    /// Queues events inside the caller's transaction.
    static func queue(_ events: [EvidenceEvent], db: Database) throws {
        for event in events {
            try db.execute(
                sql: "INSERT INTO pending_evidence (kind, fields, queued_at) VALUES (?, ?, ?)",
                arguments: [event.kind, JSONValue.object(event.fields).encodedString(), Date().timeIntervalSince1970])
        }
    }

    /// The oldest queued events, in the order they were queued.
    public func pendingEvidence(limit: Int) async throws -> [PendingEvidence] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, kind, fields, queued_at FROM pending_evidence ORDER BY id LIMIT ?", arguments: [limit]).map { row in
                let fields = (try? JSONValue.parse(row["fields"] as String))?.objectValue ?? [:]
                return PendingEvidence(
                    id: row["id"], event: EvidenceEvent(kind: row["kind"], fields: fields), queuedAt: Date(timeIntervalSince1970: row["queued_at"]))
            }
        }
    }

    public func pendingEvidenceCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending_evidence") ?? 0 }
    }

    /// The number of entries indexed from the start without a gap (entries are indexed in order).
    public func ledgerIndexedCount() async throws -> UInt64 {
        try await writer.read { db in
            UInt64(try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry") ?? 0)
        }
    }

    /// Entries after `after` (exclusive), optionally of one type and from a time on, oldest first.
    public func ledgerEntries(type: String?, since: Int64?, after: UInt64?, limit: Int) async throws -> [LedgerEntryRow] {
        try await writer.read { db in
            var sql = "SELECT idx, type, time, ref FROM ledger_entry WHERE idx > ?"
            var arguments: StatementArguments = [after.map { Int64($0) } ?? -1]
            if let type {
                sql += " AND type = ?"
                arguments += [type]
            }
            if let since {
                sql += " AND time >= ?"
                arguments += [since]
            }
            sql += " ORDER BY idx LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                LedgerEntryRow(index: UInt64(row["idx"] as Int64), type: row["type"], time: row["time"], ref: row["ref"])
            }
        }
    }

    /// Entries recorded about `ref` (a transfer, agreement, product …), oldest first.
    public func ledgerEntries(ref: String, type: String?) async throws -> [LedgerEntryRow] {
        try await writer.read { db in
            var sql = "SELECT idx, type, time, ref FROM ledger_entry WHERE ref = ?"
            var arguments: StatementArguments = [ref]
            if let type {
                sql += " AND type = ?"
                arguments += [type]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY idx", arguments: arguments).map { row in
                LedgerEntryRow(index: UInt64(row["idx"] as Int64), type: row["type"], time: row["time"], ref: row["ref"])
            }
        }
    }

    /// Runs a witness's checks against its record of `origin` and stores the new record, in one
    /// transaction, so two concurrent submissions cannot roll the record back (tlog-witness).
    public func witness<T: Sendable>(
        origin: String, _ body: @escaping @Sendable (Witness.Record?) throws -> (Witness.Record, T)
    ) async throws -> T {
        try await writer.write { db in
            let last = try Row.fetchOne(db, sql: "SELECT size, root FROM witnessed_log WHERE origin = ?", arguments: [origin]).flatMap { row in
                MerkleHash(base64: row["root"]).map { Witness.Record(size: UInt64(row["size"] as Int64), root: $0) }
            }
            let (record, result) = try body(last)
            try db.execute(
                sql: "INSERT OR REPLACE INTO witnessed_log (origin, size, root, updated_at) VALUES (?, ?, ?, ?)",
                arguments: [origin, Int64(record.size), record.root.base64, Date().timeIntervalSince1970])
            return result
        }
    }

    /// What this witness last cosigned for each log.
    public func witnessedLogs() async throws -> [(origin: String, size: UInt64, root: String, updatedAt: Date)] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT origin, size, root, updated_at FROM witnessed_log ORDER BY origin").map { row in
                (row["origin"], UInt64(row["size"] as Int64), row["root"], Date(timeIntervalSince1970: row["updated_at"]))
            }
        }
    }

    public func saveDeliveryReceipt(transferID: String, index: UInt64, receipt: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO delivery_receipt (transfer_id, idx, receipt, stored_at) VALUES (?, ?, ?, ?)",
                arguments: [transferID, Int64(index), receipt, Date().timeIntervalSince1970])
        }
    }

    public func deliveryReceipts(transferID: String) async throws -> [(index: UInt64, receipt: String)] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT idx, receipt FROM delivery_receipt WHERE transfer_id = ? ORDER BY idx", arguments: [transferID]).map { row in
                (UInt64(row["idx"] as Int64), row["receipt"])
            }
        }
    }
}

extension SQLiteStore: DeliveryReceiptStore, LedgerIndexStore {}
