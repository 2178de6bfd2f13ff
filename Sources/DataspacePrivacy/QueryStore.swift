import DataspaceCore

/// A product's rows laid out by column for differentially private queries, built once at publish
/// time. Columnar because a query reads a few columns of every row: bounded columns are fixed-point
/// integers already clamped to their declared range (so no query can see an unclamped value),
/// other columns are dictionary codes (a filter or grouping is decided once per distinct value,
/// then read as an array of codes), and the privacy unit is a dense code with its text dropped.
/// Rows are stored in a random order drawn from the system's CSPRNG, so keeping the first rows
/// of a unit when bounding its contribution keeps a uniformly random subset of them.
public struct QueryStore: Sendable {
    public enum Column: Sendable {
        /// Clamped values × 10^decimals; `FixedPointColumn.missing` where the cell was not a number.
        case bounded(FixedPointColumn)
        /// Dictionary codes; code 0 is the empty cell (`hasEmpty`: some cell is empty, so
        /// the empty value is one of the column's values).
        case coded(codes: [UInt32], dictionary: [String], hasEmpty: Bool)
        /// A column with more distinct values than a dictionary holds: neither filtered nor grouped.
        case tooManyValues
        /// The privacy unit (codes in `units`).
        case privacyUnit
    }

    public struct FixedPointColumn: Sendable {
        public static let missing = Int64.min
        public let values: [Int64]
        public let bounds: ColumnBounds
    }

    public let header: [String]
    public let columns: [Column]
    /// The privacy unit of each row, dense from 0.
    public let units: [UInt32]
    public let unitCount: Int
    public let schema: ComputeSchema
    public var rowCount: Int { units.count }

    public func index(of column: String) -> Int? { header.firstIndex(of: column) }
}

/// Builds a `QueryStore` from CSV records (the first is the header).
public struct QueryStoreBuilder {
    /// Distinct values a text column keeps a dictionary for.
    public static let maximumDictionary = 1 << 20

    let schema: ComputeSchema
    var header: [String] = []
    var unitColumn: Int?
    var boundedValues: [Int: [Int64]] = [:]
    var codes: [Int: [UInt32]] = [:]
    var dictionaries: [Int: [String: UInt32]] = [:]
    var overflowed: Set<Int> = []
    var units: [UInt32] = []
    var unitCodes: [[UInt8]: UInt32] = [:]
    var rowCount = 0

    public init(schema: ComputeSchema) { self.schema = schema }

    /// Takes one record; the first is the header.
    public mutating func add(_ record: [[UInt8]]) throws(ComputeSchemaError) {
        if header.isEmpty {
            header = record.map { String(decoding: $0, as: UTF8.self) }
            guard Set(header).count == header.count else {
                throw ComputeSchemaError(field: "header", "two columns have the same name")
            }
            try schema.validate(header: header)
            unitColumn = schema.privacyUnit.flatMap { header.firstIndex(of: $0) }
            for (i, name) in header.enumerated() where i != unitColumn {
                if schema.bounds[name] != nil { boundedValues[i] = [] } else {
                    codes[i] = []
                    dictionaries[i] = ["": 0]
                }
            }
            return
        }
        guard record.count == header.count else {
            throw ComputeSchemaError(field: "row \(rowCount + 1)", "has \(record.count) fields; the header has \(header.count)")
        }
        for (i, cell) in record.enumerated() {
            if i == unitColumn {
                let next = UInt32(unitCodes.count)
                let code = unitCodes[cell, default: next]
                if code == next { unitCodes[cell] = code }
                units.append(code)
            } else if let bounds = schema.bounds[header[i]] {
                boundedValues[i, default: []].append(Self.clamped(cell, bounds))
            } else if !overflowed.contains(i) {
                let text = String(decoding: cell, as: UTF8.self)
                let next = UInt32(dictionaries[i]?.count ?? 0)
                let code = dictionaries[i]?[text] ?? next
                if code == next {
                    if Int(next) >= Self.maximumDictionary {
                        overflowed.insert(i)
                        codes[i] = nil
                        dictionaries[i] = nil
                        continue
                    }
                    dictionaries[i]?[text] = code
                }
                codes[i]?.append(code)
            }
        }
        if unitColumn == nil { units.append(UInt32(truncatingIfNeeded: rowCount)) }
        rowCount += 1
    }

    /// A cell as a clamped fixed-point value, or `missing` when it is not a number (NaN and
    /// infinities included); 1e300 saturates, then clamps to the upper bound.
    static func clamped(_ cell: [UInt8], _ bounds: ColumnBounds) -> Int64 {
        switch FixedPoint.parse(cell[...], decimals: bounds.decimals) {
        case .value(let v): min(max(v, bounds.lower), bounds.upper)
        case .saturated(let negative): negative ? bounds.lower : bounds.upper
        case .notANumber: QueryStore.FixedPointColumn.missing
        }
    }

    /// The store, rows in an order drawn from `random` (the system CSPRNG in production).
    public consuming func build<R: RandomNumberGenerator>(using random: inout R) throws(ComputeSchemaError) -> QueryStore {
        guard !header.isEmpty else { throw ComputeSchemaError(field: "file", "has no header") }
        guard rowCount <= Int(UInt32.max) else { throw ComputeSchemaError(field: "file", "has more than 4,294,967,295 rows") }
        var order = Array(0..<rowCount)
        order.shuffle(using: &random)
        func permuted<T>(_ values: [T]) -> [T] { order.map { values[$0] } }
        var columns: [QueryStore.Column] = []
        for (i, name) in header.enumerated() {
            if i == unitColumn {
                columns.append(.privacyUnit)
            } else if let values = boundedValues[i], let bounds = schema.bounds[name] {
                columns.append(.bounded(QueryStore.FixedPointColumn(values: permuted(values), bounds: bounds)))
            } else if let c = codes[i], let d = dictionaries[i] {
                var names = [String](repeating: "", count: d.count)
                for (text, code) in d { names[Int(code)] = text }
                columns.append(.coded(codes: permuted(c), dictionary: names, hasEmpty: c.contains(0)))
            } else {
                columns.append(.tooManyValues)
            }
        }
        return QueryStore(
            header: header, columns: columns, units: permuted(units),
            unitCount: unitColumn == nil ? rowCount : unitCodes.count, schema: schema)
    }
}
