import DataspaceCore
import Foundation

/// A file opened for reading by offset (`pread`): threads can share it without sharing a file
/// position, and a file renamed or removed meanwhile stays readable until this is released —
/// which is what lets the assessment read an upload that is still being written and then moved
/// into the blob store.
final class ReadOnlyFile: Sendable {
    /// Waits until a file still being written holds `end` bytes; returns how many it holds then
    /// (fewer only once the writer is done and the file is complete).
    typealias Growth = @Sendable (_ end: Int64) throws(ProfileError) -> Int64

    let descriptor: Int32
    /// The same file opened around the page cache (`readsAroundCache`), for the aligned reads;
    /// -1 when there is none.
    let directDescriptor: Int32
    /// For a file still being written: reads wait for their bytes instead of ending early.
    let growth: Growth?

    /// Opens `path`; with `aroundCache`, aligned reads bypass the page cache where the file
    /// system allows it (an upload written around the cache, read once by the assessment).
    init(path: String, aroundCache: Bool = false, growth: Growth? = nil) throws(ProfileError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ProfileError("cannot open \(path)") }
        descriptor = fd
        var direct: Int32 = -1
        if aroundCache, let flag = DirectIO.flag {
            direct = open(path, O_RDONLY | O_CLOEXEC | flag)
            // The unaligned pieces read through the cache: no read-ahead of what the aligned
            // reads will take around it.
            if direct >= 0 { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) }
        }
        directDescriptor = direct
        self.growth = growth
    }

    deinit {
        close(descriptor)
        if directDescriptor >= 0 { close(directDescriptor) }
    }

    /// Aligned reads bypass the page cache (and get no read-ahead from the kernel).
    var readsAroundCache: Bool { directDescriptor >= 0 }

    /// The file's current size in bytes.
    var size: Int64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Fills `buffer` from `offset`; returns fewer bytes only at the end of the file (of a
    /// growing file: once it is complete). Around the cache, an aligned offset into an aligned
    /// buffer reads its whole blocks directly and only the rest through the cache.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(ProfileError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var count = buffer.count
        if let growth {
            let held = try growth(offset + Int64(count))
            count = Int(max(0, min(Int64(count), held - offset)))
        }
        let alignment = DirectIO.alignment
        var done = 0
        if directDescriptor >= 0, offset % Int64(alignment) == 0, Int(bitPattern: base) % alignment == 0, count >= alignment {
            let whole = count - count % alignment
            // A file system that refuses the direct read (EINVAL) gets it through the cache.
            if let direct = try? readAll(directDescriptor, into: base, count: whole, at: offset) {
                if direct < whole { return direct }
                done = direct
            }
        }
        return done + (try readAll(descriptor, into: base + done, count: count - done, at: offset + Int64(done)))
    }

    /// `pread`s until `count` bytes or the end of the file.
    private func readAll(_ fd: Int32, into base: UnsafeMutableRawPointer, count: Int, at offset: Int64) throws(ProfileError) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, base + done, count - done, off_t(offset) + off_t(done))
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw ProfileError("the file could not be read at byte offset \(offset + Int64(done))")
            }
            done += n
        }
        return done
    }

    /// Calls `body` with consecutive chunks of at most `chunk` bytes of `range` (to its end or
    /// the file's). The first chunk ends at an aligned offset, so the rest can be read around
    /// the cache.
    func forEachChunk(in range: Range<Int64>, chunk: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws(ProfileError) -> Bool) throws(ProfileError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: DirectIO.alignment)
        defer { buffer.deallocate() }
        var offset = range.lowerBound
        let misalignment = Int(offset % Int64(DirectIO.alignment))
        var next = chunk > misalignment ? chunk - misalignment : chunk
        let ahead = readsAroundCache ? ReadAhead(file: self, chunk: chunk) : nil
        defer { ahead?.close() }
        while offset < range.upperBound {
            let wanted = Int(min(Int64(next), range.upperBound - offset))
            next = chunk
            let into = UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted])
            let n = if let ahead { try ahead.read(at: offset, into: into) } else { try read(at: offset, into: into) }
            if n == 0 { return }
            offset += Int64(n)
            guard try body(UnsafeRawBufferPointer(rebasing: buffer[..<n])) else { return }
        }
    }
}

