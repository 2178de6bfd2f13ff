import Foundation
import Testing

@testable import DataspaceQuality

/// The uniqueness tables: exact against a Set through growth and under two threads inserting at
/// once, and honest at the memory bound (counts become lower bounds and the report says so).
@Suite("Shared uniqueness tables")
struct SharedHashSetTests {
    @Test("a row hash set agrees with a Set through growth, at any capacity, with 0 and clustered keys")
    func matchesSet() {
        var random = SeededGenerator(seed: 7)
        for capacity in [8, 13, 1_000, 4_097] {
            var table = RowHashSet(capacity: capacity)
            var reference = Set<UInt64>()
            for step in 0..<60_000 {
                let key: UInt64 = switch step % 3 {
                case 0: random.next()
                case 1: UInt64(step % 3_001)  // small keys: one home region, long probe runs
                default: step % 997 == 0 ? 0 : random.next() % 20_000 &* 0x9E37_79B9_7F4A_7C15
                }
                let expected: RowHashSet.Insertion = reference.insert(key).inserted ? .inserted : .present
                #expect(table.insert(key) == expected)
            }
            #expect(table.count == reference.count)
        }
    }

    @Test("at its limit a set still finds what it holds and reports new hashes as untracked")
    func limit() {
        var table = RowHashSet(capacity: 8, limit: 100)
        for key in 1...100 as ClosedRange<UInt64> { #expect(table.insert(key &* 0xDEAD_BEEF) == .inserted) }
        #expect(table.insert(7 &* 0xDEAD_BEEF) == .present)
        #expect(table.insert(0) == .untracked)
        #expect(table.insert(5_000) == .untracked)
        #expect(table.insert(5_000) == .untracked)
        #expect(table.count == 100)
        #expect(table.bytes <= (100 / 3 * 4 + 8) * 8)
    }

    @Test("a set over a slice of a caller's region, starting and ending mid-page, writes only its own slots")
    func borrowedSlice() {
        let sentinel: UInt64 = 0xAAAA_5555_AAAA_5555
        let region = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 4 * 512 + 64)
        defer { region.deallocate() }
        region.initialize(repeating: sentinel)
        // 1,500 slots from slot 37: across three page boundaries if the region starts on one.
        let slice = UnsafeMutableBufferPointer(rebasing: region[37..<1_537])
        slice.initialize(repeating: 0)
        var table = RowHashSet(zeroed: slice, limit: .max)
        var random = SeededGenerator(seed: 11)
        var reference = Set<UInt64>()
        for _ in 0..<1_100 {
            let key = random.next() % 1_500 &* 0x9E37_79B9_7F4A_7C15
            #expect(table.insert(key) == (reference.insert(key).inserted ? .inserted : .present))
        }
        #expect(table.count == reference.count)
        #expect(region[0..<37].allSatisfy { $0 == sentinel })
        #expect(region[1_537...].allSatisfy { $0 == sentinel })
        #expect(Set(slice.filter { $0 != 0 }) == reference.subtracting([0]))
    }

    @Test("two threads inserting overlapping hashes in batches: every hash is new exactly once",
          arguments: [1_000, 2_000_000])
    func concurrent(expected: Int) {
        // 1,000: grows shard by shard while both insert; 2,000,000: one huge-page region of 21 MB.
        let set = SharedHashSet(expected: expected)
        let results = ConcurrentResults<Int>(count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            var random = SeededGenerator(seed: UInt64(part + 1))
            var present = 0
            var scratch: [UInt64] = []
            // Each thread inserts 0..<200_000 (mixed to look like hashes) in its own order,
            // in batches of the profiler's size and one odd one.
            var keys = (0..<200_000).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
            keys.shuffle(using: &random)
            keys.withUnsafeBufferPointer { all in
                var start = 0
                while start < all.count {
                    let end = min(all.count, start + (start == 0 ? 777 : 4_096))
                    present += set.insert(batch: UnsafeBufferPointer(rebasing: all[start..<end]), scratch: &scratch)
                    start = end
                }
            }
            results.set(part, .success(present))
        }
        let a = try? results.take(0), b = try? results.take(1)
        #expect((a ?? 0) + (b ?? 0) == 200_000)
        #expect(set.count == 200_000)
        #expect(set.untracked == 0)
    }

    @Test("batches: each shard's share under one lock, every repeat counted as with single inserts")
    func batches() {
        var random = SeededGenerator(seed: 31)
        let batched = SharedHashSet(expected: 100)
        var reference = Set<UInt64>()
        var scratch: [UInt64] = []
        var present = 0, expected = 0
        for size in [0, 1, 7, 4_096, 10_000, 333] {
            // Repeats inside a batch and across batches, and a run of hashes in one shard.
            let hashes: [UInt64] = (0..<size).map { i in
                switch i % 4 {
                case 0: random.next()
                case 1: random.next() % 5_000
                case 2: 0xFF00_0000_0000_0000 | random.next() % 300
                default: 0
                }
            }
            for hash in hashes where !reference.insert(hash).inserted { expected += 1 }
            present += hashes.withUnsafeBufferPointer { batched.insert(batch: $0, scratch: &scratch) }
        }
        #expect(present == expected)
        #expect(batched.count == reference.count)
    }

