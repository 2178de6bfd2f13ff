import DataspaceCore
import Foundation
import DataspaceQuality

/// What a streamed validation learned about a tabular file.
public struct TabularSummary: Sendable, Hashable {
    public var rowCount: Int64
    public var columns: [String]
}

/// Checks a CSV (RFC 4180) or JSON-lines file chunk by chunk, in constant memory: valid UTF-8,
/// balanced quoting, the same number of fields in every row as in the header, one JSON object per
/// line. Errors name the line and what is wrong there.
public struct TabularValidator {
    public let format: TabularFormat
    public static let maximumLineBytes = 16 << 20

    private var utf8 = UTF8StreamValidator()
    private var byteOffset: Int64 = 0
    private var line: Int64 = 1
    private var rows: Int64 = 0
    private var columns: [String] = []
    private var headerDone = false

    // CSV state
    private var state = CSVPosition.fieldStart
    private var fieldsInRecord = 0
    private var recordHasContent = false
    private var currentField: [UInt8] = []
    private var quotedFieldStartLine: Int64 = 1
    private var pendingCR = false

    // JSON-lines state
    private var lineBuffer: [UInt8] = []
    private var jsonColumnSet: Set<String> = []

    public init(format: TabularFormat) { self.format = format }

    func fail(_ message: String) -> CatalogError {
        CatalogError(.invalidFile, message, field: "file:line \(line)")
    }

    public mutating func consume(_ bytes: UnsafeRawBufferPointer) throws(CatalogError) {
        // UTF-8 first, a chunk at a time; the bytes before a bad one are still read, so an error
        // there comes first and the line named is exact.
        let bad = utf8.consume(bytes)
        let valid = bad.map { UnsafeRawBufferPointer(rebasing: bytes[..<$0]) } ?? bytes
        switch format {
        case .csv: try csv(valid)
        case .jsonLines: for byte in valid { try jsonl(byte) }
        }
        byteOffset += Int64(valid.count)
        if bad != nil {
            throw CatalogError(.invalidFile, "invalid UTF-8 at byte offset \(byteOffset)\(UTF8StreamValidator.encodingHint)", field: "file:line \(line)")
        }
    }

    public mutating func finish() throws(CatalogError) -> TabularSummary {
        guard utf8.isAtBoundary else {
            throw CatalogError(.invalidFile, "file ends inside a UTF-8 character", field: "file:line \(line)")
        }
        guard byteOffset > 0 else { throw CatalogError(.invalidFile, "file is empty", field: "file") }
        switch format {
        case .csv:
            if state == .quoted {
                throw CatalogError(.invalidFile, "quoted field opened on line \(quotedFieldStartLine) is never closed", field: "file:line \(quotedFieldStartLine)")
            }
            if recordHasContent || fieldsInRecord > 0 { try endRecord() }
            guard headerDone else { throw CatalogError(.invalidFile, "no header row", field: "file") }
        case .jsonLines:
            if !lineBuffer.isEmpty { try endJSONLine() }
            guard rows > 0 else { throw CatalogError(.invalidFile, "no JSON objects in file", field: "file") }
        }
        return TabularSummary(rowCount: rows, columns: columns)
    }

    // MARK: CSV

    /// Past the header, outside quotes, eight bytes at a time: a word without quotes or CRs
    /// only moves the field count (its commas) and ends records at its LFs (`unquotedWords`);
    /// elsewhere runs of ordinary bytes are skipped eight at a time (`ByteScan`) and the bytes
    /// that end them go through the state machine.
    private mutating func csv(_ chunk: UnsafeRawBufferPointer) throws(CatalogError) {
        guard let base = chunk.baseAddress else { return }
        let n = chunk.count
        var i = 0
        while i < n {
            if headerDone && !pendingCR && (state == .fieldStart || state == .unquoted) {
                i = try unquotedWords(base, from: i, to: n)
                if i == n { break }
            }
            if headerDone && !pendingCR {
                let run = ByteScan.runEnd(base, from: i, to: n, in: state)
                if run > i {
                    if state == .fieldStart {
                        state = .unquoted
                        recordHasContent = true
                    }
                    i = run
                    if i == n { break }
                }
            }
            try csv(chunk[i])
            i += 1
        }
    }