/// Cuts a file into parts that start at record boundaries, so the parts can be profiled at the
/// same time. For CSV a newline only ends a record outside quotes: exact cuts count quote parity
/// from the start of the file (one cheap pass over the bytes, no parsing); guessed cuts take the
/// next LF and are checked by the part that ends there.
enum FileSplitter {
    /// The ranges between consecutive cuts (ascending), from the start of a file of `size`
    /// bytes to its end; empty ones left out.
    static func ranges(between cuts: [Int64], size: Int64) -> [Range<Int64>] {
        let all = [0] + cuts.filter { $0 < size } + [size]
        return (0..<(all.count - 1)).compactMap { all[$0] < all[$0 + 1] ? all[$0]..<all[$0 + 1] : nil }
    }

    /// For each target offset (ascending), the offset just past the first record end at or after
    /// it, quote parity counted from the start of the file; targets past the last record end get
    /// none. Nil when a record longer than `maximumRecord` lies before the last cut (the file
    /// then goes as one part, whose profiler refuses that record, instead of scanning the rest
    /// of a possibly huge file).
    static func boundaries(in file: ReadOnlyFile, after targets: [Int64], quoted: Bool, maximumRecord: Int) throws(ProfileError) -> [Int64]? {
        var cuts: [Int64] = []
        var remaining = targets[...]
        var offset: Int64 = 0
        var insideQuotes = false
        var lastBoundary: Int64 = 0
        var tooLong = false
        guard !remaining.isEmpty else { return [] }
        try file.forEachChunk(in: 0..<Int64.max, chunk: 4 << 20) { buffer throws(ProfileError) in
            guard let base = buffer.baseAddress else { return false }
            // Quotes and newlines found eight bytes at a time.
            let more = ByteScan.forEachQuoteOrNewline(base, count: buffer.count) { i, isQuote in
                if isQuote {
                    if quoted { insideQuotes.toggle() }
                    return true
                }
                guard !insideQuotes else { return true }
                lastBoundary = offset + Int64(i)
                if let target = remaining.first, offset + Int64(i) >= target {
                    cuts.append(offset + Int64(i) + 1)
                    remaining.removeFirst()
                    if remaining.isEmpty { return false }
                }
                return true
            }
            guard more else { return false }
            offset += Int64(buffer.count)
            if offset - lastBoundary > Int64(maximumRecord) + (4 << 20) { tooLong = true }
            return !tooLong
        }
        return tooLong ? nil : cuts
    }

    /// For each target offset (ascending), the offset just past the first LF at or after it,
    /// found without reading what comes before: a record boundary for JSON lines, and for CSV
    /// unless a quoted field spans that LF — which only the part ending there can tell
    /// (`TabularProfiler.profile` checks and cuts again exactly if so). Targets with no LF
    /// after them get none; nil when a target has no LF within `maximumRecord` bytes.
    static func newlineCuts(in file: ReadOnlyFile, after targets: [Int64], maximumRecord: Int) throws(ProfileError) -> [Int64]? {
        var cuts: [Int64] = []
        for target in targets {
            var found: Int64?
            var offset = target
            try file.forEachChunk(in: target..<Int64.max, chunk: 64 << 10) { buffer throws(ProfileError) in
                guard let base = buffer.baseAddress else { return false }
                let i = ByteScan.newlineEnd(base, from: 0, to: buffer.count)
                if i < buffer.count {
                    found = offset + Int64(i) + 1
                    return false
                }
                offset += Int64(buffer.count)
                return offset - target <= Int64(maximumRecord)
            }
            if let found {
                if cuts.last.map({ found > $0 }) ?? true { cuts.append(found) }
            } else if offset - target > Int64(maximumRecord) {
                return nil
            }
        }
        return cuts
    }

