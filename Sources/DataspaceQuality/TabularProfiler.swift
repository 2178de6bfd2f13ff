import DataspaceCore
import Foundation

/// Profiles a CSV (RFC 4180, first row the header) or JSON-lines file in one streaming pass and
/// constant memory (apart from about 11 bytes per distinct row or key in the uniqueness tables, bounded by `ProfileOptions.memoryLimit`). Feed it
/// chunks with `consume`, then call `finish`. Problems that leave the rest of the file readable
/// (ragged rows, stray quotes, lines that are not JSON objects) are counted in the profile, or
/// refused with `ProfileOptions.refuseProblems`; invalid UTF-8 and an unterminated quote are
/// errors naming the line.
public struct TabularProfiler {
    public let format: TabularFormat
    public let options: ProfileOptions

    private var utf8 = UTF8StreamValidator()
    private var bytes: Int64 = 0
    private(set) var line = 1
    private var names: [String]?
    private var columns: [ColumnAccumulator] = []
    /// What this part's columns may hold of counted values, shapes and sketches.
    private var columnMemory: ColumnMemory.Pool
    private var rows = 0
    private var ragged = 0
    private var malformed = 0
    private var firstProblemLine: Int?
    /// With `ProfileOptions.refuseProblems`, the first problem met: thrown at the end of the
    /// chunk that met it (or instead of a later error in that chunk, being earlier in the file).
    private var refusal: ProfileError?
    private var duplicates: SharedHashSet?
    private var duplicateCount = 0
    /// Row hashes waiting to go into `duplicates` in one batch (`SharedHashSet.insert(batch:)`).
    private var pendingRows: [UInt64] = []
    private var batchScratch: [UInt64] = []
    private var evaluator: RuleEvaluator?
    private var ranges: [FieldRange] = []
    /// The fields as profiled, for the rules: a JSON line's, or a block's row by row.
    private var facts: [FieldFacts] = []

    // Records waiting to be profiled column by column (`profileBlock`): their bytes are the
    // start of `row` (up to `recordStart`), each row's fields `columns.count` ranges into them
    // (`FieldRange.missing` for a field the row lacks), the start of `fieldRanges`.
    private var blockRows = 0
    private var scans: [ValueScan] = []
    /// The block's values' shapes for the detectors (`ColumnAccumulator.detectorShape`), and
    /// its rows' levels in the detectors' sample (`DetectorSample.level`).
    private var shapes: [UInt64] = []
    private var rowLevels: [Int8] = []
    /// The block's rows some column's detector sample may still take (`detect`).
    private var sampledRows: [Int32] = []

    // CSV state
    private(set) var state = CSVPosition.fieldStart
    /// The block's records, then the record being read (from `recordStart`), unquoted: the
    /// tokenizer writes fields where the block profiles them. Commas between unquoted fields
    /// stay in it (a record's bytes are copied in one piece), so fields are ranges, not ends.
    private var row: [UInt8] = []
    private var recordStart = 0
    /// The fields of the record being read, and where the next one begins in `row`.
    private(set) var fieldRanges = RecordFields()
    private var fieldBegin = 0
    private var skipLF = false
    /// Set by `profilePart` when the part's range did not end on a record boundary.
    private(set) var missedRecordEnd = false
    private var quoteLine = 1

    // JSON-lines state
    private var lineBuffer: [UInt8] = []
    private var columnIndex: [String: Int] = [:]

    /// With `rules`, they are evaluated in the same pass and `finish` reports the scores.
    public init(format: TabularFormat, options: ProfileOptions = ProfileOptions(), rules: QualityRules? = nil) {
        self.init(format: format, options: options, rules: rules, tables: UniquenessTables(options: options, rules: rules, expectedRows: 1 << 16))
    }

    /// A profiler whose uniqueness tables are `tables` (shared with the file's other parts).
    init(format: TabularFormat, options: ProfileOptions, rules: QualityRules?, tables: UniquenessTables) {
        self.format = format
        self.options = options
        duplicates = tables.rows
        evaluator = rules.map { RuleEvaluator(rules: $0, keySets: tables.keys) }
        evaluator?.timeZone = options.timeZone
        columnMemory = ColumnMemory.Pool(options: options, columns: 1)
        row.reserveCapacity(4_096)
    }

    /// A profiler for a later part of a CSV file whose header is already known.
    init(continuing header: [String], options: ProfileOptions, rules: QualityRules?, tables: UniquenessTables) {
        self.init(format: .csv, options: options, rules: rules, tables: tables)
        names = header
        makeColumns(header.count)
    }

    /// The accumulators of a CSV file's `count` columns, sharing this part's column memory.
    private mutating func makeColumns(_ count: Int) {
        columnMemory = ColumnMemory.Pool(options: options, columns: count)
        columns = (0..<count).map { _ in ColumnAccumulator(options: options) }
        let precision = ColumnMemory.sketchPrecision(share: columnMemory.share)
        for i in columns.indices { columns[i].sketchPrecision = precision }
    }

