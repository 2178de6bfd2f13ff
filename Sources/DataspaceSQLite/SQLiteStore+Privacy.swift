import DataspaceContracts
import DataspaceCore
import Foundation
import GRDB

/// Privacy budgets in SQLite: one writer, so the compare-and-add inside a write transaction is
/// atomic; the same statements as PostgreSQL's.
extension SQLiteStore: PrivacyBudgetStore {
    /// The row holding an agreement's total (periods count from 0).
    static let totalRow = PrivacySpend.totalPeriod

    public func chargePrivacy(_ charge: PrivacyCharge, limits: PrivacyLimits, evidence: [EvidenceEvent]) async throws -> PrivacySpend {
        try await writer.write { db in
            for period in [Self.totalRow, charge.period] {
                try db.execute(
                    sql: "INSERT INTO privacy_budget (agreement_id, period, spent, delta_spent) VALUES (?, ?, 0, 0) ON CONFLICT DO NOTHING",
                    arguments: [charge.agreementID, period])
            }
            let amount = Int64(charge.amount.billionths), delta = Int64(charge.delta.billionths)
            let total = try Row.fetchOne(
                db,
                sql: """
                    UPDATE privacy_budget SET spent = spent + ?, delta_spent = delta_spent + ?
                    WHERE agreement_id = ? AND period = ? AND spent + ? <= ? AND delta_spent + ? <= ?
                    RETURNING spent, delta_spent
                    """,
                arguments: [amount, delta, charge.agreementID, Self.totalRow, amount, Int64(limits.total.billionths), delta, Int64(limits.delta.billionths)])
            guard let total else {
                let spent = try Self.spend(db, agreementID: charge.agreementID, period: charge.period)
                let over = spent.total.billionths + charge.amount.billionths > limits.total.billionths
                throw PrivacyBudgetExhausted(limit: over ? "total" : "delta", spent: spent)
            }
            var periodSpent: Int64 = 0
            let periodLimit = limits.period.map { Int64($0.billionths) } ?? Int64.max
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "UPDATE privacy_budget SET spent = spent + ? WHERE agreement_id = ? AND period = ? AND spent + ? <= ? RETURNING spent",
                    arguments: [amount, charge.agreementID, charge.period, amount, periodLimit])
            else {
                // The total was added in this transaction: throwing rolls it back.
                throw PrivacyBudgetExhausted(limit: "period", spent: try Self.spend(db, agreementID: charge.agreementID, period: charge.period).without(charge))
            }
            periodSpent = row["spent"]
            try db.execute(
                sql: "INSERT INTO privacy_charge (query_id, agreement_id, period, amount, delta, at, refunded) VALUES (?, ?, ?, ?, ?, ?, 0)",
                arguments: [charge.queryID, charge.agreementID, charge.period, amount, delta, charge.at.timeIntervalSince1970])
            let spent = PrivacySpend(
                total: PrivacyAmount(billionths: UInt64(total["spent"] as Int64)), period: PrivacyAmount(billionths: UInt64(periodSpent)),
                delta: PrivacyAmount(billionths: UInt64(total["delta_spent"] as Int64)))
            try Self.queue(limits.stamping(evidence, spentTotal: spent.total), db: db)
            return spent
        }
    }

    public func refundPrivacy(queryID: String, evidence: [EvidenceEvent]) async throws -> Bool {
        try await writer.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "UPDATE privacy_charge SET refunded = 1 WHERE query_id = ? AND refunded = 0 RETURNING agreement_id, period, amount, delta",
                    arguments: [queryID])
            else { return false }
            let agreement: String = row["agreement_id"], period: Int64 = row["period"], amount: Int64 = row["amount"], delta: Int64 = row["delta"]
            try db.execute(
                sql: "UPDATE privacy_budget SET spent = spent - ?, delta_spent = delta_spent - ? WHERE agreement_id = ? AND period = ?",
                arguments: [amount, delta, agreement, Self.totalRow])
            try db.execute(
                sql: "UPDATE privacy_budget SET spent = spent - ? WHERE agreement_id = ? AND period = ?", arguments: [amount, agreement, period])
            try Self.queue(evidence, db: db)
            return true
        }
    }

    public func privacySpend(agreementID: String, period: Int64) async throws -> PrivacySpend {
        try await writer.read { db in try Self.spend(db, agreementID: agreementID, period: period) }
    }

    static func spend(_ db: Database, agreementID: String, period: Int64) throws -> PrivacySpend {
        let rows = try Row.fetchAll(
            db, sql: "SELECT period, spent, delta_spent FROM privacy_budget WHERE agreement_id = ? AND period IN (?, ?)",
            arguments: [agreementID, totalRow, period])
        return PrivacySpend(counters: rows.map { (period: $0["period"], spent: $0["spent"], delta: $0["delta_spent"]) })
    }
}
