import DataspaceCore
import Foundation
import Testing

@testable import DataspaceQuality

/// Reads around the page cache (aligned blocks direct, the rest through the cache, chunks read
/// ahead on a thread) return exactly the bytes plain reads return.
@Suite struct ReadOnlyFileTests {
    static let size = (5 << 20) + 321

    static func file() throws -> (String, [UInt8]) {
        var random = SeededRandom(seed: 99)
        let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("around-\(UUID().uuidString.prefix(8))").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    @Test func readsAtAnyOffsetIntoAnyBufferGiveTheFilesBytes() throws {
        let (path, bytes) = try Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ReadOnlyFile(path: path, aroundCache: true)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: (1 << 20) + 8_192, alignment: DirectIO.alignment)
        defer { buffer.deallocate() }
        var random = SeededRandom(seed: 5)
        for i in 0..<300 {
            // Aligned offsets and buffers half the time (the direct path), the rest anywhere.
            let aligned = i % 2 == 0
            let offset = Int(random.next() % UInt64(Self.size + 10_000)) & (aligned ? ~4_095 : ~0)
            let shift = aligned ? 0 : Int(random.next() % 4_096)
            let count = Int(random.next() % (1 << 20))
            let into = UnsafeMutableRawBufferPointer(rebasing: buffer[shift..<(shift + count)])
            let n = try file.read(at: Int64(offset), into: into)
            let expected = offset < Self.size ? Array(bytes[offset..<min(Self.size, offset + count)]) : []
            #expect(n == expected.count && Array(UnsafeRawBufferPointer(rebasing: into[..<n])) == expected, "offset \(offset), shift \(shift), count \(count)")
        }
    }

    @Test(arguments: [true, false])
    func chunksOfARangeReadAheadAreTheRangesBytes(aroundCache: Bool) throws {
        let (path, bytes) = try Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ReadOnlyFile(path: path, aroundCache: aroundCache)
        // Around the cache only when asked (and where the file system allows it).
        #expect(aroundCache || !file.readsAroundCache)
        var random = SeededRandom(seed: 8)
        for _ in 0..<20 {
            let start = Int(random.next() % UInt64(Self.size))
            let end = start + Int(random.next() % UInt64(Self.size - start + 5_000))
            var seen: [UInt8] = []
            try file.forEachChunk(in: Int64(start)..<Int64(end), chunk: 128 << 10) { chunk in
                seen += chunk
                return true
            }
            #expect(seen == Array(bytes[start..<min(end, Self.size)]), "\(start)..<\(end)")
        }
        // A reader that stops early leaves the read-ahead thread to end by itself.
        var first: [UInt8] = []
        try file.forEachChunk(in: 1..<Int64(Self.size), chunk: 64 << 10) { chunk in
            first = Array(chunk)
            return false
        }
        #expect(first == Array(bytes[1..<(64 << 10)]))
    }

    /// The read-ahead answers from the span at hand, from the span read ahead, or directly,
    /// whatever the reader asks next: forward within a span, across spans, back, past the end.
    @Test func readAheadGivesTheBytesAskedWhereverTheReaderGoes() throws {
        let (path, bytes) = try Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ReadOnlyFile(path: path, aroundCache: true)
        let chunk = 128 << 10
        let ahead = ReadAhead(file: file, chunk: chunk)
        defer { ahead.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: DirectIO.alignment)
        defer { buffer.deallocate() }
        func read(_ offset: Int, _ count: Int) throws -> (Int, Bool) {
            let n = try ahead.read(at: Int64(offset), into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]))
            let expected = offset < Self.size ? Array(bytes[offset..<min(Self.size, offset + count)]) : []
            return (n, n == expected.count && Array(UnsafeRawBufferPointer(rebasing: buffer[..<n])) == expected)
        }
        // Front to back in whole and partial chunks, as the parts read.
        var offset = 0
        var step = 0
        while offset < Self.size {
            let count = step % 3 == 2 ? 1_000 : chunk
            let (n, same) = try read(offset, count)
            #expect(same && n > 0, "offset \(offset)")
            offset += n
            step += 1
        }
        #expect(try read(Self.size, chunk).0 == 0)
        // Anywhere, in any order.
        var random = SeededRandom(seed: 21)
        for _ in 0..<200 {
            let at = Int(random.next() % UInt64(Self.size + 1_000))
            let count = 1 + Int(random.next() % UInt64(chunk))
            let (_, same) = try read(at, count)
            #expect(same, "offset \(at), count \(count)")
        }
    }
}
