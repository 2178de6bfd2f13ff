import DataspaceCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The text encodings tabular files arrive in. Excel on Chinese Windows saves "CSV" as GBK
/// (a subset of GB18030), "CSV UTF-8" with a byte-order mark, and "Unicode text" as UTF-16LE.
public enum SourceEncoding: String, Sendable, CaseIterable, Codable {
    case utf8 = "UTF-8"
    case utf8BOM = "UTF-8 (BOM)"
    case gb18030 = "GB18030"
    case utf16LE = "UTF-16LE"
    case utf16BE = "UTF-16BE"

    /// `utf-8`, `gb18030`, `gbk`, `gb2312`, `utf-16le` … as a person or a `charset` parameter writes it.
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "utf-8-bom", "utf-8-sig": self = .utf8BOM
        case "gb18030", "gbk", "gb2312", "cp936", "euc-cn": self = .gb18030
        case "utf-16le", "utf-16": self = .utf16LE
        case "utf-16be": self = .utf16BE
        default: return nil
        }
    }

    /// The iconv name of an encoding that needs transcoding.
    var iconvName: String? {
        switch self {
        case .utf8, .utf8BOM: nil
        case .gb18030: "GB18030"
        case .utf16LE: "UTF-16LE"
        case .utf16BE: "UTF-16BE"
        }
    }
}

/// How a file was written, as detected or as given: its encoding and (CSV) field delimiter.
public struct SourceForm: Sendable, Hashable {
    public var encoding: SourceEncoding
    public var delimiter: UInt8

    public init(encoding: SourceEncoding, delimiter: UInt8) {
        self.encoding = encoding
        self.delimiter = delimiter
    }

    /// Already UTF-8 without a byte-order mark and comma-separated: stored exactly as sent.
    public var isCanonical: Bool { encoding == .utf8 && delimiter == UInt8(ascii: ",") }

    /// `tab`, `;`, `|` or `,` for messages and records.
    public var delimiterName: String { delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter)) }

    /// The delimiters detected or accepted: comma, semicolon, tab, vertical bar.
    public static let delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")]

    /// `,` `;` `|`, `tab` or `\t` as given on the command line.
    public static func delimiter(named name: String) -> UInt8? {
        switch name {
        case ",", "comma": UInt8(ascii: ",")
        case ";", "semicolon": UInt8(ascii: ";")
        case "\t", "\\t", "tab": 0x09
        case "|", "pipe": UInt8(ascii: "|")
        default: nil
        }
    }
}

/// A file that cannot be read as any encoding we accept, with where and what to do.
public struct SourceFormError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let byteOffset: Int64?
    public var description: String { message }
}

/// Turns a tabular upload into UTF-8, comma-separated CSV (or UTF-8 JSON lines) as it streams:
/// detects the encoding (byte-order marks, else UTF-8 if the first 64 KiB are valid UTF-8, else
/// GB18030) and the CSV delimiter (`,` `;` tab `|`, the one splitting the first lines into equal
/// counts) unless they are given, transcodes with the C library's iconv, and rewrites the
/// delimiter, quoting fields that now need it. A canonical file passes through untouched, so its
/// digest is the digest of what was sent.
public struct TabularNormalizer {
    public let format: TabularFormat
    let givenEncoding: SourceEncoding?
    let givenDelimiter: UInt8?
    /// The form, known after the first 64 KiB (or the whole file, if smaller).
    public private(set) var form: SourceForm?
    var sample: [UInt8] = []
    var decoder: IconvDecoder?
    var rewriter: DelimiterRewriter?
    /// Where the detection sample stopped being UTF-8, when it was read as GB18030 for that reason.
    var utf8Failure: Int?
    /// Bytes read before the form is decided: a caller that reads this much first learns
    /// whether the file needs converting without reading further.
    public static let sampleBytes = 64 << 10

    public init(format: TabularFormat, encoding: SourceEncoding? = nil, delimiter: UInt8? = nil) {
        self.format = format
        givenEncoding = encoding
        givenDelimiter = delimiter
    }

    /// Feeds the next bytes of the upload; returns the normalized bytes ready so far.
    public mutating func feed(_ bytes: [UInt8]) throws(SourceFormError) -> [UInt8] {
        guard form != nil else {
            sample += bytes
            if sample.count < Self.sampleBytes { return [] }
            // Detection always sees exactly the first 64 KiB, however the upload was chunked.
            let rest = Array(sample[Self.sampleBytes...])
            sample.removeLast(sample.count - Self.sampleBytes)
            var out = try start(final: false)
            out += try convert(rest, final: false)
            return out
        }
        return try convert(bytes, final: false)
    }

    /// Ends the upload; returns the last normalized bytes.
    public mutating func finish() throws(SourceFormError) -> [UInt8] {
        if form == nil { return try start(final: true) }
        return try convert([], final: true)
    }

