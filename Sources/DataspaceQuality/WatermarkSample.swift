import DataspaceCore

/// The first distinct decimal values of a leaked file, gathered as its bytes arrive, for
/// `Watermark.trace`. It keeps only the token being read and the values found, so tracing a
/// large file costs the memory of its sample, not of the file (splitting the whole text into
/// lines and fields cost about 25 bytes per input byte).
///
/// CSV: fields are read as RFC 4180 writes them (a field opening with a quote runs to its
/// closing quote, commas and line ends included, "" being one quote; text after a closing
/// quote is kept, as the delivery reads it), then lose surrounding quotes, spaces and a
/// carriage return; the header line (the first that is not blank) names the columns. A UTF-8
/// byte order mark at the file's start is not read. JSON
/// lines: tokens are split at JSON punctuation and white space outside strings, so only numbers
/// written as numbers count (a string ends at its line's end). A token longer than
/// `longestToken` bytes is no value.
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
    /// Tokens beyond this length are not numbers a delivery marked (a header field's name is
    /// taken from its first `longestToken` bytes).
    public static let longestToken = 1_024
    private var token: [UInt8] = []
    private var tokenTooLong = false
    /// Where the reader is in a CSV field's quoting or a JSON string.
    private enum Quoting { case outside, inside, quoteInside, escapeInside }
    private var quoting = Quoting.outside
    /// JSON lines: a string token that white space ended, the key when a colon follows (`"a" : 1.5`).
    private var stringBeforeSpace: [UInt8]?
    private var inHeader: Bool
    /// The header line has begun (blank lines before it are not the header).
    private var headerStarted = false
    /// Bytes of a UTF-8 byte order mark matched at the file's start (Excel's "CSV UTF-8" writes
    /// one, and a delivery holds none); nil once past it.
    private var byteOrderMark: Int? = 0
    private static let byteOrderMarkBytes: [UInt8] = [0xEF, 0xBB, 0xBF]

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
        var rest = bytes[...]
        // The file's first bytes only: the loop below stays as it was for every other byte.
        while let matched = byteOrderMark, let byte = rest.first {
            if byte == Self.byteOrderMarkBytes[matched] {
                byteOrderMark = matched + 1 < Self.byteOrderMarkBytes.count ? matched + 1 : nil
                rest = rest.dropFirst()
            } else {
                // Not a mark after all: its first bytes are the file's.
                endByteOrderMark()
            }
        }
        for byte in rest {
            if isFull { return }
            take(byte)
        }
    }

    private mutating func take(_ byte: UInt8) {
        switch format {
        case .csv: csvByte(byte)
        case .jsonLines: jsonByte(byte)
        }
    }

    /// Past the file's start: bytes held as the start of a mark that did not follow are read.
    private mutating func endByteOrderMark() {
        let held = byteOrderMark ?? 0
        byteOrderMark = nil
        for byte in Self.byteOrderMarkBytes.prefix(held) { take(byte) }
    }

    /// The end of the file: its last token counts even without a line end. The set that told
    /// values apart is let go (a quarter of the memory of a full sample) before the trace runs.
    public mutating func finish() {
        defer { trials = DistinctTrials() }
        guard !isFull else { return }
        endByteOrderMark()
        switch format {
        case .csv:
            if inHeader {
                if headerStarted { endHeaderField(lineEnds: true) }
            } else {
                endToken(at: UInt8(ascii: "\n"))
            }
        case .jsonLines:
            endToken(at: UInt8(ascii: "\n"))
        }
    }

    /// One byte of a CSV file: quoting as RFC 4180 (and the delivery) reads it.
    private mutating func csvByte(_ byte: UInt8) {
        switch quoting {
        case .inside:
            if byte == UInt8(ascii: "\"") { quoting = .quoteInside } else { append(byte) }
            return
        case .quoteInside:
            // "" inside a quoted field is one quote; anything else closes the quoting.
            quoting = byte == UInt8(ascii: "\"") ? .inside : .outside
            if byte == UInt8(ascii: "\"") {
                append(byte)
                return
            }
        case .outside, .escapeInside:
            break
        }
        if inHeader, byte != UInt8(ascii: "\r"), byte != UInt8(ascii: "\n") { headerStarted = true }
        switch byte {
        case UInt8(ascii: "\"") where token.isEmpty && !tokenTooLong:
            quoting = .inside
        case UInt8(ascii: ","), UInt8(ascii: "\n"):
            if inHeader {
                // Blank lines before the header are skipped.
                if headerStarted { endHeaderField(lineEnds: byte == UInt8(ascii: "\n")) } else { clearToken() }
            } else {
                endToken(at: byte)
                field = byte == UInt8(ascii: "\n") ? 0 : min(field + 1, Self.maxColumns)
            }
        default:
            append(byte)
        }
    }

    /// One byte of a JSON-lines file: punctuation and white space end a token outside strings.
    private mutating func jsonByte(_ byte: UInt8) {
        switch quoting {
        case .inside where byte != UInt8(ascii: "\n"):
            if byte == UInt8(ascii: "\"") { quoting = .outside } else if byte == UInt8(ascii: "\\") { quoting = .escapeInside }
            append(byte)
            return
        case .escapeInside where byte != UInt8(ascii: "\n"):
            quoting = .inside
            append(byte)
            return
        default:
            quoting = .outside
        }
        switch byte {
        case UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"),
            UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
            endToken(at: byte)
            if byte == UInt8(ascii: "\n") { column = nil }
        case UInt8(ascii: "\""):
            quoting = .inside
            append(byte)
        default:
            append(byte)
        }
    }

    private mutating func append(_ byte: UInt8) {
        if token.count < Self.longestToken { token.append(byte) } else { tokenTooLong = true }
    }

    private mutating func clearToken() {
        token.removeAll(keepingCapacity: true)
        tokenTooLong = false
    }

    /// CSV: a header field ended; it names the next column (quotes, spaces and a carriage return trimmed).
    private mutating func endHeaderField(lineEnds: Bool) {
        if columnNames.count < Self.maxColumns { columnNames.append(Self.columnName(Self.trimmed(token[...]))) }
        clearToken()
        if lineEnds { inHeader = false }
    }

    /// A name as read from the file, made safe to show (`ShownText`), at most `longestName` characters.
    static func columnName(_ bytes: ArraySlice<UInt8>) -> String {
        ShownText.safe(String(decoding: bytes, as: UTF8.self), limit: Self.longestName)
    }

    /// Names longer than this many characters are cut.
    public static let longestName = 128

    /// A CSV field without surrounding quotes and spaces, or a trailing carriage return.
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var value = bytes
        while let c = value.first, c == UInt8(ascii: "\"") || c == UInt8(ascii: " ") { value = value.dropFirst() }
        while let c = value.last, c == UInt8(ascii: "\"") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\r") { value = value.dropLast() }
        return value
    }

    /// Ends the token read so far at `separator`.
    private mutating func endToken(at separator: UInt8) {
        defer { clearToken() }
        if format == .jsonLines { noteKeys(before: separator) }
        guard !tokenTooLong, !token.isEmpty else { return }
        let value = format == .csv ? Self.trimmed(token[...]) : token[...]
        guard Watermark.isDecimal(value) else { return }
        read += 1
        let text = Substring(String(decoding: value, as: UTF8.self))
        if trials.isNew(text) {
            values.append(text)
            columns.append(format == .csv ? (field < Self.maxColumns ? field : nil) : column)
        }
    }

    /// JSON lines: a string before a colon, with or without white space between, is a key.
    private mutating func noteKeys(before separator: UInt8) {
        let isSpace = separator == UInt8(ascii: " ") || separator == UInt8(ascii: "\t") || separator == UInt8(ascii: "\r")
        if !token.isEmpty {
            stringBeforeSpace = nil
            if separator == UInt8(ascii: ":") {
                if !tokenTooLong { noteKey(token[...]) }
            } else if isSpace, !tokenTooLong, token.first == UInt8(ascii: "\"") {
                stringBeforeSpace = token
            }
        } else if separator == UInt8(ascii: ":"), let key = stringBeforeSpace {
            stringBeforeSpace = nil
            noteKey(key[...])
        } else if !isSpace {
            stringBeforeSpace = nil
        }
    }

    /// JSON lines: a quoted token before a colon is a key; the values after it are its column.
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
