import DataspaceContracts
import DataspaceCore
import Foundation
import GRDB

/// Secure-aggregation rounds in SQLite: one writer, so each check-then-change below runs inside
/// one write transaction; the same statements as PostgreSQL's.
extension SQLiteStore: AggregationRoundStore {
    public func openRound(_ round: AggregationRound, evidence: [EvidenceEvent]) async throws -> AggregationRound {
        try await writer.write { db in
            if let existing = try Self.round(db, id: round.id) { return existing }
            try db.execute(
                sql: "INSERT INTO aggregation_round (id, consumer, providers, length, state, opened_at) VALUES (?, ?, ?, ?, 'open', ?)",
                arguments: [round.id, round.consumer, round.providers.joined(separator: "\n"), round.length, round.openedAt.timeIntervalSince1970])
            try Self.queue(evidence, db: db)
            return round
        }
    }

    public func aggregationRound(id: String) async throws -> AggregationRound? {
        try await writer.read { db in try Self.round(db, id: id) }
    }

    public func addShare(round: String, provider: String, values: [UInt64], at: Date, evidence: [EvidenceEvent]) async throws -> ShareOutcome {
        try await writer.write { db in
            guard let r = try Self.round(db, id: round), r.state == .open else { return .closed(try Self.round(db, id: round)?.state) }
            try db.execute(
                sql: "INSERT INTO aggregation_share (round_id, provider, share, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [round, provider, ShareText.encode(values), at.timeIntervalSince1970])
            guard db.changesCount == 1 else { return .duplicate }
            try Self.queue(evidence, db: db)
            return .accepted
        }
    }

    public func closeRound(id: String, collect: Bool, evidence: [EvidenceEvent]) async throws -> RoundClosing {
        try await writer.write { db in
            guard let r = try Self.round(db, id: id), r.state == .open else { return .closed(try Self.round(db, id: id)?.state) }
            let rows = try Row.fetchAll(db, sql: "SELECT provider, share FROM aggregation_share WHERE round_id = ?", arguments: [id])
            var shares: [String: [UInt64]] = [:]
            for row in rows { shares[row["provider"]] = ShareText.decode(row["share"]) }
            if collect {
                let missing = r.providers.filter { shares[$0] == nil }
                guard missing.isEmpty else { return .incomplete(missing: missing) }
            }
            try db.execute(
                sql: "UPDATE aggregation_round SET state = ? WHERE id = ? AND state = 'open'",
                arguments: [collect ? AggregationRound.State.collected.rawValue : AggregationRound.State.aborted.rawValue, id])
            try db.execute(sql: "DELETE FROM aggregation_share WHERE round_id = ?", arguments: [id])
            try Self.queue(evidence, db: db)
            return collect ? .collected(r.providers.compactMap { shares[$0] }) : .aborted
        }
    }

    public func openRounds(openedBefore before: Date, limit: Int) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM aggregation_round WHERE state = 'open' AND opened_at < ? ORDER BY opened_at LIMIT ?",
                arguments: [before.timeIntervalSince1970, limit])
        }
    }

    static func round(_ db: Database, id: String) throws -> AggregationRound? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM aggregation_round WHERE id = ?", arguments: [id]) else { return nil }
        let providers: String = row["providers"]
        return AggregationRound(
            id: row["id"], consumer: row["consumer"], providers: providers.split(separator: "\n").map(String.init), length: row["length"],
            state: AggregationRound.State(rawValue: row["state"]) ?? .aborted, openedAt: Date(timeIntervalSince1970: row["opened_at"]))
    }
}
