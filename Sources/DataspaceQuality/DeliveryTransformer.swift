import Crypto
import DataspaceCore
import Foundation

/// What one delivery does to the rows: masking per column and, when `watermarkKey` is set, the
/// agreement's invisible watermark (see `Watermark`). Deterministic: the same file, plan and keys
/// always give the same bytes, so a broken download resumes by regenerating and skipping.
public struct DeliveryPlan: Sendable {
    public let format: TabularFormat
    public let masking: [String: MaskingRule]
    public let masker: ValueMasker
    public let watermarkKey: SymmetricKey?
    /// The same key prepared once for the delivery's many values.
    let watermark: WatermarkKey?

    public init(format: TabularFormat, masking: [String: MaskingRule], masker: ValueMasker, watermarkKey: SymmetricKey?) {
        self.format = format
        self.masking = masking
        self.masker = masker
        self.watermarkKey = watermarkKey
        watermark = watermarkKey.map(WatermarkKey.init)
    }

    /// The plan for one agreement: keys derived from the node's secret and the agreement id.
    public static func forAgreement(
        _ agreement: String, format: TabularFormat, protection: DeliveryProtection, secret: SymmetricKey
    ) -> DeliveryPlan {
        DeliveryPlan(
            format: format, masking: protection.masking,
            masker: ValueMasker(hashKey: ValueMasker.hashKey(secret: secret, agreement: agreement)),
            watermarkKey: protection.watermark ? Watermark.key(secret: secret, agreement: agreement) : nil)
    }
}

/// Counts of what a delivery changed.
public struct DeliveryStatistics: Sendable, Equatable {
    public var rows = 0
    public var maskedValues = 0
    /// Values that carry a watermark bit (the capacity used).
    public var markedValues = 0
    /// Lines that were not JSON objects, or fields beyond the header in a CSV row, suppressed
    /// because no rule could be applied to them.
    public var suppressed = 0
}

/// Rewrites a CSV or JSON-lines stream row by row as it passes through: memory holds one row.
/// CSV keeps each field's quoting and each row's line ending; JSON lines keep key order and
/// every untouched value's text, so only masked or marked values change.
public struct DeliveryTransformer {
    public let plan: DeliveryPlan
    public private(set) var statistics = DeliveryStatistics()

