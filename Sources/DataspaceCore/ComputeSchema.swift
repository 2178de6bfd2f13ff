/// What a publisher declares about a product so it can be computed on in place (`--privacy-unit`,
/// `--bounds`, public keys, contribution limits): the facts that make a differentially private
/// answer's sensitivity finite. Validated against the file's header when the store is built.
public struct ComputeSchema: Sendable, Hashable {
    /// The column that identifies whose row it is (a person, a patient, a company). nil: every
    /// row is its own unit.
    public var privacyUnit: String?
    /// Declared ranges for the columns SUM and AVG may read; values are clamped into them.
    public var bounds: [String: ColumnBounds]
    /// Columns whose set of values is public (regions, years, categories): grouping by them
    /// releases every value, empty or not, without spending budget on choosing which.
    public var publicKeys: [String]
    /// Rows one unit contributes to each group (L∞ bound).
    public var maxRowsPerUnit: Int
    /// Groups one unit contributes to (L0 bound).
    public var maxGroupsPerUnit: Int
    /// Identifier columns a consumer may match its own identifiers against by private set
    /// intersection (customer ids, phone numbers): never released, only matched.
    public var matchColumns: [String] = []

    public static let rowsPerUnitRange = 1...10_000
    public static let groupsPerUnitRange = 1...64
    public static let maximumBoundedColumns = 256

    public init(privacyUnit: String? = nil, bounds: [String: ColumnBounds] = [:], publicKeys: [String] = [], maxRowsPerUnit: Int = 1, maxGroupsPerUnit: Int = 1) {
        self.privacyUnit = privacyUnit
        self.bounds = bounds
        self.publicKeys = publicKeys
        self.maxRowsPerUnit = maxRowsPerUnit
        self.maxGroupsPerUnit = maxGroupsPerUnit
    }

    /// Checks the declaration against the file's columns; the error names the field.
    public func validate(header: [String]) throws(ComputeSchemaError) {
        let columns = Set(header)
        if let unit = privacyUnit, !columns.contains(unit) {
            throw ComputeSchemaError(field: "privacyUnit", "the file has no column '\(unit)'")
        }
        guard bounds.count <= Self.maximumBoundedColumns else {
            throw ComputeSchemaError(field: "bounds", "at most \(Self.maximumBoundedColumns) columns can be bounded")
        }
        for column in bounds.keys.sorted() {
            guard columns.contains(column) else { throw ComputeSchemaError(field: "bounds.\(column)", "the file has no such column") }
            guard column != privacyUnit else { throw ComputeSchemaError(field: "bounds.\(column)", "the privacy unit cannot be summed") }
        }
        for key in publicKeys {
            guard columns.contains(key) else { throw ComputeSchemaError(field: "publicKeys.\(key)", "the file has no such column") }
            guard key != privacyUnit else { throw ComputeSchemaError(field: "publicKeys.\(key)", "the privacy unit is never a public key") }
            guard bounds[key] == nil else { throw ComputeSchemaError(field: "publicKeys.\(key)", "a bounded numeric column cannot also be a grouping key") }
        }
        for column in matchColumns where !columns.contains(column) {
            throw ComputeSchemaError(field: "matchColumns.\(column)", "the file has no such column")
        }
        guard Self.rowsPerUnitRange.contains(maxRowsPerUnit) else {
            throw ComputeSchemaError(field: "maxRowsPerUnit", "must be between \(Self.rowsPerUnitRange.lowerBound) and \(Self.rowsPerUnitRange.upperBound)")
        }
        guard Self.groupsPerUnitRange.contains(maxGroupsPerUnit) else {
            throw ComputeSchemaError(field: "maxGroupsPerUnit", "must be between \(Self.groupsPerUnitRange.lowerBound) and \(Self.groupsPerUnitRange.upperBound)")
        }
    }
}

/// A declared range `LO:HI` for a numeric column, in fixed point with the larger number of
/// decimals the two ends are written with (at most 6): `0:120.5` keeps one decimal.
public struct ColumnBounds: Sendable, Hashable, CustomStringConvertible {
    public let lower: Int64
    public let upper: Int64
    /// Values are held as integers × 10^decimals.
    public let decimals: Int

    public static let maximumDecimals = 6
    /// Ends beyond ±10^12 are refused: sums of millions of such values would leave 64 bits.
    public static let maximumMagnitude: Int64 = 1_000_000_000_000

    /// Parses `LO:HI`; the error says what is wrong.
    public init(parsing text: String) throws(ComputeSchemaError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ComputeSchemaError(field: "bounds", "'\(text.prefix(40))' is not LO:HI, e.g. 0:120") }
        guard let low = FixedPoint.decimals(of: String(parts[0])), let high = FixedPoint.decimals(of: String(parts[1])) else {
            throw ComputeSchemaError(field: "bounds", "'\(text.prefix(40))': both ends must be plain decimal numbers such as -5 or 120.5")
        }
        let decimals = max(low, high)
        guard decimals <= Self.maximumDecimals else {
            throw ComputeSchemaError(field: "bounds", "'\(text.prefix(40))' has more than \(Self.maximumDecimals) decimals")
        }
        guard case .value(let lo) = FixedPoint.parse(Array(parts[0].utf8)[...], decimals: decimals),
            case .value(let hi) = FixedPoint.parse(Array(parts[1].utf8)[...], decimals: decimals)
        else { throw ComputeSchemaError(field: "bounds", "'\(text.prefix(40))' is out of range") }
        let limit = Self.maximumMagnitude * FixedPoint.powerOfTen(decimals)
        guard lo >= -limit, hi <= limit else {
            throw ComputeSchemaError(field: "bounds", "'\(text.prefix(40))': ends must lie within ±\(Self.maximumMagnitude)")
        }
        guard lo < hi else { throw ComputeSchemaError(field: "bounds", "'\(text.prefix(40))': the lower end must be below the upper end") }
        lower = lo
        upper = hi
        self.decimals = decimals
    }

    /// The largest magnitude one row can contribute, in fixed-point units.
    public var magnitude: Int64 { max(Swift.abs(lower), Swift.abs(upper)) }

    public var description: String { "\(FixedPoint.render(Int128(lower), decimals: decimals)):\(FixedPoint.render(Int128(upper), decimals: decimals))" }
}

public struct ComputeSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}