    mutating func start(final: Bool) throws(SourceFormError) -> [UInt8] {
        var bytes = sample
        sample = []
        var encoding = givenEncoding ?? Self.detectEncoding(bytes, complete: final)
        if givenEncoding == nil && encoding == .gb18030 { utf8Failure = Self.firstInvalidUTF8(bytes, complete: final) }
        if encoding == .utf8BOM || (encoding == .utf8 && bytes.starts(with: [0xEF, 0xBB, 0xBF])) {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            encoding = .utf8BOM
        }
        if encoding == .utf16LE && bytes.starts(with: [0xFF, 0xFE]) || encoding == .utf16BE && bytes.starts(with: [0xFE, 0xFF]) {
            bytes.removeFirst(2)
        }
        if let name = encoding.iconvName { decoder = try IconvDecoder(from: name) }
        // The delimiter is found in decoded text.
        var decoded = try decode(bytes, final: final)
        let delimiter = format == .csv ? (givenDelimiter ?? Self.detectDelimiter(decoded)) : UInt8(ascii: ",")
        form = SourceForm(encoding: encoding, delimiter: delimiter)
        if delimiter != UInt8(ascii: ",") { rewriter = DelimiterRewriter(delimiter: delimiter) }
        if var r = rewriter {
            decoded = r.rewrite(decoded)
            if final { decoded += r.finish() }
            rewriter = r
            if r.overlong { throw Self.overlong }
        }
        return decoded
    }

    mutating func convert(_ bytes: [UInt8], final: Bool) throws(SourceFormError) -> [UInt8] {
        var out = try decode(bytes, final: final)
        if var r = rewriter {
            out = r.rewrite(out)
            if final { out += r.finish() }
            rewriter = r
            if r.overlong { throw Self.overlong }
        }
        return out
    }

    static let overlong = SourceFormError(
        message: "a field is longer than \(DelimiterRewriter.maximumFieldBytes >> 20) MiB; is the delimiter right? (--delimiter)", byteOffset: nil)

    func decode(_ bytes: [UInt8], final: Bool) throws(SourceFormError) -> [UInt8] {
        guard let decoder else { return bytes }
        do { return try decoder.decode(bytes, final: final) } catch {
            guard let utf8Failure else { throw error }
            // Guessed, not given: say it is neither.
            throw SourceFormError(
                message: "invalid UTF-8 at byte offset \(utf8Failure), and not GB18030 either (byte offset \(error.byteOffset ?? 0)); save the file as UTF-8 CSV, or give its encoding (--encoding utf-8|gb18030|utf-16le)",
                byteOffset: Int64(utf8Failure))
        }
    }

    /// The offset of the first byte that breaks UTF-8 (or of a character cut by the end).
    static func firstInvalidUTF8(_ bytes: [UInt8], complete: Bool) -> Int? {
        var validator = UTF8StreamValidator()
        var lastBoundary = 0
        for (i, byte) in bytes.enumerated() {
            guard validator.consume(byte) else { return lastBoundary }
            if validator.isAtBoundary { lastBoundary = i + 1 }
        }
        return complete && !validator.isAtBoundary ? lastBoundary : nil
    }

    /// A byte-order mark decides; else valid UTF-8 (a multi-byte character cut at the end of the
    /// sample allowed) is UTF-8; else GB18030.
    public static func detectEncoding(_ bytes: [UInt8], complete: Bool) -> SourceEncoding {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return .utf8BOM }
        if bytes.starts(with: [0xFF, 0xFE]) { return .utf16LE }
        if bytes.starts(with: [0xFE, 0xFF]) { return .utf16BE }
        return firstInvalidUTF8(bytes, complete: complete) == nil ? .utf8 : .gb18030
    }

    /// The candidate that splits the first lines (up to 50, quotes respected) into the same
    /// number of fields, the most fields winning; a single line takes the most frequent
    /// candidate; comma when nothing splits.
    public static func detectDelimiter(_ text: [UInt8]) -> UInt8 {
        var counts: [[Int]] = []  // per line, per candidate
        var current = [Int](repeating: 0, count: SourceForm.delimiters.count)
        var quoted = false
        var lineHasContent = false
        for byte in text {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if quoted { continue }
            if byte == 0x0A {
                if lineHasContent { counts.append(current) }
                current = [Int](repeating: 0, count: SourceForm.delimiters.count)
                lineHasContent = false
                if counts.count == 50 { break }
                continue
            }
            if byte != 0x0D { lineHasContent = true }
            if let i = SourceForm.delimiters.firstIndex(of: byte) { current[i] += 1 }
        }
        if lineHasContent && counts.count < 50 { counts.append(current) }
        guard let header = counts.first else { return UInt8(ascii: ",") }
        var best: (index: Int, fields: Int, agreeing: Int)?
        for i in SourceForm.delimiters.indices where header[i] > 0 {
            let agreeing = counts.filter { $0[i] == header[i] }.count
            let better =
                best.map { b in agreeing > b.agreeing || (agreeing == b.agreeing && header[i] > b.fields) } ?? true
            if better { best = (i, header[i], agreeing) }
        }
        return best.map { SourceForm.delimiters[$0.index] } ?? UInt8(ascii: ",")
    }
}

