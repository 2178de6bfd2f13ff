import DataspaceCore

import BigInt
import Foundation

/// Answers a `PrivateQuery` over a `QueryStore` with differential privacy: rows filtered by the
/// `WHERE`, each privacy unit's contribution bounded (at most `maxGroupsPerUnit` groups and
/// `maxRowsPerUnit` rows in each), values already clamped to their declared bounds, exact integer
/// aggregates, then exact discrete noise per measurement with the query's budget split evenly
/// among its measurements. The caller charges the budget before calling and releases the answer
/// only after it returns.
public struct PrivateQueryEngine: Sendable {
    /// Groups a query over public keys may enumerate.
    public static let maximumGroups = 10_000
    /// Units × groups per unit the contribution bounding tracks at most (6 bytes each).
    public static let maximumBoundingSlots = 1 << 26

    public let store: QueryStore

    public init(store: QueryStore) { self.store = store }

    /// Checks the query against the store and the offer without computing anything: the same
    /// refusals `answer` gives, so a budget is charged only for a query that will be answered.
    public func plan(_ query: PrivateQuery, loss: PrivacyLoss, delta: PrivacyAmount) throws(PrivateQueryError) -> Plan {
        try Plan(query: query, store: store, loss: loss, delta: delta)
    }

    /// The noisy answer. `random` is the system CSPRNG in production; tests pass a seeded one.
    public func answer<R: RandomNumberGenerator>(_ plan: Plan, using random: inout R) -> PrivateAnswer {
        let totals = aggregate(plan)
        let share = plan.loss.with(plan.loss.amount.share(of: plan.measurements.count))
        let schema = store.schema
        // Noise per measurement.
        var distributions: [Measurement: NoiseDistribution] = [:]
        for m in plan.measurements {
            let magnitude = m.magnitude(in: store)
            distributions[m] = NoiseDistribution(
                loss: share, l0: BigUInt(plan.groupsPerUnit), lInfinity: BigUInt(schema.maxRowsPerUnit), magnitude: BigUInt(magnitude))
        }
        var noisy: [Measurement: [BigInt]] = [:]
        for m in plan.measurements {
            guard let exact = totals[m], let noise = distributions[m] else { continue }
            noisy[m] = exact.map { $0 + noise.sample(using: &random) }
        }
        // Which groups are released.
        var released = (0..<plan.groupCount).filter { plan.inDomain($0) }
        var threshold: Int?
        if plan.thresholded, let counts = noisy[.rows], let noise = distributions[.rows] {
            let tail = noise.tailBound(probability: plan.delta.doubleValue / Double(plan.groupsPerUnit))
            // A group only one unit touched holds at most maxRowsPerUnit rows; it passes with
            // probability ≤ δ/L0 (the tail bound is rounded up with a margin for the float).
            let tau = schema.maxRowsPerUnit + Int((tail * (1 + 1e-9)).rounded(.up))
            threshold = tau
            released = released.filter { counts[$0] >= BigInt(tau) }
        }
        // The table.
        var columns: [PrivateAnswer.Column] = []
        for output in plan.query.outputs {
            switch output.kind {
            case .key:
                columns.append(.init(name: output.name, kind: .key, noise: nil))
            case .aggregate(let a):
                let m = Measurement.primary(of: a)
                let report = distributions[m].map { d in
                    let unit = pow(10.0, Double(m.decimals(in: store)))
                    return PrivateAnswer.NoiseReport(mechanism: share.mechanism, scale: d.scale / unit, halfWidth95: d.tailBound(probability: 0.05, twoSided: true) / unit, loss: share)
                }
                switch a {
                case .count: columns.append(.init(name: output.name, kind: .count, noise: report))
                case .sum: columns.append(.init(name: output.name, kind: .sum, noise: report))
                case .average: columns.append(.init(name: output.name, kind: .average, noise: nil))
                }
            }
        }
        var rows: [[String]] = []
        for group in released {
            let keyValues = plan.keyValues(of: group)
            var row: [String] = []
            for output in plan.query.outputs {
                switch output.kind {
                case .key(let column):
                    row.append(plan.groupBy.firstIndex(of: column).map { keyValues[$0] } ?? "")
                case .aggregate(.count(let column)):
                    let m: Measurement = column.map { .present($0) } ?? .rows
                    row.append(noisy[m].map { "\($0[group])" } ?? "")
                case .aggregate(.sum(let column)):
                    row.append(noisy[.sum(column)].map { Self.decimal($0[group], decimals: Measurement.sum(column).decimals(in: store)) } ?? "")
                case .aggregate(.average(let column)):
                    guard let sums = noisy[.sum(column)], let counts = noisy[.present(column)], counts[group] >= 1,
                        let bounds = store.schema.bounds[column]
                    else {
                        row.append("")
                        continue
                    }
                    // Post-processing: the ratio, clamped into the declared range.
                    let unit = pow(10.0, Double(bounds.decimals))
                    let mean = Double(sums[group]) / Double(counts[group]) / unit
                    let clamped = min(max(mean, Double(bounds.lower) / unit), Double(bounds.upper) / unit)
                    row.append(String(format: "%.\(bounds.decimals + 2)f", clamped))
                }
            }
            rows.append(row)
        }
        return PrivateAnswer(columns: columns, rows: rows, loss: plan.loss, delta: plan.thresholded ? plan.delta : .zero, releaseThreshold: threshold)
    }

