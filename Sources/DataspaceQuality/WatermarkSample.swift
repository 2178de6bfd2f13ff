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
public struct WatermarkSample: Sendable {
    public let format: TabularFormat
    /// How many distinct values to keep; the rest of the file is not looked at.
    public let limit: Int
    /// The values found, one per distinct text before the last digit (the first seen): copies
    /// carry the same bit and are one trial to a trace, so they do not use up `limit`.
    public private(set) var values: [Substring] = []
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
                } else if byte != UInt8(ascii: "\r") {
                    headerStarted = true
                }
                continue
            }
            if isSeparator(byte) {
                endToken()
            } else if token.count < Self.longestToken {
                token.append(byte)
            } else {
                tokenTooLong = true
            }
        }
    }

    /// The end of the file: its last token counts even without a line end.
    public mutating func finish() {
        if !inHeader, !isFull { endToken() }
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

    private mutating func endToken() {
        defer {
            token.removeAll(keepingCapacity: true)
            tokenTooLong = false
        }
        guard !tokenTooLong, !token.isEmpty else { return }
        var value = token[...]
        if format == .csv {
            while let c = value.first, c == UInt8(ascii: "\"") || c == UInt8(ascii: " ") { value = value.dropFirst() }
            while let c = value.last, c == UInt8(ascii: "\"") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\r") { value = value.dropLast() }
        }
        guard Watermark.isDecimal(value) else { return }
        read += 1
        let text = Substring(String(decoding: value, as: UTF8.self))
        if trials.isNew(text) { values.append(text) }
    }
}