    // CSV state
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }
    private var state = State.fieldStart
    /// The current record's field texts (unescaped) back to back, and where each finished one
    /// ends: one buffer reused for every record rather than an array per field.
    private var recordBytes: [UInt8] = []
    private var fieldEnds: [Int] = []
    private var quoted: [Bool] = []
    private var fieldQuoted = false
    private var crBeforeNewline = false
    private var header: [String]?
    private var rules: [MaskingRule?] = []
    // JSON-lines state
    private var line: [UInt8] = []

    public init(plan: DeliveryPlan) { self.plan = plan }

    public mutating func consume(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        switch plan.format {
        case .csv:
            // Runs of ordinary bytes are copied at once; the state machine sees only the bytes
            // that can change its state.
            let count = bytes.count
            var i = 0
            while i < count {
                var j = i
                switch state {
                case .unquoted: while j < count, bytes[j] != UInt8(ascii: ","), bytes[j] != 0x0A { j += 1 }
                case .quoted: while j < count, bytes[j] != UInt8(ascii: "\"") { j += 1 }
                default:
                    csvByte(bytes[i], into: &out)
                    i += 1
                    continue
                }
                recordBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j]))
                if j < count { csvByte(bytes[j], into: &out) }
                i = j + 1
            }
        case .jsonLines:
            var start = 0
            let count = bytes.count
            while start < count {
                var end = start
                while end < count, bytes[end] != 0x0A { end += 1 }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                if end < count { jsonLine(into: &out, newline: true) }
                start = end + 1
            }
        }
    }

    /// Flushes a last row without a line ending.
    public mutating func finish(into out: inout [UInt8]) {
        switch plan.format {
        case .csv:
            if state != .fieldStart || !fieldEnds.isEmpty || recordBytes.count > (fieldEnds.last ?? 0) {
                endField()
                emitRecord(into: &out, ending: nil)
            }
        case .jsonLines:
            if !line.isEmpty { jsonLine(into: &out, newline: false) }
        }
    }

    // MARK: CSV

    private mutating func csvByte(_ byte: UInt8, into out: inout [UInt8]) {
        switch state {
        case .fieldStart:
            switch byte {
            case UInt8(ascii: "\""): state = .quoted; fieldQuoted = true
            case UInt8(ascii: ","): endField()
            case 0x0A: endField(); emitRecord(into: &out, ending: 0x0A)
            default: recordBytes.append(byte); state = .unquoted
            }
        case .unquoted:
            switch byte {
            case UInt8(ascii: ","): endField(); state = .fieldStart
            case 0x0A: endField(); emitRecord(into: &out, ending: 0x0A)
            default: recordBytes.append(byte)
            }
        case .quoted:
            if byte == UInt8(ascii: "\"") { state = .quoteInQuoted } else { recordBytes.append(byte) }
        case .quoteInQuoted:
            switch byte {
            case UInt8(ascii: "\""): recordBytes.append(byte); state = .quoted
            case UInt8(ascii: ","): endField(); state = .fieldStart
            case 0x0A: endField(); emitRecord(into: &out, ending: 0x0A)
            case 0x0D: crBeforeNewline = true
            default: recordBytes.append(byte); state = .unquoted  // lenient: text after a closing quote
            }
        }
    }

    private mutating func endField() {
        if !fieldQuoted, recordBytes.count > (fieldEnds.last ?? 0), recordBytes.last == 0x0D {
            recordBytes.removeLast()
            crBeforeNewline = true
        }
        fieldEnds.append(recordBytes.count)
        quoted.append(fieldQuoted)
        fieldQuoted = false
    }

    private mutating func emitRecord(into out: inout [UInt8], ending: UInt8?) {
        // The bytes are moved out while the record is written: the closures below then borrow
        // neither `self` nor its buffer (borrowing it made the compiler copy the whole
        // transformer per record), and moved back the buffer is still unique, so it is reused.
        var record: [UInt8] = []
        swap(&record, &recordBytes)
        defer {
            record.removeAll(keepingCapacity: true)
            swap(&record, &recordBytes)
            fieldEnds.removeAll(keepingCapacity: true)
            quoted.removeAll(keepingCapacity: true)
            crBeforeNewline = false
            state = .fieldStart
        }
        if header == nil {
            let names = record.withUnsafeBytes { r in
                fieldEnds.indices.map { String(decoding: field($0, of: r), as: UTF8.self).trimmingCharacters(in: .whitespaces) }
            }
            header = names
            rules = names.map { plan.masking[$0] }
            record.withUnsafeBytes { r in
                for i in fieldEnds.indices { writeField(field(i, of: r), at: i, into: &out) }
            }
            writeLineEnding(ending, into: &out)
            return
        }
        // A lone empty line is not a row.
        if fieldEnds.count == 1 && fieldEnds[0] == 0 && !quoted[0] {
            writeLineEnding(ending, into: &out)
            return
        }
        var counts = DeliveryStatistics()
        counts.rows = 1
        record.withUnsafeBytes { r in writeRow(r, counting: &counts, into: &out) }
        statistics.rows += counts.rows
        statistics.maskedValues += counts.maskedValues
        statistics.markedValues += counts.markedValues
        statistics.suppressed += counts.suppressed
        writeLineEnding(ending, into: &out)
    }

    /// Field `i` of the current record, within its bytes `record`.
    private func field(_ i: Int, of record: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: record[(i == 0 ? 0 : fieldEnds[i - 1])..<fieldEnds[i]])
    }

    /// Writes a data row's fields, masked and marked as the plan says (without its line end).
    private func writeRow(_ record: UnsafeRawBufferPointer, counting counts: inout DeliveryStatistics, into out: inout [UInt8]) {
        let masking = !plan.masking.isEmpty
        for i in fieldEnds.indices {
            let text = field(i, of: record)
            if i < rules.count, let rule = rules[i] {
                let before = String(decoding: text, as: UTF8.self)
                let after = plan.masker.apply(rule, to: before)
                if after != before { counts.maskedValues += 1 }
                var value = Array(after.utf8)
                if let key = plan.watermark, Watermark.markInPlace(&value, key: key) { counts.markedValues += 1 }
                value.withUnsafeBytes { writeField($0, at: i, into: &out) }
            } else if i >= rules.count && masking {
                if !text.isEmpty { counts.suppressed += 1 }
                writeField(UnsafeRawBufferPointer(start: nil, count: 0), at: i, into: &out)
            } else if let key = plan.watermark, let last = Watermark.markedLastByte(text, key: key) {
                counts.markedValues += 1
                writeField(UnsafeRawBufferPointer(rebasing: text.dropLast()), at: i, lastByte: last, into: &out)
            } else {
                writeField(text, at: i, into: &out)
            }
        }
    }

    /// Writes field `i` of the record (its text, then `lastByte` if given), quoted when it was
    /// or when it holds a delimiter, quote or line end.
    private func writeField(_ text: UnsafeRawBufferPointer, at i: Int, lastByte: UInt8? = nil, into out: inout [UInt8]) {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        func special(_ b: UInt8) -> Bool { b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == 0x0A || b == 0x0D }
        guard quoted[i] || text.contains(where: special) || lastByte.map(special) == true else {
            out.append(contentsOf: text)
            if let lastByte { out.append(lastByte) }
            return
        }
        out.append(UInt8(ascii: "\""))
        for b in text {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        if let lastByte {
            if lastByte == UInt8(ascii: "\"") { out.append(lastByte) }
            out.append(lastByte)
        }
        out.append(UInt8(ascii: "\""))
    }

    private func writeLineEnding(_ ending: UInt8?, into out: inout [UInt8]) {
        guard let ending else { return }
        if crBeforeNewline { out.append(0x0D) }
        out.append(ending)
    }

    // MARK: JSON lines

    private mutating func jsonLine(into out: inout [UInt8], newline: Bool) {
        defer { line.removeAll(keepingCapacity: true) }
        var cr = false
        if line.last == 0x0D { line.removeLast(); cr = true }
        func ending() {
            if cr { out.append(0x0D) }
            if newline { out.append(0x0A) }
        }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            out.append(contentsOf: line)
            ending()
            return
        }
        guard let members = JSONObjectScanner.members(of: line) else {
            // Not a JSON object: nothing can be matched to a rule, so nothing of it leaves.
            statistics.suppressed += 1
            return
        }
        statistics.rows += 1
        var cursor = 0
        for member in members {
            let raw = Array(line[member.value])
            var replacement: [UInt8]?
            if let rule = plan.masking[member.key], raw != Array("null".utf8) {
                let text: String
                let isString = raw.first == UInt8(ascii: "\"")
                if isString {
                    text = (try? JSONValue.parse(raw))?.stringValue ?? ""
                } else {
                    text = String(decoding: raw, as: UTF8.self)
                }
                let masked = plan.masker.apply(rule, to: text)
                if masked != text { statistics.maskedValues += 1 }
                // Numbers that stay numbers keep their JSON type; anything else becomes a string.
                if !isString, !masked.isEmpty, Double(masked) != nil {
                    replacement = Array(masked.utf8)
                } else {
                    replacement = Array(JSONValue.string(masked).encodedString().utf8)
                }
            }
            if let key = plan.watermark {
                var value = replacement ?? raw
                if value.first != UInt8(ascii: "\""), Watermark.markInPlace(&value, key: key) {
                    statistics.markedValues += 1
                    replacement = value
                }
            }
            if let replacement {
                out.append(contentsOf: line[cursor..<member.value.lowerBound])
                out.append(contentsOf: replacement)
                cursor = member.value.upperBound
            }
        }
        out.append(contentsOf: line[cursor...])
        ending()
    }
}