    /// The plan's exact totals without noise, per measurement and group, as decimal text: the
    /// baseline `dataspace bench dp` measures the cost of noise against. Never released to a consumer.
    public func exactTotals(_ plan: Plan) -> [[String]] {
        let totals = aggregate(plan)
        return plan.measurements.map { m in (totals[m] ?? []).map { $0.description } }
    }

    /// Exact per-group totals of every measurement after bounding each unit's contribution.
    /// Two passes: which group each row counts in (`admittedGroups`), then one tight loop per
    /// measurement over its column.
    func aggregate(_ plan: Plan) -> [Measurement: [BigInt]] {
        let groups = admittedGroups(plan)
        var totals: [Measurement: [BigInt]] = [:]
        for m in plan.measurements {
            switch plan.reader(for: m) {
            case .rows:
                totals[m] = Self.count(groups, plan.groupCount) { _ in true }.map { BigInt($0) }
            case .presentBounded(let values):
                totals[m] = values.withUnsafeBufferPointer { v in
                    Self.count(groups, plan.groupCount) { v[$0] != QueryStore.FixedPointColumn.missing }
                }.map { BigInt($0) }
            case .presentCoded(let codes):
                totals[m] = codes.withUnsafeBufferPointer { c in Self.count(groups, plan.groupCount) { c[$0] != 0 } }.map { BigInt($0) }
            case .sum(let values):
                var sums = [Int128](repeating: 0, count: plan.groupCount)
                values.withUnsafeBufferPointer { v in
                    groups.withUnsafeBufferPointer { g in
                        sums.withUnsafeMutableBufferPointer { s in
                            for row in 0..<g.count where g[row] != Self.excluded && v[row] != QueryStore.FixedPointColumn.missing {
                                s[Int(g[row])] += Int128(v[row])
                            }
                        }
                    }
                }
                totals[m] = sums.map { BigInt("\($0)") ?? 0 }
            }
        }
        return totals
    }

    /// A row that counts in no group (filtered out, outside the groups, or over its unit's bounds).
    static let excluded = UInt32.max

    /// Rows per group among the admitted rows that pass `counts`.
    static func count(_ groups: [UInt32], _ groupCount: Int, _ counts: (Int) -> Bool) -> [Int64] {
        var out = [Int64](repeating: 0, count: groupCount)
        groups.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { o in
                for row in 0..<g.count where g[row] != excluded && counts(row) { o[Int(g[row])] += 1 }
            }
        }
        return out
    }

    /// The group each row counts in, or `excluded`: rows the filter drops and rows beyond their
    /// unit's bounds (at most `groupsPerUnit` groups a unit, `maxRowsPerUnit` rows in each,
    /// keeping the first in the store's random order). A product without a privacy unit has one
    /// row a unit, which no bound can cut, so that case skips the bookkeeping.
    func admittedGroups(_ plan: Plan) -> [UInt32] {
        var groups = [UInt32](repeating: Self.excluded, count: store.rowCount)
        groups.withUnsafeMutableBufferPointer { out in
            if !plan.thresholded, plan.filter == nil {
                // Public keys (or none): the mixed-radix group id, one key column at a time.
                for row in 0..<out.count { out[row] = 0 }
                for (i, key) in plan.keyColumns.enumerated() {
                    let radix = UInt32(truncatingIfNeeded: plan.radices[i])
                    key.codes.withUnsafeBufferPointer { codes in
                        for row in 0..<out.count { out[row] = out[row] &* radix &+ codes[row] }
                    }
                }
            } else {
                for row in 0..<out.count {
                    if let filter = plan.filter, !filter.matches(row) { continue }
                    if let group = plan.group(of: row) { out[row] = UInt32(truncatingIfNeeded: group) }
                }
            }
        }
        guard store.schema.privacyUnit != nil else { return groups }
        let l0 = plan.groupsPerUnit
        let lInfinity = store.schema.maxRowsPerUnit
        var slotGroup = [UInt32](repeating: Self.excluded, count: store.unitCount * l0)
        var slotRows = [UInt16](repeating: 0, count: store.unitCount * l0)
        for row in 0..<store.rowCount {
            let group = groups[row]
            if group == Self.excluded { continue }
            let base = Int(store.units[row]) * l0
            var slot = -1
            for k in 0..<l0 {
                let g = slotGroup[base + k]
                if g == group { slot = base + k; break }
                if g == Self.excluded {
                    slotGroup[base + k] = group
                    slot = base + k
                    break
                }
            }
            guard slot >= 0, Int(slotRows[slot]) < lInfinity else {
                groups[row] = Self.excluded
                continue
            }
            slotRows[slot] += 1
        }
        return groups
    }

    static func decimal(_ value: BigInt, decimals: Int) -> String {
        guard decimals > 0 else { return "\(value)" }
        let digits = String(value.magnitude)
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        let cut = padded.index(padded.endIndex, offsetBy: -decimals)
        return (value.sign == .minus && value != 0 ? "-" : "") + padded[..<cut] + "." + padded[cut...]
    }
}

