import DataspaceCore

import Foundation

extension PrivateQueryEngine {
    /// A query checked against the store and the offer: its columns resolved, its groups
    /// enumerated (public keys) or indexed (thresholded keys), its filter compiled to per-value
    /// decisions, and the measurements it spends budget on.
    public struct Plan: Sendable {
        public let query: PrivateQuery
        public let loss: PrivacyLoss
        public let delta: PrivacyAmount
        /// Grouped by a key whose values are not public: groups are released by threshold.
        public let thresholded: Bool
        let measurements: [Measurement]
        let readers: [Measurement: MeasurementReader]
        let groupBy: [String]
        let filter: CompiledFilter?
        let keyColumns: [(codes: [UInt32], dictionary: [String])]
        /// Per key column: whether the empty value occurs (else code 0 is no value of it).
        let emptyIsValue: [Bool]
        /// Public keys: the group id is the mixed-radix number of the key codes.
        let radices: [Int]
        /// Thresholded keys: group ids by key codes, and the key codes by group id.
        let groupIndex: [[UInt32]: Int]
        let groupKeys: [[UInt32]]
        public let groupCount: Int
        /// L0 for this query: one group when not grouped.
        let groupsPerUnit: Int

        init(query: PrivateQuery, store: QueryStore, loss: PrivacyLoss, delta: PrivacyAmount) throws(PrivateQueryError) {
            self.query = query
            self.loss = loss
            self.delta = delta
            let schema = store.schema
            func column(_ name: String, _ part: String) throws(PrivateQueryError) -> (Int, QueryStore.Column) {
                guard let i = store.index(of: name) else {
                    throw PrivateQueryError(part: part, "the product has no column '\(name)'; its columns are \(store.header.joined(separator: ", "))")
                }
                return (i, store.columns[i])
            }
            // Aggregates.
            var measurements: [Measurement] = []
            func need(_ m: Measurement) { if !measurements.contains(m) { measurements.append(m) } }
            for output in query.outputs {
                guard case .aggregate(let a) = output.kind else { continue }
                switch a {
                case .count(nil): need(.rows)
                case .count(let name?):
                    let (_, c) = try column(name, output.name)
                    if case .tooManyValues = c { need(.rows) } else { need(.present(name)) }
                    if case .privacyUnit = c { measurements.removeLast(); need(.rows) }
                case .sum(let name), .average(let name):
                    let (_, c) = try column(name, output.name)
                    guard case .bounded = c else {
                        throw PrivateQueryError(part: output.name, "'\(name)' has no declared bounds; only columns the publisher bounded (\(schema.bounds.keys.sorted().joined(separator: ", "))) can be summed or averaged")
                    }
                    need(.sum(name))
                    if case .average = a { need(.present(name)) }
                }
            }
            // Groups.
            groupBy = query.groupBy
            var keyColumns: [(codes: [UInt32], dictionary: [String])] = []
            var emptyIsValue: [Bool] = []
            var allPublic = true
            for key in query.groupBy {
                let (_, c) = try column(key, "GROUP BY \(key)")
                switch c {
                case .coded(let codes, let dictionary, let hasEmpty):
                    keyColumns.append((codes, dictionary))
                    emptyIsValue.append(hasEmpty)
                case .privacyUnit: throw PrivateQueryError(part: "GROUP BY \(key)", "grouping by the privacy unit would release one group per person")
                case .bounded: throw PrivateQueryError(part: "GROUP BY \(key)", "'\(key)' is a bounded numeric column; group by category columns")
                case .tooManyValues: throw PrivateQueryError(part: "GROUP BY \(key)", "'\(key)' has too many distinct values to group by")
                }
                if !schema.publicKeys.contains(key) { allPublic = false }
            }
            self.keyColumns = keyColumns
            self.emptyIsValue = emptyIsValue
            thresholded = !allPublic
            if thresholded {
                guard delta > .zero else {
                    let keys = query.groupBy.filter { !schema.publicKeys.contains($0) }
                    throw PrivateQueryError(
                        part: "GROUP BY \(keys.joined(separator: ", "))",
                        "\(keys.joined(separator: ", ")) \(keys.count == 1 ? "is" : "are") not a public key of this product (public keys: \(schema.publicKeys.isEmpty ? "none" : schema.publicKeys.joined(separator: ", "))); grouping by it needs a δ > 0 in the offer, for releasing only groups above a noisy threshold")
                }
                need(.rows)
                var index: [[UInt32]: Int] = [:]
                var keys: [[UInt32]] = []
                for row in 0..<store.rowCount {
                    let key = keyColumns.map { $0.codes[row] }
                    if index[key] == nil {
                        index[key] = keys.count
                        keys.append(key)
                    }
                }
                groupIndex = index
                groupKeys = keys
                radices = []
                groupCount = max(keys.count, 1)
            } else {
                var count = 1
                for (i, k) in keyColumns.enumerated() {
                    let (product, overflow) = count.multipliedReportingOverflow(by: k.dictionary.count)
                    guard !overflow, product <= PrivateQueryEngine.maximumGroups else {
                        throw PrivateQueryError(part: "GROUP BY \(query.groupBy[...i].joined(separator: ", "))", "would release more than \(PrivateQueryEngine.maximumGroups) groups; group by fewer keys")
                    }
                    count = product
                }
                radices = keyColumns.map(\.dictionary.count)
                groupIndex = [:]
                groupKeys = []
                groupCount = count
            }
            groupsPerUnit = query.groupBy.isEmpty ? 1 : schema.maxGroupsPerUnit
            // Bounding keeps a slot per unit and group it may touch (6 bytes each): at most 2²⁶
            // slots (384 MiB), whatever the publisher declared.
            let (slots, overflow) = store.unitCount.multipliedReportingOverflow(by: groupsPerUnit)
            guard !overflow, slots <= PrivateQueryEngine.maximumBoundingSlots else {
                throw PrivateQueryError(
                    part: "GROUP BY",
                    "\(store.unitCount) privacy units × \(groupsPerUnit) groups each is more than this node bounds in memory (\(PrivateQueryEngine.maximumBoundingSlots)); group by fewer keys or ask the publisher for a lower maxGroupsPerUnit")
            }
            // Filter.
            filter = try query.filter.map { (p) throws(PrivateQueryError) in try CompiledFilter(p, store: store) }
            self.measurements = measurements
            var readers: [Measurement: MeasurementReader] = [:]
            for m in measurements {
                switch m {
                case .rows: readers[m] = .rows
                case .present(let name), .sum(let name):
                    guard let i = store.index(of: name) else { continue }
                    switch (m, store.columns[i]) {
                    case (.sum, .bounded(let c)): readers[m] = .sum(c.values)
                    case (.present, .bounded(let c)): readers[m] = .presentBounded(c.values)
                    case (.present, .coded(let codes, _, _)): readers[m] = .presentCoded(codes)
                    default: readers[m] = .rows
                    }
                }
            }
            self.readers = readers
            guard loss.amount.share(of: measurements.count) > .zero else {
                throw PrivateQueryError(part: loss.parameter, "\(loss.amount) cannot be split among the query's \(measurements.count) measurements; ask for more")
            }
        }

