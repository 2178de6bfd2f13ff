import DataspaceCore
import Foundation

/// Profiles a CSV (RFC 4180, first row the header) or JSON-lines file in one streaming pass and
/// constant memory (apart from 8 bytes per distinct row when counting duplicates). Feed it
/// chunks with `consume`, then call `finish`. Problems that leave the rest of the file readable
/// (ragged rows, stray quotes, lines that are not JSON objects) are counted in the profile;
/// invalid UTF-8 and an unterminated quote are errors naming the line.
public struct TabularProfiler {
    public let format: TabularFormat
    public let options: ProfileOptions

    private var utf8 = UTF8StreamValidator()
    private var bytes: Int64 = 0
    private var line = 1
    private var names: [String]?
    private var columns: [ColumnAccumulator] = []
    private var rows = 0
    private var ragged = 0
    private var malformed = 0
    private var firstProblemLine: Int?
    private var duplicates: RowHashSet?
    private var duplicateCount = 0

    // CSV state
    private enum CSVState { case fieldStart, unquoted, quoted, quoteInQuoted }
    private var state = CSVState.fieldStart
    private var row: [UInt8] = []
    private var fieldEnds: [Int] = []
    private var skipLF = false
    private var quoteLine = 1

    // JSON-lines state
    private var lineBuffer: [UInt8] = []
    private var columnIndex: [String: Int] = [:]

    public init(format: TabularFormat, options: ProfileOptions = ProfileOptions()) {
        self.format = format
        self.options = options
        duplicates = options.duplicateRows ? RowHashSet() : nil
        row.reserveCapacity(4_096)
    }

