import DataspaceCore
import Foundation

/// One query's spending of an agreement's privacy budget, charged before its answer is released.
public struct PrivacyCharge: Sendable, Hashable {
    /// Unique per query; the key a refund names.
    public var queryID: String
    public var agreementID: String
    /// ε or ρ in the agreement's definition.
    public var amount: PrivacyAmount
    public var delta: PrivacyAmount
    /// The budget period the query falls in (0 from the agreement's start).
    public var period: Int64
    public var at: Date

    public init(queryID: String, agreementID: String, amount: PrivacyAmount, delta: PrivacyAmount, period: Int64, at: Date) {
        self.queryID = queryID
        self.agreementID = agreementID
        self.amount = amount
        self.delta = delta
        self.period = period
        self.at = at
    }
}

/// What an agreement has spent: in all, in one period, and of δ.
public struct PrivacySpend: Sendable, Hashable {
    public var total: PrivacyAmount
    public var period: PrivacyAmount
    public var delta: PrivacyAmount

    public init(total: PrivacyAmount = .zero, period: PrivacyAmount = .zero, delta: PrivacyAmount = .zero) {
        self.total = total
        self.period = period
        self.delta = delta
    }

    /// The row key of an agreement's total among its counter rows (periods count from 0).
    public static let totalPeriod: Int64 = -1

    /// From an agreement's counter rows as stores keep them: the total row (`totalPeriod`) and
    /// the period's row; negative counts (never written) read as zero.
    public init(counters: [(period: Int64, spent: Int64, delta: Int64)]) {
        self.init()
        for c in counters {
            if c.period == Self.totalPeriod {
                total = PrivacyAmount(billionths: UInt64(max(0, c.spent)))
                delta = PrivacyAmount(billionths: UInt64(max(0, c.delta)))
            } else {
                period = PrivacyAmount(billionths: UInt64(max(0, c.spent)))
            }
        }
    }

    /// The spend as it was before `charge` was added to the total (read inside the transaction
    /// that is about to roll it back).
    public func without(_ charge: PrivacyCharge) -> PrivacySpend {
        PrivacySpend(total: total.subtracting(charge.amount) ?? .zero, period: period, delta: delta.subtracting(charge.delta) ?? .zero)
    }
}

/// The limits a charge must stay within (from the agreement's `PrivacyBudgetTerms`).
public struct PrivacyLimits: Sendable, Hashable {
    public var total: PrivacyAmount
    public var period: PrivacyAmount?
    public var delta: PrivacyAmount

    public init(total: PrivacyAmount, period: PrivacyAmount?, delta: PrivacyAmount) {
        self.total = total
        self.period = period
        self.delta = delta
    }

    /// The evidence field a charge's events get: the total budget it leaves.
    public static let remainingField = "remaining"

    /// `events`, each with what `spent` leaves of the total.
    public func stamping(_ events: [EvidenceEvent], spentTotal: PrivacyAmount) -> [EvidenceEvent] {
        let left = (total.subtracting(spentTotal) ?? .zero).description
        return events.map { e in
            var e = e
            e.fields[Self.remainingField] = .string(left)
            return e
        }
    }
}

/// A charge that would pass a limit; nothing was written.
public struct PrivacyBudgetExhausted: Error, Sendable, Hashable {
    /// `total`, `period` or `delta`.
    public var limit: String
    public var spent: PrivacySpend

    public init(limit: String, spent: PrivacySpend) {
        self.limit = limit
        self.spent = spent
    }
}

/// The privacy-budget ledger of agreements. Charging is one transaction: the compare-and-add
/// on the agreement's total and period counters (row-locked, so replicas sharing a PostgreSQL
/// database never overspend together), the charge record and its evidence.
public protocol PrivacyBudgetStore: Sendable {
    /// Adds the charge if every limit holds afterwards; throws `PrivacyBudgetExhausted` otherwise.
    /// The evidence is written in the same transaction, each event with `remaining`: the total
    /// budget this charge leaves (`PrivacyLimits.remainingField`).
    func chargePrivacy(_ charge: PrivacyCharge, limits: PrivacyLimits, evidence: [EvidenceEvent]) async throws -> PrivacySpend
    /// Gives a charge back (a query that failed before its answer was released); false when it
    /// was already refunded or never charged.
    func refundPrivacy(queryID: String, evidence: [EvidenceEvent]) async throws -> Bool
    /// What the agreement has spent, in all and in `period`.
    func privacySpend(agreementID: String, period: Int64) async throws -> PrivacySpend
}
