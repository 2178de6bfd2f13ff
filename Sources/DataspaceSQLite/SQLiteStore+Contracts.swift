import DataspaceContracts
import DataspaceCore
import Foundation
import GRDB

extension SQLiteStore: ContractStore {
    /// Two requests racing to create the same process (a retried message arriving twice at once)
    /// meet at the unique key: the loser gets `ContractConflict`, and its handler re-runs and
    /// finds the winner's record.
    static func insertingOnce(_ what: String, _ body: () throws -> Void) throws {
        do { try body() } catch let error as DatabaseError where isConstraintViolation(error) {
            throw ContractConflict("\(what) was created meanwhile")
        }
    }

    static func encodeBody(_ value: JSONValue) -> String { value.encodedString() }

    static func decodeNegotiation(_ text: String) throws -> ContractNegotiation { try ContractNegotiation(json: try JSONValue.parse(text)) }
    static func decodeTransfer(_ text: String) throws -> TransferProcess { try TransferProcess(json: try JSONValue.parse(text)) }
    static func decodeAgreement(_ text: String) throws -> ContractAgreement { try ContractAgreement(json: try JSONValue.parse(text)) }
    static func decodeUsage(_ text: String) throws -> UsageRecord { try UsageRecord(json: try JSONValue.parse(text)) }

    // MARK: negotiations

    /// Inserts `n`, or replaces the stored negotiation if its revision is still `n.revision`
    /// (compare-and-swap); the stored copy carries the next revision, which is returned.
    @discardableResult
    static func write(_ n: ContractNegotiation, db: Database, insert: Bool) throws -> ContractNegotiation {
        var n = n
        let expected = n.revision
        if !insert { n.revision = expected + 1 }
        // The evidence of this change, derived from the state it leaves, in this transaction.
        // Only a write that leaves FINALIZED or TERMINATED can record an outcome; only those read the old state.
        if n.state == .finalized || n.state == .terminated {
            let old = insert ? nil : try String.fetchOne(db, sql: "SELECT state FROM negotiation WHERE id = ?", arguments: [n.id]).flatMap(NegotiationState.init)
            if old != n.state {
                let agreement = try n.agreementID.flatMap { id in
                    try String.fetchOne(db, sql: "SELECT body FROM agreement WHERE id = ?", arguments: [id]).map { try decodeAgreement($0) }
                }
                try queue(ContractEvidence.negotiationEvents(from: old, to: n, agreement: agreement), db: db)
            }
        }
        let sql =
            insert
            ? "INSERT INTO negotiation (role, counterparty, consumer_pid, state, pending, updated_at, body, revision, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            : "UPDATE negotiation SET role = ?, counterparty = ?, consumer_pid = ?, state = ?, pending = ?, updated_at = ?, body = ?, revision = ? WHERE id = ? AND revision = \(expected)"
        try Self.insertingOnce("negotiation \(n.id)") {
            try db.execute(
                sql: sql,
                arguments: [
                    n.role.rawValue, n.counterparty, n.consumerPid, n.state.rawValue, n.queue.isEmpty ? 0 : 1, n.updatedAt.timeIntervalSince1970,
                    encodeBody(n.json), n.revision, n.id,
                ])
        }
        guard db.changesCount == 1 else { throw ContractConflict("negotiation \(n.id) changed meanwhile (revision \(expected) is stale)") }
        return n
    }

    static func readNegotiation(_ db: Database, id: String) throws -> ContractNegotiation? {
        try String.fetchOne(db, sql: "SELECT body FROM negotiation WHERE id = ?", arguments: [id]).map { try decodeNegotiation($0) }
    }

    public func insertNegotiation(_ negotiation: ContractNegotiation, agreement: ContractAgreement?) async throws {
        try await writer.write { db in
            if let agreement { try Self.write(agreement, negotiationID: negotiation.id, db: db) }
            try Self.write(negotiation, db: db, insert: true)
        }
    }