    /// Profiles a whole file: large files in as many parts as there are cores, each part read
    /// in 1 MiB chunks on its own thread, the parts' accumulators merged at the end. A gzip file
    /// (detected by its magic bytes) is decompressed as it streams, in one part.
    public static func profile(path: String, format: TabularFormat, options: ProfileOptions = ProfileOptions(), rules: QualityRules? = nil) throws -> DatasetProfile {
        try profile(path: path, format: format, options: options, rules: rules, quoteSample: quoteSample)
    }

    /// As `profile(path:format:options:rules:)`, reading `quoteSample` bytes for quoted newlines
    /// (tests set 0 to make every cut a guess).
    static func profile(path: String, format: TabularFormat, options: ProfileOptions, rules: QualityRules?, quoteSample: Int) throws -> DatasetProfile {
        if GzipReader.isGzip(path: path) {
            // A gzip stream cannot be split: one pass, decompressing as it reads.
            var profiler = TabularProfiler(format: format, options: options, rules: rules)
            do {
                try GzipReader.read(path: path) { chunk in try profiler.consume(chunk) }
            } catch let error as GzipReader.Failure {
                throw ProfileError("\(path): \(error.description)")
            }
            return try profiler.finish()
        }
        let file = try ReadOnlyFile(path: path)
        let size = file.size
        let parts = size >= options.parallelThreshold ? max(1, options.parts) : 1
        guard parts > 1 else {
            var profiler = TabularProfiler(format: format, options: options, rules: rules)
            try read(file, range: 0..<Int64.max, into: &profiler)
            return try profiler.finish()
        }
        let targets = (1..<parts).map { size * Int64($0) / Int64(parts) }
        // Cutting exactly counts quote parity from the start of the file: a serial read of all
        // but the last part before any part starts (0.23 s of a 1.1 GB file's 6.3 s). Unless the
        // file shows quoted newlines, the cuts are guessed at the first LF after each target
        // instead, and each part but the last checks that it ended outside quotes.
        let planned = try FileSplitter.plannedCuts(in: file, after: targets, format: format, quoteSample: quoteSample, maximumRecord: options.maximumRecordBytes)
        if let cuts = planned.cuts,
            let profile = try profileParts(file, ranges: FileSplitter.ranges(between: cuts, size: size), checkEnds: planned.guessed, format: format, options: options, rules: rules)
        {
            return profile
        }
        // A guessed cut fell inside a quoted field: the parts' work is dropped (with the shared
        // tables it filled) and the file is cut exactly.
        return try profileCutExactly(file, targets: targets, format: format, options: options, rules: rules)
    }

    /// Profiles the file in parts cut at the first record boundary after each target, quote
    /// parity counted from the start of the file (a serial read, but never a wrong cut).
    static func profileCutExactly(_ file: ReadOnlyFile, targets: [Int64], format: TabularFormat, options: ProfileOptions, rules: QualityRules?) throws -> DatasetProfile {
        let size = file.size
        let cuts = try FileSplitter.boundaries(in: file, after: targets, quoted: format == .csv, maximumRecord: options.maximumRecordBytes)
        guard let profile = try profileParts(file, ranges: cuts.map { FileSplitter.ranges(between: $0, size: size) } ?? [0..<size], checkEnds: false, format: format, options: options, rules: rules)
        else { throw ProfileError("the file could not be cut into parts") }
        return profile
    }

    /// How much of a CSV file's start is read for quoted newlines before its cuts are guessed.
    static let quoteSample = 1 << 20

    /// Profiles the ranges at the same time against one set of uniqueness tables and merges
    /// them; nil when `checkEnds` and a part but the last ended inside a quoted field (its
    /// cut was not a record boundary).
    static func profileParts(
        _ file: ReadOnlyFile, ranges: [Range<Int64>], checkEnds: Bool, format: TabularFormat, options: ProfileOptions, rules: QualityRules?
    ) throws -> DatasetProfile? {
        // One set of uniqueness tables for all parts, sized for the rows the file likely holds.
        let tables = UniquenessTables(options: options, rules: rules, expectedRows: try FileSplitter.estimatedRecords(in: file, size: file.size))
        // The header comes from the first part's first record.
        let header = format == .csv ? try FileSplitter.header(in: file) : nil
        let results = ConcurrentResults<TabularProfiler>(count: ranges.count)
        DispatchQueue.concurrentPerform(iterations: ranges.count) { i in
            results.set(i, Result {
                try profilePart(file, range: ranges[i], first: i == 0, header: header, format: format, options: options, rules: rules, tables: tables,
                    endOnRecord: checkEnds && i < ranges.count - 1)
            })
        }
        if results.contains(where: \.missedRecordEnd) { return nil }
        return try merge(ranges.indices.map { i in { try results.take(i) } })
    }

