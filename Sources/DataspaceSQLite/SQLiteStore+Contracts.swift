import DataspaceContracts
import DataspaceCore
import Foundation
import GRDB

extension SQLiteStore: ContractStore {
    static func encodeBody(_ value: JSONValue) -> String { value.encodedString() }

    static func decodeNegotiation(_ text: String) throws -> ContractNegotiation { try ContractNegotiation(json: try JSONValue.parse(text)) }
    static func decodeTransfer(_ text: String) throws -> TransferProcess { try TransferProcess(json: try JSONValue.parse(text)) }
    static func decodeAgreement(_ text: String) throws -> ContractAgreement { try ContractAgreement(json: try JSONValue.parse(text)) }
    static func decodeUsage(_ text: String) throws -> UsageRecord { try UsageRecord(json: try JSONValue.parse(text)) }

    // MARK: negotiations

    static func write(_ n: ContractNegotiation, db: Database, insert: Bool) throws {
        let sql =
            insert
            ? "INSERT INTO negotiation (role, counterparty, consumer_pid, state, pending, updated_at, body, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            : "UPDATE negotiation SET role = ?, counterparty = ?, consumer_pid = ?, state = ?, pending = ?, updated_at = ?, body = ? WHERE id = ?"
        try db.execute(
            sql: sql,
            arguments: [
                n.role.rawValue, n.counterparty, n.consumerPid, n.state.rawValue, n.queue.isEmpty ? 0 : 1, n.updatedAt.timeIntervalSince1970,
                encodeBody(n.json), n.id,
            ])
    }

    static func readNegotiation(_ db: Database, id: String) throws -> ContractNegotiation? {
        try String.fetchOne(db, sql: "SELECT body FROM negotiation WHERE id = ?", arguments: [id]).map { try decodeNegotiation($0) }
    }

    public func insertNegotiation(_ negotiation: ContractNegotiation, agreement: ContractAgreement?) async throws {
        try await writer.write { db in
            try Self.write(negotiation, db: db, insert: true)
            if let agreement { try Self.write(agreement, negotiationID: negotiation.id, db: db) }
        }
    }

    static func write(_ agreement: ContractAgreement, negotiationID: String, db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO agreement (id, negotiation_id, agreed_at, body) VALUES (?, ?, ?, ?)",
            arguments: [agreement.id, negotiationID, agreement.agreedAt.timeIntervalSince1970, encodeBody(agreement.json)])
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
            try Self.write(n, db: db, insert: false)
            return n
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
            try Self.write(n, db: db, insert: false)
            try Self.write(agreement, negotiationID: negotiationID, db: db)
            return n
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

    // MARK: transfers

    static func write(_ t: TransferProcess, db: Database, insert: Bool) throws {
        let sql =
            insert
            ? "INSERT INTO transfer (role, agreement_id, sequence, state, pending, updated_at, body, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            : "UPDATE transfer SET role = ?, agreement_id = ?, sequence = ?, state = ?, pending = ?, updated_at = ?, body = ? WHERE id = ?"
        try db.execute(
            sql: sql,
            arguments: [
                t.role.rawValue, t.agreementID, t.sequence, t.state.rawValue, t.queue.isEmpty ? 0 : 1, t.updatedAt.timeIntervalSince1970,
                encodeBody(t.json), t.id,
            ])
    }

    static func readTransfer(_ db: Database, id: String) throws -> TransferProcess? {
        try String.fetchOne(db, sql: "SELECT body FROM transfer WHERE id = ?", arguments: [id]).map { try decodeTransfer($0) }
    }

    public func insertTransfer(_ transfer: TransferProcess) async throws {
        try await writer.write { db in try Self.write(transfer, db: db, insert: true) }
    }

    public func transfer(id: String) async throws -> TransferProcess? {
        try await writer.read { db in try Self.readTransfer(db, id: id) }
    }

    public func updateTransfer(id: String, _ change: @Sendable (inout TransferProcess) throws -> Void) async throws -> TransferProcess {
        try await writer.write { db in
            guard var t = try Self.readTransfer(db, id: id) else { throw ContractNotFound("transfer process", id) }
            try change(&t)
            try Self.write(t, db: db, insert: false)
            return t
        }
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
            try admit(started + 1)
            var numbered = transfer
            numbered.sequence = started + 1
            try Self.write(numbered, db: db, insert: true)
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

    // MARK: usage

    public func recordUsage(_ usage: UsageRecord) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO usage (agreement_id, at, body) VALUES (?, ?, ?)",
                arguments: [usage.agreementID, usage.at.timeIntervalSince1970, Self.encodeBody(usage.json)])
        }
    }

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
