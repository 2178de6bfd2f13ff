import Foundation
import Testing

@testable import DataspaceQuality

/// What columns remember stays within their share of the assessor's memory, however wide the
/// file or long its values, and what had to yield is said in the report and stays correct.
@Suite("Column memory")
struct ColumnMemoryTests {
    @Test("a sketch folded to fewer registers equals one made at that precision, and sketches of two precisions merge to it")
    func foldedSketches() {
        var random = SeededGenerator(seed: 3)
        let hashes = (0..<60_000).map { _ in random.next() }
        func sketch(_ precision: Int, _ values: ArraySlice<UInt64>) -> HyperLogLog {
            var s = HyperLogLog(precision: precision)
            for h in values { s.add(hash: h) }
            return s
        }
        let full = sketch(14, hashes[...])
        for precision in [8, 10, 13] {
            let direct = sketch(precision, hashes[...])
            #expect(full.folded(to: precision).registers == direct.registers, "precision \(precision)")
            #expect(full.folded(to: precision).estimate == direct.estimate)
        }
        let direct = sketch(10, hashes[...])
        var wide = sketch(14, hashes[..<25_000])
        wide.merge(sketch(10, hashes[25_000...]))
        var narrow = sketch(10, hashes[..<25_000])
        narrow.merge(sketch(14, hashes[25_000...]))
        #expect(wide.precision == 10 && wide.registers == direct.registers)
        #expect(narrow.precision == 10 && narrow.registers == direct.registers)
        #expect(abs(direct.estimate - 60_000) / 60_000 < 4 * direct.standardError)
    }

    @Test("text extremes longer than 256 bytes read as the true extremes cut, whichever part met them", arguments: [1, 2, 5])
    func cutExtremes(seed: UInt64) async throws {
        try await onOwnThread { try Self.cutExtremes(seed: seed) }
    }

    static func cutExtremes(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        // Values of 258–266 bytes sharing long prefixes, some with a three-byte character across
        // the cut, and a third of them followed by their cut prefix as a value of its own: less
        // than the value it was cut from, though their kept bytes are the same.
        let stem = String(repeating: "k", count: 250)
        var values: [String] = []
        for _ in 0..<2_000 {
            var v = stem
            let tail = 8 + Int(random.next() % 9)
            while v.utf8.count < stem.utf8.count + tail { v += ["a", "b", "城"][Int(random.next() % 3)] }
            values.append(v)
            if random.next() % 3 == 0 { values.append(String(keptExtreme(v).dropLast())) }
        }
        let csv = "id,text\n" + values.enumerated().map { "\($0.offset),\($0.element)" }.joined(separator: "\n") + "\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("extremes-\(seed)-\(UUID().uuidString.prefix(8)).csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = ProfileOptions()
        options.parallelThreshold = 1
        options.parts = 4
        let profile = try TabularProfiler.profile(path: path, format: .csv, options: options)
        let column = try #require(profile.columns.first { $0.name == "text" })
        let sorted = values.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(column.minimum == .text(keptExtreme(sorted.first ?? "")))
        #expect(column.maximum == .text(keptExtreme(sorted.last ?? "")))
    }

    @Test("a wide file's columns take no more than their memory, count every value and say what yielded")
    func wideFile() async throws {
        try await onOwnThread { try Self.wideFile() }
    }

    static func wideFile() throws {
        var csv = (0..<2_000).map { "c\($0)" }.joined(separator: ",") + "\n"
        for row in 0..<300 { csv += (0..<2_000).map { "v\(row)-\($0)" }.joined(separator: ",") + "\n" }
        var options = ProfileOptions()
        options.parts = 2
        var profiler = TabularProfiler(format: .csv, options: options)
        try csv.utf8.withContiguousStorageIfAvailable { try profiler.consume(UnsafeRawBufferPointer($0)) }
        let profile = try profiler.finish()
        // One part of two: half the columns' memory; each column's share keeps room for its sketch.
        #expect(profiler.columnBytesHeld <= options.columnMemory / 2)
        #expect(profile.columns.count == 2_000)
        #expect(profile.columns.allSatisfy { $0.values == 300 && !$0.distinctExact })
        // 2,000 columns of 7.5 KB: sketches of 1,024 registers, ≈3.2 % standard error.
        #expect(profile.columns.allSatisfy { abs(Double($0.distinct) - 300) <= 300 * 0.15 })
        let line = try #require(profile.approximations.first { $0.hasPrefix("columns:") })
        #expect(line.contains("2000 of 2000") && line.contains("3.2 % standard error"), "\(line)")

        // The same file with a bound ten times as high counts every column exactly.
        options.memoryLimit = 3_000_000_000
        var roomy = TabularProfiler(format: .csv, options: options)
        try csv.utf8.withContiguousStorageIfAvailable { try roomy.consume(UnsafeRawBufferPointer($0)) }
        let exact = try roomy.finish()
        #expect(exact.columns.allSatisfy { $0.distinct == 300 && $0.distinctExact && $0.topValues.count == 10 })
        #expect(!exact.approximations.contains { $0.hasPrefix("columns:") })
    }

    @Test("JSON lines whose keys keep coming: the part's column memory still bounds them")
    func growingKeys() async throws {
        try await onOwnThread { try Self.growingKeys() }
    }

    static func growingKeys() throws {
        var lines = ""
        let long = String(repeating: "x", count: 200)
        for line in 0..<400 {
            // Line n has keys 0…n/2, each with a value not seen before.
            let object = (0...(line / 2)).map { "\"k\($0)\": \"\(line)-\($0)-\(long)\"" }.joined(separator: ", ")
            lines += "{\(object)}\n"
        }
        var options = ProfileOptions()
        options.memoryLimit = 40_000_000
        options.parts = 1
        var profiler = TabularProfiler(format: .jsonLines, options: options)
        try lines.utf8.withContiguousStorageIfAvailable { try profiler.consume(UnsafeRawBufferPointer($0)) }
        let profile = try profiler.finish()
        let columns = profile.columns.count
        #expect(columns == 200)
        // Counts stay within the pool; a sketch is charged when a column yields, at most a
        // quarter of the share it had (at least 256 bytes), and a filter only at large shares.
        let bound = options.columnMemory + options.columnMemory / 4 + options.columnMemory / 32 + 256 * columns
        #expect(profiler.columnBytesHeld <= bound, "\(profiler.columnBytesHeld) of \(bound)")
        #expect(profile.columns.first { $0.name == "k0" }?.values == 400)
        #expect(profile.approximations.contains { $0.hasPrefix("columns:") })
    }
}