/// Finds the top-level members of one JSON object's text without building values: each key
/// (unescaped) and the byte range of its raw value, so a rewrite can keep everything else.
enum JSONObjectScanner {
    struct Member {
        let key: String
        let value: Range<Int>
    }

    static func members(of b: [UInt8]) -> [Member]? {
        var i = 0
        func skip() { while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 } }
        /// Index just past the string starting at `i` (which is a quote).
        func stringEnd(_ start: Int) -> Int? {
            var j = start + 1
            while j < b.count {
                if b[j] == UInt8(ascii: "\\") { j += 2; continue }
                if b[j] == UInt8(ascii: "\"") { return j + 1 }
                j += 1
            }
            return nil
        }
        skip()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var members: [Member] = []
        skip()
        if i < b.count, b[i] == UInt8(ascii: "}") {
            i += 1
            skip()
            return i == b.count ? [] : nil
        }
        while true {
            skip()
            guard i < b.count, b[i] == UInt8(ascii: "\""), let keyEnd = stringEnd(i) else { return nil }
            guard let key = (try? JSONValue.parse(Array(b[i..<keyEnd])))?.stringValue else { return nil }
            i = keyEnd
            skip()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skip()
            let start = i
            guard i < b.count else { return nil }
            switch b[i] {
            case UInt8(ascii: "\""):
                guard let end = stringEnd(i) else { return nil }
                i = end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < b.count {
                    let c = b[i]
                    if c == UInt8(ascii: "\"") {
                        guard let end = stringEnd(i) else { return nil }
                        i = end
                        continue
                    }
                    if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                    if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { i += 1; break }
                    }
                    i += 1
                }
                guard depth == 0 else { return nil }
            default:
                while i < b.count, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}"), b[i] != 0x20, b[i] != 0x09 { i += 1 }
            }
            guard i > start else { return nil }
            members.append(Member(key: key, value: start..<i))
            skip()
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") {
                i += 1
                skip()
                return i == b.count ? members : nil
            }
            return nil
        }
    }
}
