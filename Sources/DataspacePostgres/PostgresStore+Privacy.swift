import DataspaceContracts
import DataspaceCore
import Foundation
import PostgresNIO

/// Privacy budgets in PostgreSQL: the conditional `UPDATE … WHERE spent + x <= limit` takes the
/// counter row's lock, so charges from every replica are serialised per agreement and the sum of
/// what is charged never passes the limit (PrivacyBudgetStoreTests runs them concurrently).
extension PostgresStore: PrivacyBudgetStore {
    static let totalRow = PrivacySpend.totalPeriod

    public func chargePrivacy(_ charge: PrivacyCharge, limits: PrivacyLimits, evidence: [EvidenceEvent]) async throws -> PrivacySpend {
        try await transaction { db in
            for period in [Self.totalRow, charge.period] {
                try await db.run(
                    """
                    INSERT INTO privacy_budget (agreement_id, period, spent, delta_spent) VALUES (\(charge.agreementID), \(period), 0, 0)
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
            let amount = Int64(charge.amount.billionths), delta = Int64(charge.delta.billionths)
            let totalLimit = Int64(limits.total.billionths), deltaLimit = Int64(limits.delta.billionths)
            let total = try await db.rows(
                """
                UPDATE privacy_budget SET spent = spent + \(amount), delta_spent = delta_spent + \(delta)
                WHERE agreement_id = \(charge.agreementID) AND period = \(Self.totalRow)
                    AND spent + \(amount) <= \(totalLimit) AND delta_spent + \(delta) <= \(deltaLimit)
                RETURNING spent, delta_spent
                """, logger: logger
            ).first.map { try $0.decode((Int64, Int64).self) }
            guard let total else {
                let spent = try await Self.spend(db, agreementID: charge.agreementID, period: charge.period, logger: logger)
                let over = spent.total.billionths + charge.amount.billionths > limits.total.billionths
                throw PrivacyBudgetExhausted(limit: over ? "total" : "delta", spent: spent)
            }
            let periodLimit = limits.period.map { Int64($0.billionths) } ?? Int64.max
            guard
                let periodSpent = try await db.rows(
                    """
                    UPDATE privacy_budget SET spent = spent + \(amount)
                    WHERE agreement_id = \(charge.agreementID) AND period = \(charge.period) AND spent + \(amount) <= \(periodLimit)
                    RETURNING spent
                    """, logger: logger
                ).first.map({ try $0.decode(Int64.self) })
            else {
                throw PrivacyBudgetExhausted(
                    limit: "period", spent: try await Self.spend(db, agreementID: charge.agreementID, period: charge.period, logger: logger).without(charge))
            }
            try await db.run(
                """
                INSERT INTO privacy_charge (query_id, agreement_id, period, amount, delta, at, refunded)
                VALUES (\(charge.queryID), \(charge.agreementID), \(charge.period), \(amount), \(delta), \(charge.at.timeIntervalSince1970), false)
                """, logger: logger)
            let spent = PrivacySpend(
                total: PrivacyAmount(billionths: UInt64(total.0)), period: PrivacyAmount(billionths: UInt64(periodSpent)),
                delta: PrivacyAmount(billionths: UInt64(total.1)))
            try await queue(limits.stamping(evidence, spentTotal: spent.total), on: db)
            return spent
        }
    }

    public func refundPrivacy(queryID: String, evidence: [EvidenceEvent]) async throws -> Bool {
        try await transaction { db in
            guard
                let (agreement, period, amount, delta) = try await db.rows(
                    """
                    UPDATE privacy_charge SET refunded = true WHERE query_id = \(queryID) AND NOT refunded
                    RETURNING agreement_id, period, amount, delta
                    """, logger: logger
                ).first.map({ try $0.decode((String, Int64, Int64, Int64).self) })
            else { return false }
            try await db.run(
                """
                UPDATE privacy_budget SET spent = spent - \(amount), delta_spent = delta_spent - \(delta)
                WHERE agreement_id = \(agreement) AND period = \(Self.totalRow)
                """, logger: logger)
            try await db.run(
                "UPDATE privacy_budget SET spent = spent - \(amount) WHERE agreement_id = \(agreement) AND period = \(period)", logger: logger)
            try await queue(evidence, on: db)
            return true
        }
    }

    public func privacySpend(agreementID: String, period: Int64) async throws -> PrivacySpend {
        try await transaction { db in try await Self.spend(db, agreementID: agreementID, period: period, logger: logger) }
    }

    static func spend(_ db: PostgresConnection, agreementID: String, period: Int64, logger: Logger) async throws -> PrivacySpend {
        let rows = try await db.rows(
            "SELECT period, spent, delta_spent FROM privacy_budget WHERE agreement_id = \(agreementID) AND period IN (\(totalRow), \(period))",
            logger: logger)
        return PrivacySpend(counters: try rows.map { row in
            let (p, spent, delta) = try row.decode((Int64, Int64, Int64).self)
            return (period: p, spent: spent, delta: delta)
        })
    }
}