    /// Cuts after `targets` for profiling in parts: guessed at the first LF after each (no
    /// serial read) unless the file is a CSV whose first `quoteSample` bytes show a quoted
    /// newline, then counted exactly. `guessed`: the parts must check that they end outside
    /// quotes (`TabularProfiler.endPart(onRecord:)`). Nil cuts when none can be found.
    static func plannedCuts(
        in file: ReadOnlyFile, after targets: [Int64], format: TabularFormat, quoteSample: Int, maximumRecord: Int
    ) throws(ProfileError) -> (cuts: [Int64]?, guessed: Bool) {
        if format == .csv, try hasQuotedNewline(in: file, sample: quoteSample) {
            return (try boundaries(in: file, after: targets, quoted: true, maximumRecord: maximumRecord), false)
        }
        // JSON lines have no quoted newlines: a line end is a record end.
        return (try newlineCuts(in: file, after: targets, maximumRecord: maximumRecord), format == .csv)
    }

    /// Whether a quoted field in the first `sample` bytes holds an LF: a file that has such
    /// fields is cut exactly (quote parity counted from the start), since a guessed cut would
    /// often land inside one.
    static func hasQuotedNewline(in file: ReadOnlyFile, sample: Int) throws(ProfileError) -> Bool {
        guard sample > 0 else { return false }
        var insideQuotes = false
        var found = false
        try file.forEachChunk(in: 0..<Int64(sample), chunk: 1 << 20) { buffer throws(ProfileError) in
            guard let base = buffer.baseAddress else { return false }
            return ByteScan.forEachQuoteOrNewline(base, count: buffer.count) { _, isQuote in
                if isQuote {
                    insideQuotes.toggle()
                } else if insideQuotes {
                    found = true
                }
                return !found
            }
        }
        return found
    }

    /// About how many records a file of `size` bytes holds, from the newlines in its first MiB
    /// (a little over, so tables sized from it rarely grow).
    static func estimatedRecords(path: String, size: Int64) throws -> Int {
        try estimatedRecords(in: ReadOnlyFile(path: path), size: size)
    }

    static func estimatedRecords(in file: ReadOnlyFile, size: Int64) throws(ProfileError) -> Int {
        var sampled = 0
        var newlines = 0
        try file.forEachChunk(in: 0..<(1 << 20)) { buffer throws(ProfileError) in
            sampled += buffer.count
            for byte in buffer where byte == 0x0A { newlines += 1 }
            return true
        }
        guard sampled > 0 else { return 0 }
        return Int(min(Double(Int.max / 2), Double(size) / Double(sampled) * Double(max(1, newlines)) * 1.05)) + 1_024
    }

    /// The CSV header's field names (the first record).
    static func header(path: String) throws -> [String] {
        try header(in: ReadOnlyFile(path: path))
    }

    static func header(in file: ReadOnlyFile) throws(ProfileError) -> [String] {
        var profiler = TabularProfiler(format: .csv, options: {
            var o = ProfileOptions()
            o.duplicateRows = false
            return o
        }())
        var names: [String]?
        try file.forEachChunk(in: 0..<Int64.max, chunk: 64 << 10) { buffer throws(ProfileError) in
            try profiler.consume(buffer)
            names = profiler.headerNames
            return names == nil
        }
        if let names { return names }
        return try profiler.finish().columns.map(\.name)
    }
}

/// Results written by concurrent workers, each to its own slot.
final class ConcurrentResults<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ result: Result<T, any Error>) {
        lock.lock()
        slots[i] = result
        lock.unlock()
    }

    /// Whether a part that succeeded satisfies `predicate`.
    func contains(where predicate: (T) -> Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return slots.contains { slot in
            if case .success(let value)? = slot { return predicate(value) }
            return false
        }
    }

    /// Hands over part `i`'s result and forgets it, so its memory goes as soon as it is merged.
    func take(_ i: Int) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let result = slots[i] else { throw ProfileError("a part of the file was not profiled") }
        slots[i] = nil
        return try result.get()
    }
}