    /// Validates whole words from `start` while they hold no quote and no CR (and the state is
    /// outside quotes); returns where it stopped — the first word it could not take, or the
    /// last bytes short of a word. Same outcome as the state machine byte by byte: commas add
    /// fields, a byte that is neither comma nor LF gives the record content, an LF ends the
    /// record (or skips a blank line), and the state after the word is that of its last byte.
    private mutating func unquotedWords(_ p: UnsafeRawPointer, from start: Int, to end: Int) throws(CatalogError) -> Int {
        let highs = ByteScan.highs
        var i = start
        while i + 8 <= end {
            let w = ByteScan.word(p, i)
            guard ByteScan.matches(w, 0x22) | ByteScan.matches(w, 0x0D) == 0 else { return i }
            var commas = ByteScan.matches(w, 0x2C)
            var newlines = ByteScan.matches(w, 0x0A)
            let delimiters = commas | newlines
            var done: UInt64 = 0
            while newlines != 0 {
                let lf = newlines & (0 &- newlines)
                let before = lf &- 1
                fieldsInRecord += (commas & before).nonzeroBitCount
                if highs & before & ~done & ~delimiters != 0 { recordHasContent = true }
                if recordHasContent || fieldsInRecord > 0 { try endRecord() }
                line += 1
                recordHasContent = false
                fieldsInRecord = 0
                done = before | lf
                commas &= ~done
                newlines &= newlines &- 1
            }
            fieldsInRecord += commas.nonzeroBitCount
            if highs & ~done & ~delimiters != 0 { recordHasContent = true }
            state = delimiters & (1 << 63) != 0 ? .fieldStart : .unquoted
            i += 8
        }
        return i
    }

    private mutating func csv(_ byte: UInt8) throws(CatalogError) {
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        if pendingCR {
            pendingCR = false
            if byte == lf { return }  // CRLF already ended the record
        }
        switch state {
        case .fieldStart:
            switch byte {
            case quote:
                state = .quoted
                quotedFieldStartLine = line
                recordHasContent = true
            case comma:
                endField()
            case cr, lf:
                try endRecordAtNewline(byte)
            default:
                state = .unquoted
                recordHasContent = true
                appendHeaderByte(byte)
            }
        case .unquoted:
            switch byte {
            case comma: endField(); state = .fieldStart
            case cr, lf: try endRecordAtNewline(byte)
            case quote: throw fail("stray quote inside unquoted field \(fieldsInRecord + 1); quote the whole field and double inner quotes")
            default: appendHeaderByte(byte)
            }
        case .quoted:
            if byte == quote {
                state = .quoteInQuoted
            } else {
                if byte == lf { line += 1 }
                appendHeaderByte(byte)
            }
        case .quoteInQuoted:
            switch byte {
            case quote: appendHeaderByte(quote); state = .quoted
            case comma: endField(); state = .fieldStart
            case cr, lf: try endRecordAtNewline(byte)
            default: throw fail("unexpected character after closing quote in field \(fieldsInRecord + 1)")
            }
        }
    }

    private mutating func appendHeaderByte(_ byte: UInt8) {
        if !headerDone && currentField.count < 4096 { currentField.append(byte) }
    }

    private mutating func endField() {
        fieldsInRecord += 1
        if !headerDone {
            columns.append(String(decoding: currentField, as: UTF8.self).trimmingCharacters(in: .whitespaces))
            currentField.removeAll(keepingCapacity: true)
        }
    }

    private mutating func endRecordAtNewline(_ byte: UInt8) throws(CatalogError) {
        if recordHasContent || fieldsInRecord > 0 { try endRecord() }
        state = .fieldStart
        line += 1
        if byte == 0x0D { pendingCR = true }
    }

    private mutating func endRecord() throws(CatalogError) {
        endField()
        if !headerDone {
            if columns.first?.hasPrefix("\u{FEFF}") == true { columns[0].removeFirst() }
            if let problem = HeaderNames.problem(columns) { throw fail(problem) }
            headerDone = true
        } else {
            guard fieldsInRecord == columns.count else {
                throw fail("row \(rows + 1) has \(fieldsInRecord) fields, the header has \(columns.count)")
            }
            rows += 1
        }
        fieldsInRecord = 0
        recordHasContent = false
        state = .fieldStart
    }

    // MARK: JSON lines

    private mutating func jsonl(_ byte: UInt8) throws(CatalogError) {
        if byte == 0x0A {
            try endJSONLine()
            line += 1
            return
        }
        guard lineBuffer.count < Self.maximumLineBytes else {
            throw fail("line is longer than \(Self.maximumLineBytes) bytes")
        }
        lineBuffer.append(byte)
    }

    private mutating func endJSONLine() throws(CatalogError) {
        defer { lineBuffer.removeAll(keepingCapacity: true) }
        if lineBuffer.last == 0x0D { lineBuffer.removeLast() }
        if lineBuffer.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        let value: JSONValue
        do {
            value = try JSONValue.parse(lineBuffer)
        } catch {
            throw fail("row \(rows + 1) is not valid JSON (\(error.message))")
        }
        guard let members = value.objectValue else {
            throw fail("row \(rows + 1) is a JSON value but not an object")
        }
        rows += 1
        if rows <= 1_000 {
            for key in members.keys.sorted() where jsonColumnSet.insert(key).inserted {
                columns.append(key)
            }
        }
    }
}