        func group(of row: Int) -> Int? {
            if thresholded {
                return groupIndex[keyColumns.map { $0.codes[row] }]
            }
            var id = 0
            for (i, k) in keyColumns.enumerated() { id = id * radices[i] + Int(k.codes[row]) }
            return id
        }

        /// Whether a public-key group is a combination of values the columns hold: the empty
        /// value counts only where some cell is empty.
        func inDomain(_ group: Int) -> Bool {
            guard !thresholded else { return true }
            var rest = group
            for i in stride(from: keyColumns.count - 1, through: 0, by: -1) {
                if rest % radices[i] == 0, !emptyIsValue[i] { return false }
                rest /= radices[i]
            }
            return true
        }

        func keyValues(of group: Int) -> [String] {
            if thresholded {
                guard group < groupKeys.count else { return [] }
                return zip(groupKeys[group], keyColumns).map { $1.dictionary[Int($0)] }
            }
            var rest = group
            var values = [String](repeating: "", count: keyColumns.count)
            for i in stride(from: keyColumns.count - 1, through: 0, by: -1) {
                values[i] = keyColumns[i].dictionary[rest % radices[i]]
                rest /= radices[i]
            }
            return values
        }

        enum MeasurementReader: Sendable {
            case rows
            case presentBounded([Int64])
            case presentCoded([UInt32])
            case sum([Int64])
        }

        func reader(for m: Measurement) -> MeasurementReader { readers[m] ?? .rows }
    }
}