    /// Profiles a whole file, reading it in 1 MiB chunks.
    public static func profile(path: String, format: TabularFormat, options: ProfileOptions = ProfileOptions()) throws -> DatasetProfile {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ProfileError("cannot open \(path)") }
        defer { try? handle.close() }
        var profiler = TabularProfiler(format: format, options: options)
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { try profiler.consume($0) }
        }
        return try profiler.finish()
    }

    public mutating func consume(_ chunk: UnsafeRawBufferPointer) throws(ProfileError) {
        for byte in chunk {
            guard utf8.consume(byte) else { throw ProfileError("invalid UTF-8 at byte offset \(bytes)", line: line) }
            bytes += 1
            switch format {
            case .csv: try csv(byte)
            case .jsonLines: jsonl(byte)
            }
            if byte == 0x0A { line += 1 }
        }
    }

    public mutating func finish() throws(ProfileError) -> DatasetProfile {
        guard utf8.isAtBoundary else { throw ProfileError("the file ends inside a UTF-8 character", line: line) }
        guard bytes > 0 else { throw ProfileError("the file is empty") }
        switch format {
        case .csv:
            switch state {
            case .quoted: throw ProfileError("a quoted field opened on line \(quoteLine) is never closed", line: quoteLine)
            case .unquoted, .quoteInQuoted:
                endField()
                endRecord()
            case .fieldStart:
                if !fieldEnds.isEmpty {
                    endField()
                    endRecord()
                }
            }
        case .jsonLines:
            if !lineBuffer.isEmpty { endLine() }
        }
        guard let names else { throw ProfileError("the file has no header row") }
        return DatasetProfile(
            format: format, bytes: bytes, rows: rows, columns: zip(names, columns).map { $1.profile(name: $0) },
            duplicateRows: duplicates == nil ? nil : duplicateCount, raggedRows: ragged, malformedLines: malformed, firstProblemLine: firstProblemLine)
    }

    // MARK: CSV

    private mutating func csv(_ byte: UInt8) throws(ProfileError) {
        if skipLF {
            skipLF = false
            if byte == 0x0A { return }
        }
        switch state {
        case .fieldStart:
            switch byte {
            case 0x22:
                state = .quoted
                quoteLine = line
            case 0x2C: endField()
            case 0x0A: endFieldAndRecord()
            case 0x0D:
                endFieldAndRecord()
                skipLF = true
            default:
                row.append(byte)
                state = .unquoted
            }
        case .unquoted:
            switch byte {
            case 0x2C:
                endField()
                state = .fieldStart
            case 0x0A:
                endFieldAndRecord()
            case 0x0D:
                endFieldAndRecord()
                skipLF = true
            case 0x22:
                problem()
                row.append(byte)
            default: row.append(byte)
            }
        case .quoted:
            if byte == 0x22 { state = .quoteInQuoted } else { row.append(byte) }
        case .quoteInQuoted:
            switch byte {
            case 0x22:
                row.append(0x22)
                state = .quoted
            case 0x2C:
                endField()
                state = .fieldStart
            case 0x0A: endFieldAndRecord()
            case 0x0D:
                endFieldAndRecord()
                skipLF = true
            default:
                // "abc"x: text after a closing quote; keep it, count the problem.
                problem()
                row.append(byte)
                state = .unquoted
            }
        }
    }

    private mutating func endField() { fieldEnds.append(row.count) }

    private mutating func endFieldAndRecord() {
        endField()
        endRecord()
        state = .fieldStart
    }

    private mutating func problem() {
        if firstProblemLine == nil { firstProblemLine = line }
    }

    private mutating func endRecord() {
        defer {
            row.removeAll(keepingCapacity: true)
            fieldEnds.removeAll(keepingCapacity: true)
        }
        // A blank line is not a record.
        if fieldEnds.count == 1, fieldEnds[0] == 0 { return }
        guard names != nil else {
            names = row.withUnsafeBufferPointer { buffer in
                var start = 0
                return fieldEnds.map { end in
                    defer { start = end }
                    return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                }
            }
            columns = (names ?? []).map { _ in ColumnAccumulator(options: options) }
            return
        }
        rows += 1
        if fieldEnds.count != columns.count {
            ragged += 1
            problem()
        }
        var hasher = Hasher()
        row.withUnsafeBufferPointer { buffer in
            var start = 0
            for i in columns.indices {
                if i < fieldEnds.count {
                    let field = UnsafeBufferPointer(rebasing: buffer[start..<fieldEnds[i]])
                    columns[i].add(field)
                    hasher.combine(bytes: UnsafeRawBufferPointer(field))
                    hasher.combine(fieldEnds[i] - start)
                    start = fieldEnds[i]
                } else {
                    columns[i].add(UnsafeBufferPointer(start: nil, count: 0))
                    hasher.combine(-1)
                }
            }
        }
        countDuplicate(hasher.finalize())
    }

    private mutating func countDuplicate(_ hash: Int) {
        guard duplicates != nil else { return }
        if duplicates?.insert(UInt64(bitPattern: Int64(hash))) == false { duplicateCount += 1 }
    }

    // MARK: JSON lines

    private mutating func jsonl(_ byte: UInt8) {
        if byte == 0x0A { endLine() } else { lineBuffer.append(byte) }
    }

    private mutating func endLine() {
        defer { lineBuffer.removeAll(keepingCapacity: true) }
        if lineBuffer.last == 0x0D { lineBuffer.removeLast() }
        if lineBuffer.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        guard let object = (try? JSONValue.parse(lineBuffer))?.objectValue else {
            malformed += 1
            problem()
            return
        }
        if names == nil { names = [] }
        // Keys seen for the first time become columns; earlier rows lacked them (nulls).
        for key in object.keys.sorted() where columnIndex[key] == nil {
            columnIndex[key] = columns.count
            names?.append(key)
            var column = ColumnAccumulator(options: options)
            for _ in 0..<rows { column.add(UnsafeBufferPointer(start: nil, count: 0)) }
            columns.append(column)
        }
        rows += 1
        var hasher = Hasher()
        for (i, name) in (names ?? []).enumerated() {
            var bytes: [UInt8]
            switch object[name] {
            case .string(let s)?: bytes = Array(s.utf8)
            case .null?, nil: bytes = []
            case .some(let other): bytes = other.encodedBytes()
            }
            if object[name] == nil { hasher.combine(-1) } else { hasher.combine(bytes) }
            bytes.withUnsafeBufferPointer { columns[i].add($0) }
        }
        countDuplicate(hasher.finalize())
    }
}
