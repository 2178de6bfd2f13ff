import DataspaceCore
import Foundation

/// Profiles a file while it is still being written, so a publish reads its upload once: the
/// first part starts on the bytes as they land; when the writer is done, what the first part
/// has not read yet is cut at record boundaries into one share per core — the first part goes
/// on to the first cut, a thread takes each other share — so the cores finish together, as in
/// `TabularProfiler.profile(path:)`. The parts share the uniqueness tables and merge the same
/// way, so the counts are the ones a profile of the finished file gives.
///
/// The writer calls `wrote(total:)` after each write, then `finish(size:)` (or `cancel()`);
/// `profile()` waits for the result. Reads go through a descriptor opened at the start, so the
/// file may be renamed or removed once `finish` has returned.
///
/// The cuts are guessed at the first line end after each target unless the file's first MiB
/// shows a quoted newline (as in `TabularProfiler.profile(path:)`): counting quote parity from
/// the start of the file would be a serial read on the critical path. Each part but the last
/// checks that it ended outside quotes; if one did not, the parts' work is dropped and the
/// finished file is profiled again with exact cuts.
public final class GrowingFileProfiler: @unchecked Sendable {
    private let format: TabularFormat
    private let options: ProfileOptions
    private let rules: QualityRules?
    private let expectedBytes: Int64?
    private let quoteSample: Int
    private let file: ReadOnlyFile
    private let condition = NSCondition()

    // Guarded by `condition`.
    private var written: Int64 = 0
    private var size: Int64?
    private var cancelled = false
    /// The first part may read up to here; `firstEndFixed` once it is its real end.
    private var firstLimit: Int64 = .max
    private var firstEndFixed = false
    /// The cuts were guessed: every part but the last checks it ended on a record boundary.
    private var guessedCuts = false
    /// A guessed cut missed and the file was profiled again (for tests).
    private(set) var cutAgain = false
    /// Bytes the first part has taken so far.
    private var firstTaken: Int64 = 0
    private var tables: UniquenessTables?
    private var results: [Result<TabularProfiler, ProfileError>?] = [nil]
    private var outcome: Result<DatasetProfile, any Error>?
    private var waiters: [CheckedContinuation<DatasetProfile, any Error>] = []

    /// Starts profiling `path`, which a writer is filling; `expectedBytes` (the upload's
    /// Content-Length, when known) only sizes the uniqueness tables.
    public convenience init(path: String, format: TabularFormat, options: ProfileOptions = ProfileOptions(), rules: QualityRules? = nil, expectedBytes: Int64? = nil) throws {
        try self.init(path: path, format: format, options: options, rules: rules, expectedBytes: expectedBytes, quoteSample: TabularProfiler.quoteSample)
    }

    /// As the public initializer, reading `quoteSample` bytes for quoted newlines before the
    /// cuts are guessed (tests set 0 to make every cut a guess).
    init(path: String, format: TabularFormat, options: ProfileOptions, rules: QualityRules?, expectedBytes: Int64?, quoteSample: Int) throws {
        self.format = format
        self.options = options
        self.rules = rules
        self.expectedBytes = expectedBytes
        self.quoteSample = quoteSample
        file = try ReadOnlyFile(path: path)
        let first = Thread { [self] in runFirstPart() }
        first.name = "assessment (first part)"
        first.start()
    }

    /// The writer has written `total` bytes so far.
    public func wrote(total: Int64) {
        condition.lock()
        if total > written {
            written = total
            condition.broadcast()
        }
        condition.unlock()
    }

    /// The writer is done: the file is `size` bytes. Cuts what the first part has not read yet
    /// into equal shares at record boundaries and starts a thread on each share after the
    /// first; returns once no read needs the file's path any more (the reads go through the
    /// open descriptor).
    public func finish(size: Int64) {
        condition.lock()
        self.size = size
        written = size
        let taken = firstTaken
        guard options.parts > 1, !cancelled, outcome == nil, size >= options.parallelThreshold, size - taken >= options.parallelThreshold / 2 else {
            firstLimit = size
            firstEndFixed = true
            condition.broadcast()
            condition.unlock()
            return
        }
        // The first part may go on up to its share of what is left while the cuts are sought.
        let parts = Int64(options.parts)
        let targets = (1..<parts).map { taken + (size - taken) * $0 / parts }
        firstLimit = targets[0]
        condition.broadcast()
        condition.unlock()

        var cuts: [Int64] = []
        var header: [String]?
        var guessed = false
        do {
            let planned = try FileSplitter.plannedCuts(in: file, after: targets, format: format, quoteSample: quoteSample, maximumRecord: options.maximumRecordBytes)
            cuts = planned.cuts ?? []
            guessed = planned.guessed
            if format == .csv { header = try FileSplitter.header(in: file) }
        } catch {
            cuts = []  // the first part meets the same problem and reports it
        }
        cuts = cuts.filter { $0 < size }
        condition.lock()
        defer { condition.unlock() }
        guard let firstCut = cuts.first, !cancelled else {
            firstLimit = size
            firstEndFixed = true
            condition.broadcast()
            return
        }
        firstLimit = firstCut
        firstEndFixed = true
        guessedCuts = guessed
        let checkEnds = guessed
        let ranges = zip(cuts, cuts.dropFirst() + [size]).map { $0..<$1 }.filter { !$0.isEmpty }
        results += ranges.map { _ in nil }
        let tables = sharedTables()
        condition.broadcast()
        for (i, range) in ranges.enumerated() {
            let partHeader = header
            let part = Thread { [self] in
                let result = Result { () throws(ProfileError) -> TabularProfiler in
                    try TabularProfiler.profilePart(
                        file, range: range, first: false, header: partHeader, format: format, options: options, rules: rules, tables: tables,
                        endOnRecord: checkEnds && i < ranges.count - 1, cancelled: { [self] in isCancelled })
                }
                settle(part: i + 1, result)
            }
            part.name = "assessment (part \(i + 2))"
            part.start()
        }
    }

