import DataspaceCore
import Foundation

/// Profiles a file while it is still being written, so a publish reads its upload once. The
/// parts share the uniqueness tables and merge as in `TabularProfiler.profile(path:)`, so the
/// counts are the ones a profile of the finished file gives.
///
/// - With the size known up front (an upload's Content-Length, `expectedBytes`), the file is
///   cut where `TabularProfiler.profile(path:)` cuts a file of that size, and each part starts
///   as soon as the bytes at its cut have landed, reading behind the writer. A file that ends
///   at that size — an upload stored as sent — gets the very report `dataspace quality` gives
///   it, approximations included, however the writes were timed.
/// - Without it, the first part starts on the bytes as they land; when the writer is done,
///   what the first part has not read yet is cut into one share per core, so the cores finish
///   together. The estimates past the exact bounds (top values of very large columns, which
///   columns yield their memory in a wide file) then depend on where the first part had got to.
///
/// The writer calls `wrote(total:)` after each write, then `finish(size:)` (or `cancel()`);
/// `profile()` waits for the result. Reads go through descriptors opened at the start, so the
/// file may be renamed or removed once `finish` has returned.
///
/// While the upload runs, the first part keeps pace with the later parts (`Pacing`): it starts
/// first, half an upload ahead of the part after it, and would otherwise end first by about as
/// much, leaving a core idle while the last part runs on.
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
    /// The same file, its reads waiting for the writer (`waitForBytes`): the first part's
    /// read-ahead and the search for cuts read through it.
    private var growing: ReadOnlyFile?
    /// The same again for the later parts: their waits for bytes are told apart from the
    /// first part's (`laterReadersWaiting`).
    private var growingLater: ReadOnlyFile?
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
    /// The parts were planned from `expectedBytes` before the writer finished.
    private var plannedAhead = false
    /// Planned ahead, no cut was found: the first part reads to the end, wherever that is.
    private var firstTakesAll = false
    /// A guessed cut missed and the file was profiled again (for tests).
    private(set) var cutAgain = false
    /// Bytes the first part has taken so far.
    private var firstTaken: Int64 = 0
    /// The later parts' progress, in file order (the first part's pace is set by them).
    private var later: [Pacing.Progress] = []
    /// Readers of later parts waiting for bytes the writer has not written yet.
    private var laterReadersWaiting = 0
    /// The first part is waiting for the later parts to catch up.
    private var firstPaced = false
    private var tables: UniquenessTables?
    private var results: [Result<TabularProfiler, ProfileError>?] = [nil]
    private var outcome: Result<DatasetProfile, any Error>?
    private var waiters: [CheckedContinuation<DatasetProfile, any Error>] = []

    /// Starts profiling `path`, which a writer is filling; `expectedBytes` (the upload's
    /// Content-Length, when known) places the cuts and sizes the uniqueness tables. A wrong one
    /// costs only the cuts' match with `dataspace quality`, never a count or a hang.
    /// `readsAroundCache`: the writer writes the file around the page cache (O_DIRECT), so it
    /// is read around the cache as well.
    public convenience init(
        path: String, format: TabularFormat, options: ProfileOptions = ProfileOptions(), rules: QualityRules? = nil, expectedBytes: Int64? = nil,
        readsAroundCache: Bool = false
    ) throws {
        try self.init(
            path: path, format: format, options: options, rules: rules, expectedBytes: expectedBytes, quoteSample: TabularProfiler.quoteSample,
            readsAroundCache: readsAroundCache)
    }

    /// As the public initializer, reading `quoteSample` bytes for quoted newlines before the
    /// cuts are guessed (tests set 0 to make every cut a guess).
    init(
        path: String, format: TabularFormat, options: ProfileOptions, rules: QualityRules?, expectedBytes: Int64?, quoteSample: Int,
        readsAroundCache: Bool = false
    ) throws {
        self.format = format
        self.options = options
        self.rules = rules
        self.expectedBytes = expectedBytes
        self.quoteSample = quoteSample
        file = try ReadOnlyFile(path: path, aroundCache: readsAroundCache)
        growing = try ReadOnlyFile(path: path, aroundCache: readsAroundCache) { [weak self] end throws(ProfileError) in
            guard let self else { throw ProfileError("the upload was abandoned") }
            return try self.waitForBytes(upTo: end)
        }
        growingLater = try ReadOnlyFile(path: path, aroundCache: readsAroundCache) { [weak self] end throws(ProfileError) in
            guard let self else { throw ProfileError("the upload was abandoned") }
            return try self.waitForBytes(upTo: end, laterPart: true)
        }
        if let expectedBytes, options.parts > 1, expectedBytes >= options.parallelThreshold {
            // Cut where a profile of a finished file of that size cuts it; the first part stops
            // at the first target until the cut after it is found.
            let parts = Int64(options.parts)
            let targets = (1..<parts).map { expectedBytes * $0 / parts }
            plannedAhead = true
            firstLimit = targets[0]
            let planner = Thread { [self] in planParts(after: targets) }
            planner.name = "assessment (cuts)"
            planner.start()
        }
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
        if plannedAhead {
            // The planner (or the parts it started) go on to the end, which they now know.
            if firstTakesAll {
                firstLimit = size
                firstEndFixed = true
            }
            condition.broadcast()
            condition.unlock()
            return
        }
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

        let found = cuts(in: file, after: targets)
        startLaterParts(cuts: found.cuts.filter { $0 < size }, guessed: found.guessed, header: found.header, end: size)
    }

    /// Finds the cuts after `targets` (of the expected size) as the bytes there land, and
    /// starts the later parts on them.
    private func planParts(after targets: [Int64]) {
        guard let growing else { return }
        let found = cuts(in: growing, after: targets)
        // The last part reads to the end of the file, which may not be known yet.
        startLaterParts(cuts: found.cuts, guessed: found.guessed, header: found.header, end: .max)
    }

    /// The cuts after `targets` as `TabularProfiler.profile(path:)` finds them, and the CSV
    /// header the later parts need; none when the search fails (cancelled, or a problem the
    /// first part meets as well and reports).
    private func cuts(in file: ReadOnlyFile, after targets: [Int64]) -> (cuts: [Int64], guessed: Bool, header: [String]?) {
        do {
            let planned = try FileSplitter.plannedCuts(in: file, after: targets, format: format, quoteSample: quoteSample, maximumRecord: options.maximumRecordBytes)
            let cuts = planned.cuts ?? []
            let header = format == .csv && !cuts.isEmpty ? try FileSplitter.header(in: file) : nil
            return (cuts, planned.guessed, header)
        } catch {
            return ([], false, nil)
        }
    }

    /// Ends the first part at the first cut and starts a thread on each range after it, the
    /// last one ending at `end`; with no cuts, the first part reads to the end.
    private func startLaterParts(cuts: [Int64], guessed: Bool, header: [String]?, end: Int64) {
        condition.lock()
        defer { condition.unlock() }
        guard let firstCut = cuts.first, !cancelled, let growingLater else {
            firstTakesAll = true
            if let size {
                firstLimit = size
                firstEndFixed = true
            } else {
                firstLimit = .max
            }
            condition.broadcast()
            return
        }
        firstLimit = firstCut
        firstEndFixed = true
        guessedCuts = guessed
        let checkEnds = guessed
        let ranges = zip(cuts, cuts.dropFirst() + [end]).map { $0..<$1 }.filter { !$0.isEmpty }
        results += ranges.map { _ in nil }
        // The last part's end is the expected size until the writer is done.
        let expectedEnd = size ?? expectedBytes ?? end
        later = ranges.map { Pacing.Progress(length: min($0.upperBound, max(expectedEnd, $0.lowerBound + 1)) - $0.lowerBound) }
        let tables = sharedTables()
        condition.broadcast()
        for (i, range) in ranges.enumerated() {
            let part = Thread { [self] in
                let result = Result { () throws(ProfileError) -> TabularProfiler in
                    try TabularProfiler.profilePart(
                        growingLater, range: range, first: false, header: header, format: format, options: options, rules: rules, tables: tables,
                        endOnRecord: checkEnds && i < ranges.count - 1, afterChunk: { [self] bytes in laterPart(i, took: bytes) })
                }
                settle(part: i + 1, result)
            }
            part.name = "assessment (part \(i + 2))"
            part.start()
        }
    }

    /// Waits until the file holds `end` bytes or the writer is done; what it holds then.
    /// `laterPart`: a later part's reader asks (one short of bytes does not set the first
    /// part's pace).
    private func waitForBytes(upTo end: Int64, laterPart laterReader: Bool = false) throws(ProfileError) -> Int64 {
        condition.lock()
        defer { condition.unlock() }
        if !cancelled && size == nil && written < end {
            if laterReader {
                laterReadersWaiting += 1
                if firstPaced { condition.broadcast() }
            }
            while !cancelled && size == nil && written < end { condition.wait() }
            if laterReader { laterReadersWaiting -= 1 }
        }
        if cancelled { throw ProfileError("the upload was cancelled") }
        return size ?? written
    }

    /// A later part (index `i` among them) has profiled `bytes` more; whether it goes on.
    private func laterPart(_ i: Int, took bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        later[i].taken += Int64(bytes)
        if firstPaced { condition.broadcast() }
        return !cancelled
    }

    /// Whether the first part, having taken `offset` bytes of its range, is to wait for the
    /// later parts (`Pacing`). Call with the lock held.
    private func firstPartWaits(at offset: Int64) -> Bool {
        guard size == nil, firstEndFixed, laterReadersWaiting == 0, !later.isEmpty else { return false }
        let running = later.indices.filter { results[$0 + 1] == nil }.map { later[$0] }
        return Pacing.waits(first: Pacing.Progress(length: firstLimit, taken: offset), later: running, waiting: firstPaced)
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

    /// The error that has already ended the profile, if any — a part met invalid UTF-8, an
    /// unclosed quote or (with `refuseProblems`) a ragged row, and the parts before it ended
    /// without one — so the writer can refuse the upload without taking the rest of it.
    public var failure: ProfileError? {
        condition.lock()
        defer { condition.unlock() }
        if case .failure(let error as ProfileError)? = outcome { return error }
        return nil
    }

    /// Waits until the first part has taken every byte written so far that it may read yet
    /// (tests make it keep up with the writer, as it does behind a slow upload).
    func waitForFirstPart() {
        condition.lock()
        defer { condition.unlock() }
        // Before the first MiB (or the end) is there, the first part waits for it, not for reads.
        while !cancelled && outcome == nil && (written >= 1 << 20 || size != nil) && firstTaken < min(written, firstLimit) {
            condition.wait()
        }
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
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: DirectIO.alignment)
            defer { buffer.deallocate() }
            // Read ahead through the reads that wait for the writer: only bytes that have
            // landed are read, however far ahead.
            let ahead = file.readsAroundCache ? growing.map { ReadAhead(file: $0, chunk: chunk) } : nil
            defer { ahead?.close() }
            var offset: Int64 = 0
            var endsAtGuess = false
            while true {
                condition.lock()
                // While the upload runs, this part, started first, waits whenever it is ahead of
                // a later part that could use the core, so that the parts end together.
                while !cancelled && firstPartWaits(at: offset) {
                    firstPaced = true
                    condition.wait()
                }
                firstPaced = false
                var available = min(written, firstLimit) - offset
                while !cancelled && available <= 0 && !(firstEndFixed && offset >= firstLimit) {
                    condition.wait()
                    available = min(written, firstLimit) - offset
                }
                let stop = cancelled || (firstEndFixed && offset >= firstLimit)
                let wanted = Int(min(Int64(chunk), max(0, available)))
                firstTaken = offset + Int64(wanted)
                endsAtGuess = guessedCuts && firstLimit < (size ?? .max)
                // For `waitForFirstPart`; no one else waits on the first part's progress.
                condition.broadcast()
                condition.unlock()
                if stop { break }
                let into = UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted])
                let n = if let ahead { try ahead.read(at: offset, into: into) } else { try file.read(at: offset, into: into) }
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

    /// Whether the parts' results so far hold the file's first problem: a part failed and every
    /// part before it ended without one, on a record boundary (a part after a guessed cut that
    /// missed may fail on nonsense; that is left to the profile again with exact cuts).
    static func firstProblem(in results: [Result<TabularProfiler, ProfileError>?]) -> Bool {
        for slot in results {
            switch slot {
            case .failure?: return true
            case .success(let part)?: if part.missedRecordEnd { return false }
            case nil: return false
            }
        }
        return false
    }

    /// Records a part's result; the last one merges them and wakes whoever waits.
    private func settle(part: Int, _ result: Result<TabularProfiler, ProfileError>) {
        condition.lock()
        results[part] = result
        // A paced first part stops waiting for a part that has ended.
        if firstPaced { condition.broadcast() }
        // The file's first problem ends the assessment, and the others stop at their next chunk:
        // the first part's at once, a later part's once the parts before it have ended without
        // one, their lines and bytes placing it. Either way before the upload has ended, which
        // need not be taken further (`failure`).
        let failed = Self.firstProblem(in: results)
        if failed {
            cancelled = true
            condition.broadcast()
        }
        let done = firstEndFixed && results.allSatisfy { $0 != nil }
        guard outcome == nil, done || failed else {
            condition.unlock()
            return
        }
        var parts = results
        // A guessed cut inside a quoted field: a part before it ended inside the field (and
        // the ones after may have read nonsense). Their work and tables are dropped.
        let missed = !failed && parts.contains { slot in (try? slot?.get())?.missedRecordEnd == true }
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
