import DataspaceCore
import Foundation

/// Bounds that keep profiling in constant memory, whatever the file's size.
public struct ProfileOptions: Sendable {
    /// Distinct values counted exactly (by 64-bit hash) up to this many; HyperLogLog beyond.
    public var exactDistinctLimit = 10_000
    /// Distinct value shapes kept per column.
    public var patternLimit = 1_000
    /// Top values and patterns reported per column.
    public var topValues = 10
    /// Non-null values per column run through the sensitive-data detectors: all of them up to
    /// this many; beyond, those of a sample of rows chosen by their content's hash, within this
    /// many unless rows repeat heavily, the same however the file is cut (`DetectorSample`).
    public var sensitiveCheckLimit = 1_000_000
    /// Count duplicate rows (about 11 bytes of memory per distinct row).
    public var duplicateRows = true
    /// The assessor's memory bound in bytes. The process and its read buffers fit in
    /// `fixedMemory`, what the columns remember in `columnMemory`; the uniqueness tables
    /// (duplicate rows, declared keys) share the rest. A file with more distinct rows or keys
    /// than that holds is counted as far as it goes, and a column whose values outgrow its
    /// share is estimated sooner, the report saying so (`DatasetProfile.approximations`).
    public var memoryLimit = 300_000_000
    /// What profiling takes besides columns and uniqueness tables: the process itself, read
    /// buffers, a block of rows per part.
    public static let fixedMemory = 34_000_000
    /// What all columns of all parts may hold — exact value counts with their texts, shapes,
    /// sketches — a tenth of the bound, shared out equally (`ColumnMemory`): at the default,
    /// 12 columns in 2 parts can each count 10,000 distinct values of 25 bytes exactly. (A
    /// sixth left the uniqueness tables too little for 10 million rows with a declared key.)
    public var columnMemory: Int { memoryLimit / 10 }
    /// Files at least this large are profiled in parallel parts (one per core).
    public var parallelThreshold: Int64 = 32 << 20
    /// Parts for a parallel profile (default: the number of active cores).
    public var parts = ProcessInfo.processInfo.activeProcessorCount
    /// The longest record (CSV row or JSON line) accepted; a longer one stops profiling with an
    /// error rather than holding the file in memory. At most `recordBytesCeiling` (a larger
    /// setting is taken as that): the profiler addresses a block's bytes with 32-bit offsets.
    public var maximumRecordBytes: Int {
        get { recordBytes }
        set { recordBytes = min(max(newValue, 0), Self.recordBytesCeiling) }
    }
    private var recordBytes = 16 << 20
    /// The most `maximumRecordBytes` can be: a block's bytes (1 MiB), one record and one
    /// chunk (`TabularProfiler.largestChunk`) stay far below 4 GiB.
    public static let recordBytesCeiling = 1 << 30
    /// The most columns (fields per row, or distinct keys across JSON lines) accepted.
    public var maximumColumns = 10_000
    /// The zone in which timestamps written without one (`2026-11-01 08:00`, `20261101`) are read.
    public var timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .gmt
    /// The time freshness is judged at (default: when the report is made).
    public var now: Date?
    /// Refuse, rather than count, what makes a file not the table it claims to be: a row with
    /// more or fewer fields than the header, a stray quote, text after a closing quote, a JSON
    /// line that is no object, and (CSV) a header column without a name or named twice. The
    /// first one is a `ProfileError` naming its line. A publish sets it for a CSV: the profile
    /// of the upload is then also its validation, so the bytes are tokenized once.
    public var refuseProblems = false

    public init() {}
}

/// One column's profile. Values never appear except in `topValues` (which callers redact for
/// sensitive columns) and min/max.
public struct ColumnProfile: Sendable, Equatable {
    public struct ValueCount: Sendable, Equatable {
        public let value: String
        public let count: Int

        public init(value: String, count: Int) {
            self.value = value
            self.count = count
        }
    }

    public struct Detection: Sendable, Equatable {
        public let kind: SensitiveKind
        public let count: Int
        /// Values the detectors looked at: every non-null value up to the check limit, beyond it
        /// those of a hash sample of rows (`DetectorSample`).
        public let checked: Int
        public var share: Double { checked == 0 ? 0 : Double(count) / Double(checked) }
    }

    public enum Bound: Sendable, Equatable {
        case number(Double)
        case text(String)
    }

    public let name: String
    public let values: Int
    public let nulls: Int
    public let types: [ValueType: Int]
    public let inferredType: ValueType
    public let distinct: Int
    public let distinctExact: Bool
    public let minimum: Bound?
    public let maximum: Bound?
    public let mean: Double?
    public let standardDeviation: Double?
    public let minLength: Int?
    public let maxLength: Int?
    public let topValues: [ValueCount]
    public let topValuesExact: Bool
    public let patterns: [ValueCount]
    public let sensitive: [Detection]
    /// Values shaped like resident IDs (province, birth date) whose check character is wrong —
    /// validity failures of an identity-number column, not another kind of identifier.
    public var mistypedResidentIDs = 0

    public var nonNull: Int { values - nulls }

    /// The column holds resident IDs: at least half of the values checked are valid ones.
    public var isResidentIDColumn: Bool { sensitive.contains { $0.kind == .residentID && $0.share >= 0.5 } }