    /// Profiles one part of a file (`first`: it starts at the header) against the shared tables.
    static func profilePart(
        _ file: ReadOnlyFile, range: Range<Int64>, first: Bool, header: [String]?, format: TabularFormat, options: ProfileOptions,
        rules: QualityRules?, tables: UniquenessTables, endOnRecord: Bool = false, afterChunk: (_ bytes: Int) -> Bool = { _ in true }
    ) throws(ProfileError) -> TabularProfiler {
        var profiler = first || header == nil
            ? TabularProfiler(format: format, options: options, rules: rules, tables: tables)
            : TabularProfiler(continuing: header ?? [], options: options, rules: rules, tables: tables)
        try read(file, range: range, into: &profiler, afterChunk: afterChunk)
        try profiler.endPart(onRecord: endOnRecord)
        return profiler
    }

    /// Ends a part's reading. With `onRecord` (the part ends at a guessed cut), a part that
    /// stops inside a record — a quoted field — is left unclosed and marked `missedRecordEnd`.
    mutating func endPart(onRecord: Bool) throws(ProfileError) {
        if onRecord && !(state == .fieldStart && fieldRanges.isEmpty) {
            missedRecordEnd = true
            return
        }
        try close()
    }

    /// Folds the parts' profilers, in file order, into the file's profile; an error names its
    /// line in the whole file.
    static func merge(_ parts: [() throws -> TabularProfiler]) throws -> DatasetProfile {
        var merged: TabularProfiler?
        var lineOffset = 0
        var byteOffset: Int64 = 0
        for take in parts {
            let part: TabularProfiler
            do {
                part = try take()
            } catch let error as ProfileError {
                throw error.moved(lines: lineOffset, bytes: byteOffset)
            }
            if merged == nil { merged = part } else { merged?.absorb(part, lineOffset: lineOffset) }
            lineOffset += part.line - 1
            byteOffset += part.bytes
        }
        guard var merged else { throw ProfileError("the file is empty") }
        return try merged.finish()
    }

    /// Feeds `range` of the file to `profiler` in `readChunk` pieces; `afterChunk` hears how many
    /// bytes each one held once it is profiled, and stops the reading early by returning false.
    static func read(
        _ file: ReadOnlyFile, range: Range<Int64>, into profiler: inout TabularProfiler, afterChunk: (_ bytes: Int) -> Bool = { _ in true }
    ) throws(ProfileError) {
        try file.forEachChunk(in: range, chunk: readChunk) { chunk throws(ProfileError) in
            try profiler.consume(chunk)
            return afterChunk(chunk.count)
        }
    }

    /// Bytes read from the file at a time (for whole files and the growing upload alike). 1 MiB
    /// and 64 KiB measured the same on the benchmark files once the page cache was warm.
    static let readChunk = 128 << 10

    /// Ends a part: the last record without a final newline is completed.
    mutating func close() throws(ProfileError) {
        do {
            try closeRecords()
        } catch {
            throw refusal ?? error
        }
        if let refusal { throw refusal }
    }

    private mutating func closeRecords() throws(ProfileError) {
        fieldRanges.makeUnique()
        defer {
            profileBlock()
            flushDuplicates()
            evaluator?.flushKeys()
        }
        guard utf8.isAtBoundary else { throw ProfileError("the file ends inside a UTF-8 character", line: line) }
        switch format {
        case .csv:
            switch state {
            case .quoted: throw ProfileError(line: quoteLine) { line, _ in "a quoted field opened on line \(line) is never closed" }
            case .unquoted, .quoteInQuoted: endFieldAndRecord()
            case .fieldStart: if !fieldRanges.isEmpty { endFieldAndRecord() }
            }
        case .jsonLines:
            if !lineBuffer.isEmpty { endLine() }
        }
    }

    /// Folds a later part of the same file into this one.
    mutating func absorb(_ part: TabularProfiler, lineOffset: Int) {
        bytes += part.bytes
        rows += part.rows
        ragged += part.ragged
        malformed += part.malformed
        if firstProblemLine == nil, let line = part.firstProblemLine { firstProblemLine = line + lineOffset }
        duplicateCount += part.duplicateCount
        // The uniqueness tables are shared, so a row repeated across parts was counted by the
        // part that met it second.
        if let theirs = part.evaluator { evaluator?.merge(theirs) }
        if format == .jsonLines {
            // Columns are named by key; a key new to this part adds a column.
            for (name, column) in zip(part.names ?? [], part.columns) {
                if let i = columnIndex[name] {
                    columns[i].merge(column)
                } else {
                    columnIndex[name] = columns.count
                    names = (names ?? []) + [name]
                    var earlier = ColumnAccumulator(options: options)
                    for _ in 0..<(rows - part.rows) { earlier.addNull() }
                    earlier.merge(column)
                    columns.append(earlier)
                }
            }
            let partNames = Set(part.names ?? [])
            for (i, name) in (names ?? []).enumerated() where !partNames.contains(name) {
                for _ in 0..<part.rows { columns[i].addNull() }
            }
        } else {
            for i in columns.indices where i < part.columns.count { columns[i].merge(part.columns[i]) }
        }
        line += part.line - 1
    }