    /// The upload failed: the parts stop at their next chunk and `profile()` throws.
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        guard outcome == nil else {
            condition.unlock()
            return
        }
        outcome = .failure(CancellationError())
        let waiting = waiters
        waiters = []
        condition.unlock()
        for waiter in waiting { waiter.resume(throwing: CancellationError()) }
    }

    /// The finished file's profile, once every part is done.
    public func profile() async throws -> DatasetProfile {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if let outcome {
                condition.unlock()
                continuation.resume(with: outcome)
            } else {
                waiters.append(continuation)
                condition.unlock()
            }
        }
    }

    /// The error that has already ended the profile, if any — the first part met invalid
    /// UTF-8, an unclosed quote or (with `refuseProblems`) a ragged row — so the writer can
    /// refuse the upload without taking the rest of it.
    public var failure: ProfileError? {
        condition.lock()
        defer { condition.unlock() }
        if case .failure(let error as ProfileError)? = outcome { return error }
        return nil
    }

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// The uniqueness tables, made by whichever part needs them first, sized from the newlines in
    /// the first MiB and the expected (or final) size. Call with the lock held.
    private func sharedTables() -> UniquenessTables {
        if let tables { return tables }
        let bytes = size ?? expectedBytes ?? max(written, 64 << 20)
        let rows = (try? FileSplitter.estimatedRecords(in: file, size: bytes)) ?? (1 << 16)
        let made = UniquenessTables(options: options, rules: rules, expectedRows: max(rows, 1 << 16))
        tables = made
        return made
    }

    private func runFirstPart() {
        let result = Result { () throws(ProfileError) -> TabularProfiler in
            // Tables are sized once the first MiB is there (or the whole file, if smaller).
            condition.lock()
            while !cancelled && size == nil && written < 1 << 20 { condition.wait() }
            let tables = sharedTables()
            condition.unlock()
            var profiler = TabularProfiler(format: format, options: options, rules: rules, tables: tables)
            let chunk = TabularProfiler.readChunk
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
            defer { buffer.deallocate() }
            var offset: Int64 = 0
            var endsAtGuess = false
            while true {
                condition.lock()
                var available = min(written, firstLimit) - offset
                while !cancelled && available <= 0 && !(firstEndFixed && offset >= firstLimit) {
                    condition.wait()
                    available = min(written, firstLimit) - offset
                }
                let stop = cancelled || (firstEndFixed && offset >= firstLimit)
                let wanted = Int(min(Int64(chunk), max(0, available)))
                firstTaken = offset + Int64(wanted)
                endsAtGuess = guessedCuts && firstLimit < (size ?? .max)
                condition.unlock()
                if stop { break }
                let n = try file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
                guard n > 0 else { throw ProfileError("the file ended at byte \(offset) while it was being profiled") }
                offset += Int64(n)
                try profiler.consume(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            }
            try profiler.endPart(onRecord: endsAtGuess)
            return profiler
        }
        settle(part: 0, result)
    }

    /// The finished file profiled again, cut exactly, after a guessed cut missed.
    private func profileExactly() throws -> DatasetProfile {
        let size = file.size
        let parts = Int64(max(1, options.parts))
        return try TabularProfiler.profileCutExactly(file, targets: (1..<parts).map { size * $0 / parts }, format: format, options: options, rules: rules)
    }

    /// Records a part's result; the last one merges them and wakes whoever waits.
    private func settle(part: Int, _ result: Result<TabularProfiler, ProfileError>) {
        condition.lock()
        results[part] = result
        // The first part failing ends the assessment: the others stop at their next chunk. A
        // later part's error waits for the parts before it, whose lines and bytes place it.
        let firstFailed: Bool = { if case .failure = result { return part == 0 } else { return false } }()
        if firstFailed {
            cancelled = true
            condition.broadcast()
        }
        let done = firstEndFixed && results.allSatisfy { $0 != nil }
        guard outcome == nil, done || firstFailed else {
            condition.unlock()
            return
        }
        var parts = results
        // A guessed cut inside a quoted field: a part before it ended inside the field (and
        // the ones after may have read nonsense). Their work and tables are dropped.
        let missed = !firstFailed && parts.contains { slot in (try? slot?.get())?.missedRecordEnd == true }
        if missed {
            results = results.map { _ in nil }
            tables = nil
            cutAgain = true
        }
        condition.unlock()
        let merged = Result { () throws -> DatasetProfile in
            if missed {
                parts = []
                return try profileExactly()
            }
            return try TabularProfiler.merge(parts.map { slot in { () throws -> TabularProfiler in
                guard let slot else { throw ProfileError("a part of the file was not profiled") }
                return try slot.get()
            } })
        }
        condition.lock()
        guard outcome == nil else {
            condition.unlock()
            return
        }
        outcome = merged.mapError { $0 }
        let waiting = waiters
        waiters = []
        condition.unlock()
        for waiter in waiting { waiter.resume(with: merged) }
    }
}