    public var json: JSONValue {
        func bound(_ b: Bound?) -> JSONValue {
            switch b {
            case .number(let n): .number(n)
            case .text(let t): .string(t)
            case nil: .null
            }
        }
        var object: [String: JSONValue] = [
            "name": .string(name), "values": .number(Double(values)), "nulls": .number(Double(nulls)),
            "types": .object(Dictionary(uniqueKeysWithValues: types.map { ($0.key.rawValue, JSONValue.number(Double($0.value))) })),
            "inferredType": .string(inferredType.rawValue), "distinct": .number(Double(distinct)), "distinctExact": .bool(distinctExact),
            "min": bound(minimum), "max": bound(maximum),
            "topValuesExact": .bool(topValuesExact),
            "topValues": .array(topValues.map { ["value": .string($0.value), "count": .number(Double($0.count))] }),
            "patterns": .array(patterns.map { ["pattern": .string($0.value), "count": .number(Double($0.count))] }),
            "sensitive": .array(sensitive.map {
                ["kind": .string($0.kind.rawValue), "count": .number(Double($0.count)), "checked": .number(Double($0.checked)), "share": .number($0.share)]
            }),
        ]
        if let mean { object["mean"] = .number(mean) }
        if let standardDeviation { object["stddev"] = .number(standardDeviation) }
        if let minLength { object["minLength"] = .number(Double(minLength)) }
        if let maxLength { object["maxLength"] = .number(Double(maxLength)) }
        if mistypedResidentIDs > 0 { object["mistypedResidentIds"] = .number(Double(mistypedResidentIDs)) }
        return .object(object)
    }

    /// The same profile with values that could identify people removed (top values and min/max
    /// of columns where detectors fired), for reports that leave the node.
    public var redacted: ColumnProfile {
        guard sensitive.contains(where: { $0.kind.isPersonal && $0.count > 0 }) else { return self }
        return ColumnProfile(
            name: name, values: values, nulls: nulls, types: types, inferredType: inferredType, distinct: distinct, distinctExact: distinctExact,
            minimum: nil, maximum: nil, mean: mean, standardDeviation: standardDeviation, minLength: minLength, maxLength: maxLength,
            topValues: [], topValuesExact: topValuesExact, patterns: patterns, sensitive: sensitive, mistypedResidentIDs: mistypedResidentIDs)
    }
}

/// A whole file's profile.
public struct DatasetProfile: Sendable, Equatable {
    public let format: TabularFormat
    public let bytes: Int64
    public let rows: Int
    public let columns: [ColumnProfile]
    /// Rows identical to an earlier row (nil when not counted).
    public let duplicateRows: Int?
    /// Rows with more or fewer fields than the header (missing fields count as nulls, extra ones are ignored).
    public let raggedRows: Int
    /// JSON-lines lines that are not a JSON object (skipped).
    public let malformedLines: Int
    public let firstProblemLine: Int?
    /// Where exactness had to yield to the memory bound, one line each for the report
    /// (empty when every count is exact).
    public let approximations: [String]
    /// Scores against the declared rules, or against what the profile implies.
    public private(set) var quality: QualityReport?

    init(format: TabularFormat, bytes: Int64, rows: Int, columns: [ColumnProfile], duplicateRows: Int?, raggedRows: Int, malformedLines: Int, firstProblemLine: Int?,
        approximations: [String] = []
    ) {
        self.approximations = approximations
        self.format = format
        self.bytes = bytes
        self.rows = rows
        self.columns = columns
        self.duplicateRows = duplicateRows
        self.raggedRows = raggedRows
        self.malformedLines = malformedLines
        self.firstProblemLine = firstProblemLine
    }

    func with(quality: QualityReport) -> DatasetProfile {
        var copy = self
        copy.quality = quality
        return copy
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "format": .string(format.rawValue), "bytes": .number(Double(bytes)), "rows": .number(Double(rows)),
            "columns": .array(columns.map(\.json)), "raggedRows": .number(Double(raggedRows)), "malformedLines": .number(Double(malformedLines)),
        ]
        if let duplicateRows { object["duplicateRows"] = .number(Double(duplicateRows)) }
        if let firstProblemLine { object["firstProblemLine"] = .number(Double(firstProblemLine)) }
        if !approximations.isEmpty { object["approximations"] = .array(approximations.map(JSONValue.string)) }
        if let quality { object["quality"] = quality.json }
        return .object(object)
    }
}

/// Why a file could not be profiled at all (as opposed to problems counted in the profile).
public struct ProfileError: Error, Sendable, CustomStringConvertible {
    public let line: Int?
    /// The byte offset the message names, if any.
    let offset: Int64
    /// The message for a line and byte offset: a part of a file profiled on its own counts both
    /// from its start, and its error is moved to the whole file's numbering (`moved`).
    private let render: @Sendable (_ line: Int, _ offset: Int64) -> String

    public init(_ description: String, line: Int? = nil) {
        self.line = line
        offset = 0
        render = { _, _ in description }
    }

    /// An error whose message names its own line (and byte offset) through `render`.
    init(line: Int, offset: Int64 = 0, _ render: @escaping @Sendable (_ line: Int, _ offset: Int64) -> String) {
        self.line = line
        self.offset = offset
        self.render = render
    }

    public var description: String { render(line ?? 0, offset) }

    /// The same error in a part that starts `lines` lines and `bytes` bytes into the file.
    func moved(lines: Int, bytes: Int64) -> ProfileError {
        guard let line else { return self }
        return ProfileError(line: line + lines, offset: offset + bytes, render)
    }
}