    @Test("a file with more distinct rows than the memory bound allows: a lower bound, said in the report")
    func memoryBound() throws {
        // 20,000 distinct rows, the last 1,000 of them repeated once at the end.
        var csv = "id,name\n"
        for i in 0..<20_000 { csv += "\(i),name \(i)\n" }
        for i in 19_000..<20_000 { csv += "\(i),name \(i)\n" }
        let exact = try Self.profile(csv, memoryLimit: ProfileOptions().memoryLimit)
        #expect(exact.duplicateRows == 1_000)
        #expect(exact.approximations.isEmpty)
        #expect(exact.json["approximations"] == nil)

        // Nothing beyond the fixed allowance: the table keeps its floor of 4,096 entries, filled
        // by the first rows, so repeats of rows read after it filled are not recognised.
        // The columns' tenth of so small a bound is too little for 10,000 distinct values each:
        // their line follows.
        let bounded = try Self.profile(csv, memoryLimit: ProfileOptions.fixedMemory)
        #expect(bounded.rows == 21_000)
        #expect((bounded.duplicateRows ?? -1) < 1_000)
        #expect(bounded.approximations.count == 2)
        #expect(bounded.approximations.first?.hasPrefix("duplicate rows: at least the count shown") == true)
        #expect(bounded.approximations.last?.hasPrefix("columns: 2 of 2 outgrew their share") == true)
        #expect(bounded.json["approximations"]?.arrayValue?.count == 2)
    }

    @Test("a declared unique key at the bound: the uniqueness formula and the report say 'at least'")
    func keyBound() throws {
        var csv = "id,name\n"
        for i in 0..<20_000 { csv += "\(i),a\n" }
        for i in 19_500..<20_000 { csv += "\(i),b\n" }
        let rules = try QualityRules.parse(yaml: "columns:\n  id: {unique: true}\n")
        var options = ProfileOptions()
        options.duplicateRows = false
        var exact = TabularProfiler(format: .csv, options: options, rules: rules)
        try csv.utf8.withContiguousStorageIfAvailable { try exact.consume(UnsafeRawBufferPointer($0)) }
        let exactProfile = try exact.finish()
        #expect(exactProfile.quality?.rules.first { $0.rule == "unique (id)" }?.failed == 500)
        options.memoryLimit = ProfileOptions.fixedMemory
        var bounded = TabularProfiler(format: .csv, options: options, rules: rules)
        try csv.utf8.withContiguousStorageIfAvailable { try bounded.consume(UnsafeRawBufferPointer($0)) }
        let profile = try bounded.finish()
        #expect((profile.quality?.rules.first { $0.rule == "unique (id)" }?.failed ?? 500) < 500)
        #expect(profile.approximations.first?.hasPrefix("unique (id): at least the count shown") == true)
        #expect(profile.quality?.dimensions.first { $0.dimension == .uniqueness }?.formula.contains("at least") == true)
    }

    @Test("keys checked in batches across flushes: rows counted once, samples the first rows in file order")
    func keyBatches() throws {
        var csv = "id,code\n"
        for i in 0..<10_000 { csv += "\(i % 7_000),\(i % 9_000)\n" }
        let rules = try QualityRules.parse(yaml: "columns:\n  id: {unique: true}\n  code: {unique: true}\n")
        var profiler = TabularProfiler(format: .csv, rules: rules)
        try csv.utf8.withContiguousStorageIfAvailable { try profiler.consume(UnsafeRawBufferPointer($0)) }
        let report = try #require(try profiler.finish().quality)
        let id = report.rules.first { $0.rule == "unique (id)" }, code = report.rules.first { $0.rule == "unique (code)" }
        #expect(id?.checked == 10_000 && id?.failed == 3_000 && id?.sampleRows == [7_001, 7_002, 7_003, 7_004, 7_005])
        #expect(code?.checked == 10_000 && code?.failed == 1_000 && code?.sampleRows == [9_001, 9_002, 9_003, 9_004, 9_005])
        // Rows 9,001–10,000 repeat both keys: 3,000 rows in all.
        #expect(report.dimensions.first { $0.dimension == .uniqueness }?.formula.contains("3000/10000") == true)
    }

    static func profile(_ csv: String, memoryLimit: Int) throws -> DatasetProfile {
        var options = ProfileOptions()
        options.memoryLimit = memoryLimit
        var profiler = TabularProfiler(format: .csv, options: options)
        try csv.utf8.withContiguousStorageIfAvailable { try profiler.consume(UnsafeRawBufferPointer($0)) }
        return try profiler.finish()
    }
}