/// A streaming iconv conversion to UTF-8 that keeps a character cut by a chunk boundary for the
/// next chunk and reports an invalid byte with its offset.
final class IconvDecoder {
    let handle: iconv_t
    let name: String
    var pending: [UInt8] = []
    var offset: Int64 = 0

    init(from name: String) throws(SourceFormError) {
        let h = iconv_open("UTF-8", name)
        guard let h, Int(bitPattern: UnsafeRawPointer(h)) != -1 else {
            throw SourceFormError(message: "this system cannot convert from \(name) (iconv has no converter for it)", byteOffset: nil)
        }
        handle = h
        self.name = name
    }

    deinit { iconv_close(handle) }

    func decode(_ bytes: [UInt8], final: Bool) throws(SourceFormError) -> [UInt8] {
        var input = pending + bytes
        pending = []
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        var produced = 0
        var start = 0
        while start < input.count {
            var inLeft = input.count - start
            var outLeft = output.count - produced
            let result: Int = input.withUnsafeMutableBytes { inBuffer in
                output.withUnsafeMutableBytes { outBuffer in
                    guard let inBase = inBuffer.baseAddress, let outBase = outBuffer.baseAddress else { return 0 }
                    var inPointer: UnsafeMutablePointer<CChar>? = (inBase + start).assumingMemoryBound(to: CChar.self)
                    var outPointer: UnsafeMutablePointer<CChar>? = (outBase + produced).assumingMemoryBound(to: CChar.self)
                    return iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft)
                }
            }
            let used = (input.count - start) - inLeft
            produced = output.count - outLeft
            start += used
            offset += Int64(used)
            if result != -1 { break }
            switch errno {
            case E2BIG:
                output += [UInt8](repeating: 0, count: max(1_024, input.count - start) * 2)
            case EINVAL:
                // A character cut by the chunk boundary: keep it for the next chunk.
                if final {
                    throw SourceFormError(message: "the file ends inside a \(name) character", byteOffset: offset)
                }
                pending = Array(input[start...])
                start = input.count
            default:
                throw SourceFormError(
                    message: "byte offset \(offset) is not valid \(name); save the file as UTF-8 CSV, or give its encoding (--encoding utf-8|gb18030|utf-16le)",
                    byteOffset: offset)
            }
        }
        return Array(output[0..<produced])
    }
}

/// Rewrites CSV separated by `delimiter` into comma-separated CSV, streaming: quoted fields pass
/// through as they are (their quoting rules are the same); an unquoted field that contains a
/// comma gets quotes.
struct DelimiterRewriter {
    let delimiter: UInt8
    var field: [UInt8] = []
    var state = State.fieldStart
    /// An unquoted field is held until it ends (to know whether it needs quotes); one longer than
    /// this stops the upload rather than memory.
    static let maximumFieldBytes = 16 << 20
    var overlong = false

    enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    init(delimiter: UInt8) { self.delimiter = delimiter }

    mutating func rewrite(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        func flushUnquoted() {
            out += Self.commaSafe(field)
            field.removeAll(keepingCapacity: true)
        }
        for byte in bytes {
            switch state {
            case .fieldStart, .unquoted:
                if state == .fieldStart && byte == quote {
                    out.append(quote)
                    state = .quoted
                } else if byte == delimiter {
                    flushUnquoted()
                    out.append(comma)
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    flushUnquoted()
                    out.append(byte)
                    state = .fieldStart
                } else {
                    if field.count >= Self.maximumFieldBytes {
                        overlong = true
                        return out
                    }
                    field.append(byte)
                    state = .unquoted
                }
            case .quoted:
                out.append(byte)
                if byte == quote { state = .quoteInQuoted }
            case .quoteInQuoted:
                if byte == quote {
                    out.append(byte)
                    state = .quoted
                } else if byte == delimiter {
                    out.append(comma)
                    state = .fieldStart
                } else {
                    // A line end, or a stray byte after a closing quote (the validator judges it).
                    out.append(byte)
                    state = byte == 0x0A || byte == 0x0D ? .fieldStart : .unquoted
                }
            }
        }
        // An unquoted field still open at the end of the chunk continues in the next one.
        return out
    }

    /// The last field of a file that does not end with a line break.
    mutating func finish() -> [UInt8] {
        defer { field = [] }
        return Self.commaSafe(field)
    }

    /// An unquoted field as comma-separated CSV writes it: quoted (inner quotes doubled) when it
    /// contains a comma, else as it is.
    static func commaSafe(_ field: [UInt8]) -> [UInt8] {
        let quote = UInt8(ascii: "\"")
        guard field.contains(UInt8(ascii: ",")) else { return field }
        var out: [UInt8] = [quote]
        out.reserveCapacity(field.count + 4)
        for byte in field {
            out.append(byte)
            if byte == quote { out.append(quote) }
        }
        out.append(quote)
        return out
    }
}