/// One noisy number the query needs per group; several answer columns can share one (AVG reuses
/// the SUM and COUNT of its column, a thresholded query reuses its COUNT(*)).
enum Measurement: Hashable, Sendable {
    case rows
    case present(String)
    case sum(String)

    static func primary(of aggregate: PrivateQuery.Aggregate) -> Measurement {
        switch aggregate {
        case .count(nil): .rows
        case .count(let column?): .present(column)
        case .sum(let column), .average(let column): .sum(column)
        }
    }

    /// The most one row adds, in fixed-point units.
    func magnitude(in store: QueryStore) -> Int64 {
        if case .sum(let column) = self, let bounds = store.schema.bounds[column] { return bounds.magnitude }
        return 1
    }

    func decimals(in store: QueryStore) -> Int {
        if case .sum(let column) = self, let bounds = store.schema.bounds[column] { return bounds.decimals }
        return 0
    }
}

/// The noise for one measurement, from the loss it may spend and its sensitivity: a unit changes
/// at most l0 groups by at most lInfinity × magnitude each, so Δ₁ = l0·l∞·m and Δ₂² = l0·l∞²·m².
struct NoiseDistribution {
    enum Kind {
        case laplace(DiscreteLaplace)
        case gaussian(DiscreteGaussian)
    }

    let kind: Kind

    init(loss: PrivacyLoss, l0: BigUInt, lInfinity: BigUInt, magnitude: BigUInt) {
        let billion = BigUInt(PrivacyAmount.unitsPerOne)
        switch loss {
        case .pure(let epsilon):
            // b = Δ₁ / ε, with ε = e / 10⁹.
            kind = .laplace(DiscreteLaplace(scaleNumerator: l0 * lInfinity * magnitude * billion, scaleDenominator: BigUInt(epsilon.billionths)))
        case .zeroConcentrated(let rho):
            // σ² = Δ₂² / 2ρ, with ρ = r / 10⁹.
            let l2Squared = l0 * lInfinity * lInfinity * magnitude * magnitude
            kind = .gaussian(DiscreteGaussian(varianceNumerator: l2Squared * billion, varianceDenominator: 2 * BigUInt(rho.billionths)))
        }
    }

    func sample<R: RandomNumberGenerator>(using random: inout R) -> BigInt {
        switch kind {
        case .laplace(let d): d.sample(using: &random)
        case .gaussian(let d): d.sample(using: &random)
        }
    }

    var scale: Double {
        switch kind {
        case .laplace(let d): d.scale
        case .gaussian(let d): d.sigma
        }
    }

    /// A k with P(noise ≥ k) ≤ probability (one-sided), or P(|noise| > k) ≤ probability.
    func tailBound(probability: Double, twoSided: Bool = false) -> Double {
        switch kind {
        case .laplace(let d):
            // P(Y ≥ k) ≤ e^{−k/b}: one-sided; the two-sided interval is exact for the discrete law.
            twoSided ? d.halfWidth(alpha: probability) : d.scale * log(1 / probability)
        case .gaussian(let d):
            // Sub-Gaussian tails: P(Y ≥ k) ≤ e^{−k²/2σ²}.
            twoSided ? d.halfWidth(alpha: probability) : d.sigma * (2 * log(1 / probability)).squareRoot()
        }
    }
}
