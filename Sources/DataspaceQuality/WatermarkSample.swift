import DataspaceCore

/// The first distinct decimal values of a leaked file, gathered as its bytes arrive, for
/// `Watermark.trace`. It keeps only the token being read and the values found, so tracing a
/// large file costs the memory of its sample, not of the file (splitting the whole text into
/// lines and fields cost about 25 bytes per input byte).
///
/// CSV: the header line (the first that is not blank) is skipped; fields are split at commas and line ends (quoting is not
/// interpreted: a marked value never holds a comma) and lose surrounding quotes, spaces and a
/// carriage return. JSON lines: tokens are split at JSON punctuation and white space, so only
/// numbers written as numbers count. A token longer than `longestToken` bytes is no value.
///
/// Each value also keeps the column it was read from (CSV: its field's place in the line, named
/// by the header; JSON lines: the last key before it on its line), so a trace can score a marked
/// column on its own when a leaker pads the file with unmarked columns.
public struct WatermarkSample: Sendable {
    public let format: TabularFormat
    /// How many distinct values to keep; the rest of the file is not looked at.
    public let limit: Int
    /// The values found, one per distinct text before the last digit (the first seen): copies
    /// carry the same bit and are one trial to a trace, so they do not use up `limit`.
    public private(set) var values: [Substring] = []
    /// For each of `values`, the column it was first read from (an index into `columnNames`, or
    /// into the line's fields past the header's), nil when it has none: a CSV field past
    /// `maxColumns`, a JSON key past the first `maxColumns` distinct ones, a value before any key.
    public private(set) var columns: [Int?] = []
    /// Column names: the CSV header's fields, or JSON keys in the order first seen (control and
    /// format characters dropped, cut at `longestName` characters).
    public private(set) var columnNames: [String] = []
    /// Columns told apart; a file with more (or a hostile one inventing keys) has the rest
    /// scored only with all values together.
    public static let maxColumns = 64
    /// The header line (CSV) kept for its names, up to this many bytes.
    static let longestHeader = 64 << 10
    private var header: [UInt8] = []
    /// CSV: the field being read, counted from 0 at each line start. JSON lines: the last key's column.
    private var field = 0
    private var column: Int?
    private var keyColumns: [String: Int] = [:]
    private var trials = DistinctTrials()
    /// Decimal values read, copies included: reading stops after `limit` × `readsPerValue`, so a
    /// file repeating a few values costs a bounded number of look-ups, not one per value of a
    /// 256 MiB body (a real leak reaches `limit` distinct values long before).
    private var read = 0
    static let readsPerValue = 64
    /// Tokens beyond this length are not numbers a delivery marked.
    public static let longestToken = 1_024
    private var token: [UInt8] = []
    private var tokenTooLong = false
    private var inHeader: Bool
    /// The header line has begun (blank lines before it are not the header).
    private var headerStarted = false

    public init(format: TabularFormat, limit: Int = .max) {
        self.format = format
        self.limit = max(0, limit)
        inHeader = format == .csv
    }

    /// Whether `limit` distinct values were found, or `limit` × `readsPerValue` values read
    /// (feeding more changes nothing).
    public var isFull: Bool { values.count >= limit || read / Self.readsPerValue >= limit }

    /// Reads the next bytes of the file.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            if isFull { return }
            if inHeader {
                if byte == UInt8(ascii: "\n") {
                    inHeader = !headerStarted
                    if !inHeader { nameColumns() }
                } else {
                    if byte != UInt8(ascii: "\r") { headerStarted = true }
                    if headerStarted, header.count < Self.longestHeader { header.append(byte) }
                }
                continue
            }
            if isSeparator(byte) {
                endToken(at: byte)
                nextColumn(after: byte)
            } else if token.count < Self.longestToken {
                token.append(byte)
            } else {
                tokenTooLong = true
            }
        }
    }

    /// The end of the file: its last token counts even without a line end.
    public mutating func finish() {
        if !inHeader, !isFull { endToken(at: UInt8(ascii: "\n")) }
    }

    /// CSV: names the columns from the header's fields (quotes, spaces and a carriage return trimmed).
    private mutating func nameColumns() {
        columnNames = header.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).prefix(Self.maxColumns).map { name in
            Self.columnName(Self.trimmed(name))
        }
        header = []
    }

    /// A name as read from the file, made safe to show (`ShownText`), at most `longestName` characters.
    static func columnName(_ bytes: ArraySlice<UInt8>) -> String {
        ShownText.safe(String(decoding: bytes, as: UTF8.self), limit: Self.longestName)
    }

    /// Names longer than this many characters are cut.
    public static let longestName = 128

    /// Moves to the column the next token belongs to, after `separator` ended a token.
    private mutating func nextColumn(after separator: UInt8) {
        switch format {
        case .csv:
            field = separator == UInt8(ascii: "\n") ? 0 : min(field + 1, Self.maxColumns)
        case .jsonLines:
            if separator == UInt8(ascii: "\n") { column = nil }
        }
    }

    /// A CSV field without surrounding quotes and spaces, or a trailing carriage return.
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var value = bytes
        while let c = value.first, c == UInt8(ascii: "\"") || c == UInt8(ascii: " ") { value = value.dropFirst() }
        while let c = value.last, c == UInt8(ascii: "\"") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\r") { value = value.dropLast() }
        return value
    }

    private func isSeparator(_ byte: UInt8) -> Bool {
        switch format {
        case .csv:
            return byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n")
        case .jsonLines:
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"),
                UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                return true
            default:
                return false
            }
        }
    }

    /// Ends the token read so far at `separator`.
    private mutating func endToken(at separator: UInt8) {
        defer {
            token.removeAll(keepingCapacity: true)
            tokenTooLong = false
        }
        guard !tokenTooLong, !token.isEmpty else { return }
        let value = format == .csv ? Self.trimmed(token[...]) : token[...]
        if format == .jsonLines, separator == UInt8(ascii: ":") { noteKey(value) }
        guard Watermark.isDecimal(value) else { return }
        read += 1
        let text = Substring(String(decoding: value, as: UTF8.self))
        if trials.isNew(text) {
            values.append(text)
            columns.append(format == .csv ? (field < Self.maxColumns ? field : nil) : column)
        }
    }

    /// JSON lines: a quoted token before a colon is a key; the values after it are its column.
    /// Other tokens before a colon (a time such as "12:30" inside a string) name nothing.
    private mutating func noteKey(_ token: ArraySlice<UInt8>) {
        guard token.count >= 2, token.first == UInt8(ascii: "\""), token.last == UInt8(ascii: "\"") else { return }
        let key = Self.columnName(token.dropFirst().dropLast())
        if let known = keyColumns[key] {
            column = known
        } else if keyColumns.count < Self.maxColumns {
            column = keyColumns.count
            keyColumns[key] = keyColumns.count
            columnNames.append(key)
        } else {
            column = nil
        }
    }
}
