import DataspaceContracts
import DataspaceCore
import Foundation
import PostgresNIO

/// Secure-aggregation rounds in PostgreSQL: a share is added under a shared lock on its round's
/// row and a round is closed under an exclusive one, so across replicas no share lands in a round
/// being closed, and only one replica moves a round out of `open`.
extension PostgresStore: AggregationRoundStore {
    public func openRound(_ round: AggregationRound, evidence: [EvidenceEvent]) async throws -> AggregationRound {
        try await transaction { db in
            let inserted = try await db.rows(
                """
                INSERT INTO aggregation_round (id, consumer, providers, length, state, opened_at)
                VALUES (\(round.id), \(round.consumer), \(round.providers.joined(separator: "\n")), \(round.length), 'open', \(round.openedAt.timeIntervalSince1970))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger
            ).first != nil
            guard inserted else { return try await Self.round(db, id: round.id, lock: "", logger: logger) ?? round }
            try await queue(evidence, on: db)
            return round
        }
    }

    public func aggregationRound(id: String) async throws -> AggregationRound? {
        try await transaction { db in try await Self.round(db, id: id, lock: "", logger: logger) }
    }

    public func addShare(round: String, provider: String, values: [UInt64], at: Date, evidence: [EvidenceEvent]) async throws -> ShareOutcome {
        try await transaction { db in
            let r = try await Self.round(db, id: round, lock: "FOR SHARE", logger: logger)
            guard let r, r.state == .open else { return .closed(r?.state) }
            let inserted = try await db.rows(
                """
                INSERT INTO aggregation_share (round_id, provider, share, at) VALUES (\(round), \(provider), \(ShareText.encode(values)), \(at.timeIntervalSince1970))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger
            ).first != nil
            guard inserted else { return .duplicate }
            try await queue(evidence, on: db)
            return .accepted
        }
    }

    public func closeRound(id: String, collect: Bool, evidence: [EvidenceEvent]) async throws -> RoundClosing {
        try await transaction { db in
            let r = try await Self.round(db, id: id, lock: "FOR UPDATE", logger: logger)
            guard let r, r.state == .open else { return .closed(r?.state) }
            var shares: [String: [UInt64]] = [:]
            for row in try await db.rows("SELECT provider, share FROM aggregation_share WHERE round_id = \(id)", logger: logger) {
                let (provider, share) = try row.decode((String, String).self)
                shares[provider] = ShareText.decode(share)
            }
            if collect {
                let missing = r.providers.filter { shares[$0] == nil }
                guard missing.isEmpty else { return .incomplete(missing: missing) }
            }
            let state = collect ? AggregationRound.State.collected.rawValue : AggregationRound.State.aborted.rawValue
            try await db.run("UPDATE aggregation_round SET state = \(state) WHERE id = \(id) AND state = 'open'", logger: logger)
            try await db.run("DELETE FROM aggregation_share WHERE round_id = \(id)", logger: logger)
            try await queue(evidence, on: db)
            return collect ? .collected(r.providers.compactMap { shares[$0] }) : .aborted
        }
    }

    public func openRounds(openedBefore before: Date, limit: Int) async throws -> [String] {
        try await transaction { db in
            try await db.rows(
                """
                SELECT id FROM aggregation_round WHERE state = 'open' AND opened_at < \(before.timeIntervalSince1970)
                ORDER BY opened_at LIMIT \(limit)
                """, logger: logger
            ).map { try $0.decode(String.self) }
        }
    }

    static func round(_ db: PostgresConnection, id: String, lock: String, logger: Logger) async throws -> AggregationRound? {
        let query: PostgresQuery =
            switch lock {
            case "FOR UPDATE": "SELECT id, consumer, providers, length, state, opened_at FROM aggregation_round WHERE id = \(id) FOR UPDATE"
            case "FOR SHARE": "SELECT id, consumer, providers, length, state, opened_at FROM aggregation_round WHERE id = \(id) FOR SHARE"
            default: "SELECT id, consumer, providers, length, state, opened_at FROM aggregation_round WHERE id = \(id)"
            }
        guard let row = try await db.rows(query, logger: logger).first else { return nil }
        let (rid, consumer, providers, length, state, openedAt) = try row.decode((String, String, String, Int, String, Double).self)
        return AggregationRound(
            id: rid, consumer: consumer, providers: providers.split(separator: "\n").map(String.init), length: length,
            state: AggregationRound.State(rawValue: state) ?? .aborted, openedAt: Date(timeIntervalSince1970: openedAt))
    }
}
