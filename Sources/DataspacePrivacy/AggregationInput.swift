import DataspaceCore

/// A provider's own numbers for a secure-aggregation round, computed over its product's query
/// store: for each requested group, the sum of the bounded column (clamped to the declared bounds
/// when the store was built, rounded to the round's decimals) and the number of values summed
/// (rows, when only counting). Empty groups are reported as zeros, so the vector's shape never
/// tells which groups a provider has.
public enum AggregationInput {
    /// The largest sum one provider may report: with at most 100 providers the total of every
    /// position stays inside a signed 64-bit number, so the shares add up exactly.
    public static let maximumMagnitude = Int64.max / Int64(AggregationQuery.providersRange.upperBound)

    public struct Refusal: Error, Sendable, Equatable {
        public var field: String
        public var message: String
        init(_ field: String, _ message: String) {
            self.field = field
            self.message = message
        }
    }

    /// The vector `[sum₀, n₀, sum₁, n₁, …]` for `query` over `store`.
    public static func vector(_ query: AggregationQuery, over store: QueryStore) throws(Refusal) -> [Int64] {
        var values: [Int64]?
        var scale: (multiply: Int64, divide: Int64) = (1, 1)
        if let name = query.column {
            guard let i = store.index(of: name), case .bounded(let column) = store.columns[i] else {
                throw Refusal("column", "'\(name.prefix(64))' is not a column with declared bounds in this product; only bounded columns are summed")
            }
            values = column.values
            let d = column.bounds.decimals
            if query.decimals >= d {
                scale.multiply = power10(query.decimals - d)
            } else {
                scale.divide = power10(d - query.decimals)
            }
        }
        var groupOf: (Int) -> Int? = { _ in 0 }
        let groupCount = max(1, query.groups.count)
        if let key = query.groupBy {
            guard store.schema.publicKeys.contains(key), let i = store.index(of: key), case .coded(let codes, let dictionary, _) = store.columns[i] else {
                throw Refusal("groupBy", "'\(key.prefix(64))' is not a public key of this product; group by a column its publisher declared public")
            }
            var wanted: [String: Int] = [:]
            for (g, name) in query.groups.enumerated() { wanted[name] = g }
            var slotOfCode = [Int](repeating: -1, count: dictionary.count)
            for (code, name) in dictionary.enumerated() {
                if let g = wanted[name] { slotOfCode[code] = g }
            }
            groupOf = { row in
                let slot = slotOfCode[Int(codes[row])]
                return slot < 0 ? nil : slot
            }
        }
        var sums = [Int64](repeating: 0, count: groupCount)
        var counts = [Int64](repeating: 0, count: groupCount)
        for row in 0..<store.rowCount {
            guard let g = groupOf(row) else { continue }
            guard let values else {
                counts[g] += 1
                continue
            }
            let raw = values[row]
            if raw == QueryStore.FixedPointColumn.missing { continue }
            // |raw| ≤ 10^18 (bounds are at most 10^12 with 6 decimals), so one step cannot trap.
            let v = scale.divide == 1 ? raw.multipliedReportingOverflow(by: scale.multiply) : (raw.partialValue(roundedBy: scale.divide), false)
            let (sum, overflow) = sums[g].addingReportingOverflow(v.0)
            guard !v.1, !overflow, sum.magnitude <= maximumMagnitude.magnitude else {
                throw Refusal(
                    "decimals", "the sum of \(query.column ?? "") at \(query.decimals) decimals leaves the range shares add up in exactly; ask for fewer decimals")
            }
            sums[g] = sum
            counts[g] += 1
        }
        var vector: [Int64] = []
        vector.reserveCapacity(groupCount * 2)
        for g in 0..<groupCount {
            vector.append(values == nil ? 0 : sums[g])
            vector.append(counts[g])
        }
        return vector
    }

    static func power10(_ n: Int) -> Int64 {
        var p: Int64 = 1
        for _ in 0..<max(0, min(n, 12)) { p *= 10 }
        return p
    }
}

extension Int64 {
    /// `self / divisor` rounded half away from zero (divisor > 0).
    fileprivate func partialValue(roundedBy divisor: Int64) -> Int64 {
        let q = self / divisor, r = self % divisor
        if r.magnitude * 2 >= divisor.magnitude { return self < 0 ? q - 1 : q + 1 }
        return q
    }
}
