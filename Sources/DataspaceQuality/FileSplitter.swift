import Foundation

/// Cuts a file into parts that start at record boundaries, so the parts can be profiled at the
/// same time. For CSV a newline only ends a record outside quotes, so quote parity is counted
/// from the start of the file up to each cut (one cheap pass over the bytes, no parsing).
enum FileSplitter {
    /// A record longer than `maximumRecord` ends the search: the file goes as one part, whose
    /// profiler then refuses that record, instead of scanning the rest of a possibly huge file.
    static func split(path: String, size: Int64, parts: Int, quoted: Bool, maximumRecord: Int = 16 << 20) throws -> [Range<Int64>] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ProfileError("cannot open \(path)") }
        defer { try? handle.close() }
        var cuts: [Int64] = [0]
        var targets = (1..<parts).map { size * Int64($0) / Int64(parts) }
        var offset: Int64 = 0
        var insideQuotes = false
        var lastBoundary: Int64 = 0
        var tooLong = false
        while !targets.isEmpty && !tooLong {
            guard let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty else { break }
            chunk.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var next = 0
                while next < buffer.count {
                    // Quotes and newlines found eight bytes at a time.
                    let i = ByteScan.quotedEnd(base, from: next, to: buffer.count)
                    guard i < buffer.count else { break }
                    next = i + 1
                    if buffer[i] == 0x22 {
                        if quoted { insideQuotes.toggle() }
                        continue
                    }
                    guard !insideQuotes else { continue }
                    lastBoundary = offset + Int64(i)
                    if let target = targets.first, offset + Int64(i) >= target {
                        cuts.append(offset + Int64(i) + 1)
                        targets.removeFirst()
                        if targets.isEmpty { break }
                    }
                }
            }
            offset += Int64(chunk.count)
            if offset - lastBoundary > Int64(maximumRecord) + (4 << 20) { tooLong = true }
        }
        if tooLong { return [0..<size] }
        cuts.append(size)
        var ranges: [Range<Int64>] = []
        for i in 0..<(cuts.count - 1) where cuts[i] < cuts[i + 1] { ranges.append(cuts[i]..<cuts[i + 1]) }
        return ranges
    }

    /// About how many records a file of `size` bytes holds, from the newlines in its first MiB
    /// (a little over, so tables sized from it rarely grow).
    static func estimatedRecords(path: String, size: Int64) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ProfileError("cannot open \(path)") }
        defer { try? handle.close() }
        let sample = try handle.read(upToCount: 1 << 20) ?? Data()
        guard !sample.isEmpty else { return 0 }
        let newlines = max(1, sample.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
        return Int(min(Double(Int.max / 2), Double(size) / Double(sample.count) * Double(newlines) * 1.05)) + 1_024
    }

    /// The CSV header's field names (the first record).
    static func header(path: String) throws -> [String] {
        var profiler = TabularProfiler(format: .csv, options: {
            var o = ProfileOptions()
            o.duplicateRows = false
            return o
        }())
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ProfileError("cannot open \(path)") }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 64 << 10), !chunk.isEmpty {
            try chunk.withUnsafeBytes { try profiler.consume($0) }
            if let names = profiler.headerNames { return names }
        }
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

    /// Hands over part `i`'s result and forgets it, so its memory goes as soon as it is merged.
    func take(_ i: Int) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let result = slots[i] else { throw ProfileError("a part of the file was not profiled") }
        slots[i] = nil
        return try result.get()
    }
}