    /// Writes an agreement for `negotiationID`. An agreement id is chosen by the provider, so on
    /// the consumer's side it comes from a peer: a row with the same id that belongs to another
    /// negotiation is never replaced (a provider reusing an id cannot overwrite the consumer's
    /// agreement with someone else); that is a `ContractConflict`.
    static func write(_ agreement: ContractAgreement, negotiationID: String, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO agreement (id, negotiation_id, agreed_at, body) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET agreed_at = excluded.agreed_at, body = excluded.body
                WHERE agreement.negotiation_id = excluded.negotiation_id
                """,
            arguments: [agreement.id, negotiationID, agreement.agreedAt.timeIntervalSince1970, encodeBody(agreement.json)])
        guard db.changesCount == 1 else {
            throw ContractConflict("agreement id \(agreement.id) already belongs to another negotiation")
        }
    }

    public func negotiation(id: String) async throws -> ContractNegotiation? {
        try await writer.read { db in try Self.readNegotiation(db, id: id) }
    }

    public func providerNegotiation(consumer: String, consumerPid: String) async throws -> ContractNegotiation? {
        try await writer.read { db in
            try String.fetchOne(
                db, sql: "SELECT body FROM negotiation WHERE role = 'provider' AND counterparty = ? AND consumer_pid = ?",
                arguments: [consumer, consumerPid]
            ).map { try Self.decodeNegotiation($0) }
        }
    }

    public func updateNegotiation(id: String, _ change: @Sendable (inout ContractNegotiation) throws -> Void) async throws -> ContractNegotiation {
        try await writer.write { db in
            guard var n = try Self.readNegotiation(db, id: id) else { throw ContractNotFound("negotiation", id) }
            try change(&n)
            return try Self.write(n, db: db, insert: false)
        }
    }

    public func replaceNegotiation(_ negotiation: ContractNegotiation, agreement: ContractAgreement?) async throws -> ContractNegotiation {
        try await writer.write { db in
            if let agreement { try Self.write(agreement, negotiationID: negotiation.id, db: db) }
            return try Self.write(negotiation, db: db, insert: false)
        }
    }

    public func negotiations(limit: Int) async throws -> [ContractNegotiation] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM negotiation ORDER BY updated_at DESC LIMIT ?", arguments: [limit])
                .map { try Self.decodeNegotiation($0) }
        }
    }

    // MARK: agreements

    public func saveAgreement(
        _ agreement: ContractAgreement, negotiationID: String, _ change: @Sendable (inout ContractNegotiation) throws -> Void
    ) async throws -> ContractNegotiation {
        try await writer.write { db in
            guard var n = try Self.readNegotiation(db, id: negotiationID) else { throw ContractNotFound("negotiation", negotiationID) }
            try change(&n)
            try Self.write(agreement, negotiationID: negotiationID, db: db)
            return try Self.write(n, db: db, insert: false)
        }
    }

    public func agreement(id: String) async throws -> ContractAgreement? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT body FROM agreement WHERE id = ?", arguments: [id]).map { try Self.decodeAgreement($0) }
        }
    }

    public func agreements(limit: Int) async throws -> [ContractAgreement] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM agreement ORDER BY agreed_at DESC LIMIT ?", arguments: [limit])
                .map { try Self.decodeAgreement($0) }
        }
    }

    public func deliveredAgreements(dataset: String?, limit: Int) async throws -> [ContractAgreement] {
        // Deliveries are kept on the provider side only; a request that began counts even if
        // its process died before recording bytes.
        try await writer.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT a.body FROM agreement a
                    WHERE EXISTS (SELECT 1 FROM transfer_delivery d WHERE d.agreement_id = a.id AND d.requests > 0)
                      AND (?1 IS NULL OR json_extract(a.body, '$.dataset') = ?1)
                    ORDER BY a.agreed_at DESC LIMIT ?2
                    """, arguments: [dataset, limit]
            ).map { try Self.decodeAgreement($0) }
        }
    }

    // MARK: transfers

    /// Inserts `t`, or replaces the stored transfer if its revision is still `t.revision`
    /// (compare-and-swap); the stored copy carries the next revision, which is returned.
    @discardableResult
    static func write(_ t: TransferProcess, db: Database, insert: Bool) throws -> TransferProcess {
        var t = t
        let expected = t.revision
        if !insert { t.revision = expected + 1 }
        let sql =
            insert
            ? "INSERT INTO transfer (role, agreement_id, sequence, state, pending, updated_at, body, revision, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            : "UPDATE transfer SET role = ?, agreement_id = ?, sequence = ?, state = ?, pending = ?, updated_at = ?, body = ?, revision = ? WHERE id = ? AND revision = \(expected)"
        try Self.insertingOnce("transfer \(t.id)") {
            try db.execute(
                sql: sql,
                arguments: [
                    t.role.rawValue, t.agreementID, t.sequence, t.state.rawValue, t.queue.isEmpty ? 0 : 1, t.updatedAt.timeIntervalSince1970,
                    encodeBody(t.json), t.revision, t.id,
                ])
        }
        guard db.changesCount == 1 else { throw ContractConflict("transfer \(t.id) changed meanwhile (revision \(expected) is stale)") }
        // A transfer that ends before its file streamed whole releases its delivery, in the same
        // transaction as the state change.
        if t.role == .provider && t.state == .terminated {
            try db.execute(
                sql: "UPDATE transfer_delivery SET state = 'released', updated_at = ? WHERE transfer_id = ? AND state = 'reserved'",
                arguments: [t.updatedAt.timeIntervalSince1970, t.id])
        }
        return t
    }

    static func readTransfer(_ db: Database, id: String) throws -> TransferProcess? {
        try String.fetchOne(db, sql: "SELECT body FROM transfer WHERE id = ?", arguments: [id]).map { try decodeTransfer($0) }
    }

    public func insertTransfer(_ transfer: TransferProcess) async throws {
        try await writer.write { db in _ = try Self.write(transfer, db: db, insert: true) }
    }

    public func transfer(id: String) async throws -> TransferProcess? {
        try await writer.read { db in try Self.readTransfer(db, id: id) }
    }

    public func updateTransfer(id: String, _ change: @Sendable (inout TransferProcess) throws -> Void) async throws -> TransferProcess {
        try await writer.write { db in
            guard var t = try Self.readTransfer(db, id: id) else { throw ContractNotFound("transfer process", id) }
            try change(&t)
            return try Self.write(t, db: db, insert: false)
        }
    }

    public func replaceTransfer(_ transfer: TransferProcess) async throws -> TransferProcess {
        try await writer.write { db in try Self.write(transfer, db: db, insert: false) }
    }

    public func transfers(agreementID: String?, limit: Int) async throws -> [TransferProcess] {
        try await writer.read { db in
            let rows: [String] =
                if let agreementID {
                    try String.fetchAll(
                        db, sql: "SELECT body FROM transfer WHERE agreement_id = ? ORDER BY updated_at DESC LIMIT ?", arguments: [agreementID, limit])
                } else {
                    try String.fetchAll(db, sql: "SELECT body FROM transfer ORDER BY updated_at DESC LIMIT ?", arguments: [limit])
                }
            return try rows.map { try Self.decodeTransfer($0) }
        }
    }

    public func insertNumberedTransfer(_ transfer: TransferProcess, admit: @Sendable (Int) throws -> Void) async throws -> TransferProcess {
        try await writer.write { db in
            let started =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM transfer WHERE agreement_id = ? AND role = 'provider' AND sequence IS NOT NULL",
                    arguments: [transfer.agreementID]) ?? 0
            // Admission looks at the deliveries held or used so far; the transfer's own number
            // only orders transfers for people reading the list.
            let used =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM transfer_delivery WHERE agreement_id = ? AND state != 'released'", arguments: [transfer.agreementID]
                ) ?? 0
            try admit(used + 1)
            var numbered = transfer
            numbered.sequence = started + 1
            numbered = try Self.write(numbered, db: db, insert: true)
            let at = transfer.updatedAt.timeIntervalSince1970
            try db.execute(
                sql: "INSERT INTO transfer_delivery (transfer_id, agreement_id, number, state, reserved_at, updated_at) VALUES (?, ?, ?, 'reserved', ?, ?)",
                arguments: [transfer.id, transfer.agreementID, used + 1, at, at])
            return numbered
        }
    }

    public func pendingOutboxes() async throws -> (negotiations: [String], transfers: [String]) {
        try await writer.read { db in
            (
                try String.fetchAll(db, sql: "SELECT id FROM negotiation WHERE pending = 1"),
                try String.fetchAll(db, sql: "SELECT id FROM transfer WHERE pending = 1")
            )
        }
    }

    public func claimOutbox(_ kind: ProcessKind, id: String, owner: String, now: Date, until: Date) async throws -> Bool {
        let table = kind == .negotiation ? "negotiation" : "transfer"
        return try await writer.write { db in
            try db.execute(
                sql: "UPDATE \(table) SET claimed_by = ?, claimed_until = ? WHERE id = ? AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?)",
                arguments: [owner, until.timeIntervalSince1970, id, owner, now.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func releaseOutbox(_ kind: ProcessKind, id: String, owner: String) async throws {
        let table = kind == .negotiation ? "negotiation" : "transfer"
        try await writer.write { db in
            try db.execute(sql: "UPDATE \(table) SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?", arguments: [id, owner])
        }
    }

    // MARK: usage

    public func usage(agreementID: String?) async throws -> [UsageRecord] {
        try await writer.read { db in
            let rows: [String] =
                if let agreementID {
                    try String.fetchAll(db, sql: "SELECT body FROM usage WHERE agreement_id = ? ORDER BY seq", arguments: [agreementID])
                } else {
                    try String.fetchAll(db, sql: "SELECT body FROM usage ORDER BY seq")
                }
            return try rows.map { try Self.decodeUsage($0) }
        }
    }
}

// MARK: - deliveries

extension SQLiteStore {
    public func beginDelivery(agreementID: String, transferID: String, at: Date, admit: @Sendable (_ uses: Int) throws -> Void) async throws -> DeliverySlot {
        try await writer.write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT number, state, bytes FROM transfer_delivery WHERE transfer_id = ? AND agreement_id = ?",
                arguments: [transferID, agreementID]),
                let state = DeliveryState(rawValue: row["state"]), state != .released
            else { throw DeliveryUnavailable(transferID: transferID) }
            let number: Int = row["number"]
            let sent: Int64 = row["bytes"]
            // Time limits still apply to a repeat; the count was settled when it was reserved.
            try admit(max(0, number - 1))
            try db.execute(
                sql: "UPDATE transfer_delivery SET streaming = streaming + 1, requests = requests + 1, updated_at = ? WHERE transfer_id = ?",
                arguments: [at.timeIntervalSince1970, transferID])
            return DeliverySlot(agreementID: agreementID, transferID: transferID, number: number, continued: state == .complete || sent > 0)
        }
    }

    @discardableResult
    public func endDelivery(
        _ slot: DeliverySlot, bytes: Int64, complete: Bool, at: Date, usage: UsageRecord? = nil, evidence: [EvidenceEvent] = []
    ) async throws -> Bool {
        try await writer.write { db in
            let state = try String.fetchOne(db, sql: "SELECT state FROM transfer_delivery WHERE transfer_id = ?", arguments: [slot.transferID])
            // The first request that streams the whole file consumes the use; say so in its evidence.
            let consumes = complete && state == DeliveryState.reserved.rawValue
            if let usage {
                try db.execute(
                    sql: "INSERT INTO usage (agreement_id, at, body) VALUES (?, ?, ?)",
                    arguments: [usage.agreementID, usage.at.timeIntervalSince1970, Self.encodeBody(usage.json)])
            }
            try Self.queue(evidence.map { e in
                var e = e
                e.fields["consumed"] = .bool(consumes)
                return e
            }, db: db)
            try db.execute(
                sql: """
                    UPDATE transfer_delivery SET streaming = MAX(streaming - 1, 0), bytes = bytes + ?, updated_at = ?,
                        state = CASE WHEN ? THEN 'complete' ELSE state END,
                        completed_at = CASE WHEN ? THEN ? ELSE completed_at END
                    WHERE transfer_id = ?
                    """,
                arguments: [bytes, at.timeIntervalSince1970, consumes, consumes, at.timeIntervalSince1970, slot.transferID])
            return consumes
        }
    }

    public func deliveryCounts(agreementID: String) async throws -> DeliveryCounts {
        try await writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(state = 'reserved'), 0) AS reserved, COALESCE(SUM(state = 'complete'), 0) AS complete
                    FROM transfer_delivery WHERE agreement_id = ?
                    """,
                arguments: [agreementID])
            return DeliveryCounts(reserved: row?["reserved"] ?? 0, complete: row?["complete"] ?? 0)
        }
    }

    public func deliveries(agreementID: String) async throws -> [DeliveryRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM transfer_delivery WHERE agreement_id = ? ORDER BY number, reserved_at", arguments: [agreementID]
            ).map(Self.deliveryRecord)
        }
    }

    static func deliveryRecord(_ row: Row) -> DeliveryRecord {
        DeliveryRecord(
            transferID: row["transfer_id"], agreementID: row["agreement_id"], number: row["number"],
            state: DeliveryState(rawValue: row["state"]) ?? .released, bytes: row["bytes"], requests: row["requests"],
            reservedAt: Date(timeIntervalSince1970: row["reserved_at"]),
            completedAt: (row["completed_at"] as Double?).map { Date(timeIntervalSince1970: $0) })
    }

    public func delivery(transferID: String) async throws -> (record: DeliveryRecord, streaming: Bool, updatedAt: Date)? {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM transfer_delivery WHERE transfer_id = ?", arguments: [transferID]) else { return nil }
            return (Self.deliveryRecord(row), (row["streaming"] as Int) > 0, Date(timeIntervalSince1970: row["updated_at"]))
        }
    }

    public func releaseStreamingDeliveries() async throws {
        try await writer.write { db in try db.execute(sql: "UPDATE transfer_delivery SET streaming = 0 WHERE streaming > 0") }
    }

    public func openTransfers(updatedBefore cutoff: Date, limit: Int) async throws -> [TransferProcess] {
        try await writer.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT body FROM transfer WHERE state IN ('REQUESTED', 'STARTED', 'SUSPENDED') AND updated_at < ? ORDER BY updated_at LIMIT ?",
                arguments: [cutoff.timeIntervalSince1970, limit]
            ).map { try Self.decodeTransfer($0) }
        }
    }
}