    /// Bytes the columns took from this part's column memory (tests hold it to the bound).
    var columnBytesHeld: Int { columns.reduce(0) { $0 + $1.held } }

    /// The header once the first record has been read.
    var headerNames: [String]? { names }

    public mutating func consume(_ chunk: UnsafeRawBufferPointer) throws(ProfileError) {
        // A long chunk in pieces: the row buffer grows by at most one piece before its record's
        // length is checked, so its offsets fit a `FieldRange`.
        var start = 0
        repeat {
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<min(chunk.count, start + max(1, largestChunk))])
            do {
                try consumeChunk(piece)
            } catch {
                throw refusal ?? error
            }
            if let refusal { throw refusal }
            start += piece.count
        } while start < chunk.count
    }

    /// The most bytes tokenized between two checks of the record's length (tests set less).
    var largestChunk = 64 << 20

    private mutating func consumeChunk(_ chunk: UnsafeRawBufferPointer) throws(ProfileError) {
        fieldRanges.makeUnique()
        if let bad = utf8.consume(chunk) {
            let before = UnsafeRawBufferPointer(rebasing: chunk[..<bad]).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            let error = ProfileError(line: line + before, offset: bytes + Int64(bad)) { _, offset in "invalid UTF-8 at byte offset \(offset)\(UTF8StreamValidator.encodingHint)" }
            // A problem in the bytes before it comes first in the file: that is the refusal.
            if options.refuseProblems { try tokenize(UnsafeRawBufferPointer(rebasing: chunk[..<bad])) }
            throw error
        }
        bytes += Int64(chunk.count)
        try tokenize(chunk)
        // Bounded memory whatever the input: checked once per chunk, so a buffer overshoots by
        // at most one chunk before the file is refused.
        if row.count - recordStart > options.maximumRecordBytes || lineBuffer.count > options.maximumRecordBytes {
            if format == .csv && state == .quoted {
                let mebibytes = options.maximumRecordBytes >> 20
                throw ProfileError(line: quoteLine) { line, _ in "a quoted field opened on line \(line) is still open \(mebibytes) MiB later" }
            }
            let (mebibytes, kind) = (options.maximumRecordBytes >> 20, format == .csv ? "CSV" : "JSON-lines")
            throw ProfileError(line: line) { line, _ in "a record longer than \(mebibytes) MiB starts on line \(line) — is this a \(kind) file?" }
        }
        if fieldRanges.count > options.maximumColumns || columns.count > options.maximumColumns {
            let limit = options.maximumColumns
            throw ProfileError(line: line) { line, _ in "more than \(limit) columns on line \(line)" }
        }
    }

    private mutating func tokenize(_ chunk: UnsafeRawBufferPointer) throws(ProfileError) {
        switch format {
        case .csv: try csv(chunk)
        case .jsonLines:
            for byte in chunk {
                jsonl(byte)
                if byte == 0x0A { line += 1 }
            }
        }
    }

    public mutating func finish() throws(ProfileError) -> DatasetProfile {
        try close()
        guard bytes > 0 else { throw ProfileError("the file is empty") }
        guard let names else { throw ProfileError("the file has no header row") }
        let duplicateRows = duplicates == nil ? nil : duplicateCount
        var approximations: [String] = []
        if let duplicates, duplicates.untracked > 0 {
            approximations.append(
                "duplicate rows: at least the count shown — \(duplicates.count) distinct rows were tracked within the \(options.memoryLimit / 1_000_000) MB assessor memory and \(duplicates.untracked) later rows could not be checked against each other; raise the memory bound for an exact count")
        }
        approximations += evaluator?.keyApproximations(memoryLimit: options.memoryLimit) ?? []
        if let line = ColumnMemory.approximation(columns.map { ($0.yielded, $0.hll?.standardError) }, options: options) { approximations.append(line) }
        let profile = DatasetProfile(
            format: format, bytes: bytes, rows: rows, columns: zip(names, columns).map { $1.profile(name: $0) },
            duplicateRows: duplicateRows, raggedRows: ragged, malformedLines: malformed, firstProblemLine: firstProblemLine,
            approximations: approximations)
        guard var evaluator else { return profile.with(quality: QualityReport.implied(by: profile, now: options.now)) }
        evaluator.addResidentIDChecks(profile)
        return profile.with(quality: evaluator.report(duplicateRows: duplicateRows, now: options.now ?? Date()))
    }

    // MARK: CSV

    /// The tokenizer: runs of ordinary bytes (an unquoted field, the text of a quoted one) are
    /// found eight bytes at a time; only the bytes that end them — comma, line end, quote — are
    /// looked at one by one. Bytes are copied into `row` as they stand, in one piece from the
    /// last byte the state machine handled (a quote, a line end) to the next: the commas of
    /// unquoted fields go along and their fields' ranges leave them out.
    private mutating func csv(_ chunk: UnsafeRawBufferPointer) throws(ProfileError) {
        guard let base = chunk.baseAddress else { return }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let n = chunk.count
        var i = 0
        // chunk[copied..<i] is waiting to be copied; a byte at i would be at row.count + i - copied.
        var copied = 0
        while i < n {
            if skipLF {
                skipLF = false
                if chunk[i] == 0x0A {
                    line += 1
                    i += 1
                    copied = i
                    continue
                }
            }
            if state == .unquoted || state == .fieldStart {
                // Sets the state as it goes: after a comma, or inside a field.
                var (run, stopped) = unquotedFields(base, from: i, to: n, rowOffset: row.count &- copied)
                if !stopped {
                    // Fewer than eight bytes left: the rest of the field byte by byte.
                    let end = ByteScan.runEnd(base, from: run, to: n, in: state)
                    if end > run && state == .fieldStart { state = .unquoted }
                    run = end
                }
                i = run
                if i == n { break }
            } else {
                // Quoted text runs to the next quote or line end; after a closing quote, no run.
                i = ByteScan.runEnd(base, from: i, to: n, in: state)
                if i == n { break }
            }
            let byte = chunk[i]
            // A comma outside quotes (nearly every byte that ends a run) ends the field here.
            if byte == 0x2C, state == .unquoted || state == .fieldStart {
                let end = row.count &+ (i &- copied)
                fieldRanges.append(fieldBegin, end)
                fieldBegin = end &+ 1
                state = .fieldStart
                i += 1
                continue
            }
            if i > copied { row.append(contentsOf: UnsafeBufferPointer(start: bytes + copied, count: i &- copied)) }
            copied = i &+ 1
            try csv(byte)
            if byte == 0x0A { line += 1 }
            i += 1
        }
        if n > copied { row.append(contentsOf: UnsafeBufferPointer(start: bytes + copied, count: n &- copied)) }
    }

    /// Unquoted fields a word at a time, from `start` (in `.fieldStart` or `.unquoted`): every
    /// comma of a word before its first line end, CR or quote ends a field, found from the
    /// word's comma marks — most fields are shorter than a word, and finding each one's end
    /// with a search of its own cost a call and a loop per field. Returns where it stopped:
    /// at the first line end, CR or quote (`stopped`), or where fewer than eight bytes are
    /// left. `rowOffset` turns an offset in the chunk into one in `row`; no byte is copied.
    @inline(__always)
    private mutating func unquotedFields(_ base: UnsafeRawPointer, from start: Int, to n: Int, rowOffset: Int) -> (end: Int, stopped: Bool) {
        var i = start
        while i &+ 8 <= n {
            let w = ByteScan.word(base, i)
            // The lowest of these marks is exact (`ByteScan.zeros`); the comma marks all are.
            let stops = ByteScan.zeros(w ^ (0x0A &* ByteScan.ones)) | ByteScan.zeros(w ^ (0x0D &* ByteScan.ones)) | ByteScan.zeros(w ^ (0x22 &* ByteScan.ones))
            var commas = ByteScan.matches(w, 0x2C)
            // Bytes of the word that belong to fields: all eight, or those before the stop.
            let taken = stops == 0 ? 8 : stops.trailingZeroBitCount >> 3
            if stops != 0 { commas &= (stops & (0 &- stops)) &- 1 }
            if commas != 0 {
                var afterComma = 0
                repeat {
                    let k = commas.trailingZeroBitCount >> 3
                    let end = rowOffset &+ i &+ k
                    fieldRanges.append(fieldBegin, end)
                    fieldBegin = end &+ 1
                    afterComma = k &+ 1
                    commas &= commas &- 1
                } while commas != 0
                state = afterComma == taken ? .fieldStart : .unquoted
            } else if taken > 0 {
                state = .unquoted
            }
            if stops != 0 { return (i &+ taken, true) }
            i &+= 8
        }
        return (i, false)
    }

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
                let field = fieldRanges.count + 1
                problem { "a stray quote inside unquoted field \(field) on line \($0); quote the whole field and double the quotes inside it" }
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
                let field = fieldRanges.count + 1
                problem { "unexpected text after the closing quote of field \(field) on line \($0)" }
                row.append(byte)
                state = .unquoted
            }
        }
    }

    /// Ends a field at the end of `row` (the state machine's path: it copies byte by byte).
    private mutating func endField() {
        fieldRanges.append(fieldBegin, row.count)
        fieldBegin = row.count
    }

    private mutating func endFieldAndRecord() {
        endField()
        endRecord()
        state = .fieldStart
    }

    /// Counts a problem on the current line; `describe` (given the line in the whole file)
    /// words it for a refusal.
    private mutating func problem(_ describe: @escaping @Sendable (_ line: Int) -> String) {
        if firstProblemLine == nil { firstProblemLine = line }
        if options.refuseProblems && refusal == nil { refusal = ProfileError(line: line) { line, _ in describe(line) } }
    }

    private mutating func endRecord() {
        defer {
            // A record that did not join the block (the header, a blank line) is forgotten.
            fieldRanges.removeAll()
            fieldBegin = row.count
        }
        // A blank line is not a record.
        if fieldRanges.count == 1, fieldRanges[0] == recordStart..<recordStart { return }
        guard names != nil else {
            names = row.withUnsafeBufferPointer { buffer in
                fieldRanges.withFields { fields in
                    fields.map { range in
                        String(decoding: range.bytes(in: buffer), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    }
                }
            }
            row.removeSubrange(recordStart...)
            if options.refuseProblems, let message = HeaderNames.problem(names ?? []) { problem { _ in message } }
            makeColumns(names?.count ?? 0)
            return
        }
        rows += 1
        if fieldRanges.count != columns.count {
            ragged += 1
            let (found, expected) = (fieldRanges.count, columns.count)
            problem { "the row on line \($0) has \(found) fields, the header has \(expected)" }
        }
        // The record joins the block with its fields' ranges where they are, its extra fields
        // dropped, missing ones marked so.
        fieldRanges.commit(width: columns.count)
        recordStart = row.count
        blockRows += 1
        if blockRows >= Self.blockRows || row.count >= Self.blockBytes { profileBlock() }
    }

    /// Records per block, and the bytes at which a block of long records is profiled early.
    static let blockRows = 1_024
    static let blockBytes = 1 << 20
    /// How many values ahead a count-table slot is prefetched.
    static let prefetchDistance = 8

    /// Profiles the waiting records one column at a time, then checks them row by row against
    /// the rules and the duplicate-row table. Column by column, a column's count table (up to
    /// 256 KiB) stays in the core's cache for the block instead of being evicted between rows by
    /// the other columns' tables and the uniqueness tables' random accesses, and the table's
    /// probes for successive values do not wait on each other.
    private mutating func profileBlock() {
        guard blockRows > 0 else { return }
        let width = columns.count
        let rowCount = blockRows
        let rules = evaluator != nil
        // The row's hash folds its fields' hashes in order; a missing field differs from an empty one.
        var rowHashes = [UInt64](repeating: 0x2545_F491_4F6C_DD1D, count: rowCount)
        // Facts only of the columns the rules read; the others' slots are never read.
        evaluator?.resolve(names ?? [])
        let readsColumn = evaluator?.readsColumn ?? []
        if rules && facts.count < rowCount * width { facts = [FieldFacts](repeating: .missing, count: rowCount * width) }
        // One scan per row, written in place (an append per value checked the array's uniqueness
        // and capacity each time).
        if scans.count < rowCount { scans = [ValueScan](repeating: ValueScan(UnsafeBufferPointer(start: nil, count: 0)), count: rowCount) }
        if shapes.count < rowCount * width { shapes = [UInt64](repeating: 0, count: rowCount * width) }
        if rowLevels.count < rowCount { rowLevels = [Int8](repeating: 0, count: rowCount) }
        if sampledRows.count < rowCount { sampledRows = [Int32](repeating: 0, count: rowCount) }
        // Zeros after the last record, so that every value's tail can be read as one word.
        row.append(contentsOf: repeatElement(0, count: ValueScan.paddingBytes))
        // A local copy, written back after the block: the property, reached from inside the
        // closures below, was checked for exclusive access on every value.
        var memory = columnMemory
        defer { columnMemory = memory }
        row.withUnsafeBufferPointer { buffer in
            fieldRanges.withBlock { ranges in
                columns.withUnsafeMutableBufferPointer { columns in
                    rowHashes.withUnsafeMutableBufferPointer { rowHashes in
                        facts.withUnsafeMutableBufferPointer { facts in
                            scans.withUnsafeMutableBufferPointer { scans in
                                shapes.withUnsafeMutableBufferPointer { shapes in
                                    for i in 0..<width {
                                        if columns[i].remembers {
                                            Self.addRemembered(
                                                column: i, width: width, rows: rowCount, buffer, ranges, &columns[i], rowHashes, shapes,
                                                i < readsColumn.count && readsColumn[i] ? facts : nil, &memory)
                                            continue
                                        }
                                        // The column's values are scanned first (hash, shape, length), so
                                        // that each value's count-table slot is asked for a few values
                                        // before it is probed.
                                        for r in 0..<rowCount {
                                            scans[r] = ValueScan(ranges[r &* width &+ i].bytes(in: buffer), readableAfter: true)
                                        }
                                        let keepFacts = i < readsColumn.count && readsColumn[i]
                                        for r in 0..<min(Self.prefetchDistance, rowCount) { columns[i].prefetch(scans[r]) }
                                        for r in 0..<rowCount {
                                            if r &+ Self.prefetchDistance < rowCount { columns[i].prefetch(scans[r &+ Self.prefetchDistance]) }
                                            let range = ranges[r &* width &+ i]
                                            if !range.isMissing {
                                                let value = range.bytes(in: buffer)
                                                let found = columns[i].add(value, scan: scans[r], memory: &memory)
                                                rowHashes[r] = ColumnAccumulator.fold(rowHashes[r] ^ found.hash)
                                                shapes[r &* width &+ i] = ColumnAccumulator.detectorShape(value, scans[r], found)
                                                if keepFacts { facts[r &* width &+ i] = found }
                                            } else {
                                                // scans[r] is the empty value's: the field is missing.
                                                columns[i].add(UnsafeBufferPointer(start: nil, count: 0), scan: scans[r], memory: &memory)
                                                if keepFacts { facts[r &* width &+ i] = .missing }
                                                rowHashes[r] = ColumnAccumulator.fold(rowHashes[r] ^ 0x5851_F42D_4C95_7F2D)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // The rows' hashes finished once, for the detectors' sample and the duplicate rows.
            rowHashes.withUnsafeMutableBufferPointer { hashes in
                for r in hashes.indices { hashes[r] = ColumnAccumulator.finish(hashes[r]) }
            }
            fieldRanges.withBlock { ranges in
                Self.detect(buffer, ranges, rowHashes, shapes, &rowLevels, &sampledRows, &columns)
                if rules {
                    facts.withUnsafeBufferPointer { facts in
                        evaluator?.block(names ?? [], RuleEvaluator.Block(buffer: buffer, ranges: ranges, facts: facts, width: width, rows: rowCount))
                    }
                }
            }
        }
        for hash in rowHashes { countDuplicate(hash) }
        // Only whole records are in a block when it is profiled (or the file ended in error).
        row.removeAll(keepingCapacity: true)
        recordStart = 0
        fieldRanges.removeAllBlocks()
        blockRows = 0
    }

    /// Adds a block's values of column `i`, which has few distinct values so far: each is
    /// looked up in the column's memo by its hash, and scanned whole only when it is not there.
    /// A function of its own: written into the block's loop, it kept the optimizer from
    /// inlining the other columns' value scan there.
    @inline(never)
    private static func addRemembered(
        column i: Int, width: Int, rows rowCount: Int, _ buffer: UnsafeBufferPointer<UInt8>, _ ranges: UnsafeBufferPointer<FieldRange>,
        _ column: inout ColumnAccumulator, _ rowHashes: UnsafeMutableBufferPointer<UInt64>, _ shapes: UnsafeMutableBufferPointer<UInt64>,
        _ facts: UnsafeMutableBufferPointer<FieldFacts>?, _ memory: inout ColumnMemory.Pool
    ) {
        for r in 0..<rowCount {
            let range = ranges[r &* width &+ i]
            if !range.isMissing {
                let value = range.bytes(in: buffer)
                let (found, shape) = column.add(value, hash: ValueScan.hash(of: value, readableAfter: true), readableAfter: true, memory: &memory)
                rowHashes[r] = ColumnAccumulator.fold(rowHashes[r] ^ found.hash)
                shapes[r &* width &+ i] = shape
                facts?[r &* width &+ i] = found
            } else {
                column.add(UnsafeBufferPointer(start: nil, count: 0), scan: ValueScan.empty, memory: &memory)
                facts?[r &* width &+ i] = .missing
                rowHashes[r] = ColumnAccumulator.fold(rowHashes[r] ^ 0x5851_F42D_4C95_7F2D)
            }
        }
    }

    private mutating func countDuplicate(_ hash: UInt64) {
        guard duplicates != nil else { return }
        pendingRows.append(hash)
        if pendingRows.count >= SharedHashSet.batchSize { flushDuplicates() }
    }

    private mutating func flushDuplicates() {
        guard let duplicates, !pendingRows.isEmpty else { return }
        duplicateCount += pendingRows.withUnsafeBufferPointer { duplicates.insert(batch: $0, scratch: &batchScratch) }
        pendingRows.removeAll(keepingCapacity: true)
    }

    /// Runs the detectors over a profiled block, now that its rows' hashes are whole and
    /// finished (`rowHashes`): on the rows each column's sample takes (`DetectorSample`). The
    /// rows below every column's sample are left out first, once for the block: past the first
    /// million values of a column that is most rows, and asking each column about each of them
    /// — a strided read of the block's field ranges per question — was 8 % of a run on the
    /// 10M-row benchmark; the rows left are then taken row by row, not column by column
    /// (6.4 % → 5.1 %).
    /// A function of its own: written into the profiling loop's closures, it kept the
    /// optimizer from inlining the value scan there (12 % of a run).
    private static func detect(
        _ buffer: UnsafeBufferPointer<UInt8>, _ ranges: UnsafeBufferPointer<FieldRange>, _ rowHashes: [UInt64], _ shapes: [UInt64], _ rowLevels: inout [Int8],
        _ sampledRows: inout [Int32], _ columns: inout [ColumnAccumulator]
    ) {
        let width = columns.count
        let rowCount = rowHashes.count
        // A sample's level only rises, so a row below every column's sample now stays out of
        // them for the whole block.
        let lowest = columns.reduce(DetectorSample.levels) { min($0, $1.detection.lowestTaken) }
        var sampled = 0
        rowLevels.withUnsafeMutableBufferPointer { rowLevels in
            sampledRows.withUnsafeMutableBufferPointer { sampledRows in
                for r in 0..<rowCount {
                    let level = DetectorSample.level(of: rowHashes[r])
                    rowLevels[r] = Int8(truncatingIfNeeded: level)
                    // Written always, kept when the row is in: no branch to mispredict.
                    sampledRows[sampled] = Int32(truncatingIfNeeded: r)
                    sampled &+= level >= lowest ? 1 : 0
                }
            }
        }
        columns.withUnsafeMutableBufferPointer { columns in
            shapes.withUnsafeBufferPointer { shapes in
                rowLevels.withUnsafeBufferPointer { rowLevels in
                    sampledRows.withUnsafeBufferPointer { sampledRows in
                        // Row by row: a row's field ranges lie together (a column's are a
                        // row apart), and each column still sees its rows in order.
                        for k in 0..<sampled {
                            let r = Int(sampledRows[k])
                            let level = Int(rowLevels[r])
                            let row = r &* width
                            for i in 0..<width {
                                guard columns[i].detection.takes(level), !ranges[row &+ i].isMissing else { continue }
                                columns[i].detect(ranges[row &+ i].bytes(in: buffer), shape: shapes[row &+ i], rowLevel: level)
                            }
                        }
                    }
                }
            }
        }
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
            problem { "line \($0) is not a JSON object" }
            return
        }
        if names == nil { names = [] }
        // Keys seen for the first time become columns; earlier rows lacked them (nulls).
        for key in object.keys.sorted() where columnIndex[key] == nil {
            columnIndex[key] = columns.count
            names?.append(key)
            var column = ColumnAccumulator(options: options)
            columnMemory.resize(columns: columns.count + 1)
            column.sketchPrecision = ColumnMemory.sketchPrecision(share: columnMemory.share)
            for _ in 0..<rows { column.addNull() }
            columns.append(column)
        }
        rows += 1
        var hasher = Hasher()
        // The line's level in the detectors' sample, from a hash of its bytes (`Hasher` is seeded
        // per process; the sample must be the same in every run).
        let rowLevel = DetectorSample.level(of: ColumnAccumulator.finish(lineBuffer.withUnsafeBufferPointer { ValueScan($0).hash }))
        for (i, name) in (names ?? []).enumerated() {
            var bytes: [UInt8]
            switch object[name] {
            case .string(let s)?: bytes = Array(s.utf8)
            case .null?, nil: bytes = []
            case .some(let other): bytes = other.encodedBytes()
            }
            if object[name] == nil { hasher.combine(-1) } else { hasher.combine(bytes) }
            let present = object[name] != nil
            let found = bytes.withUnsafeBufferPointer { b in
                let scan = ValueScan(b)
                let found = columns[i].add(b, scan: scan, memory: &columnMemory)
                if present { columns[i].detect(b, shape: ColumnAccumulator.detectorShape(b, scan, found), rowLevel: rowLevel) }
                return found
            }
            if evaluator != nil {
                ranges.append(object[name] == nil ? .missing : FieldRange(row.count, row.count + bytes.count))
                facts.append(object[name] == nil ? .missing : found)
                row += bytes
            }
        }
        if evaluator != nil {
            row.withUnsafeBufferPointer { buffer in
                ranges.withUnsafeBufferPointer { ranges in
                    facts.withUnsafeBufferPointer { evaluator?.row(names ?? [], buffer, ranges, $0) }
                }
            }
            row.removeAll(keepingCapacity: true)
            ranges.removeAll(keepingCapacity: true)
            facts.removeAll(keepingCapacity: true)
        }
        countDuplicate(UInt64(bitPattern: Int64(hasher.finalize())))
    }
}
