import Testing

@testable import DataspaceQuality

/// The profiler's count table against a Dictionary doing the same work: every count equal
/// through growth, the limit honoured exactly, key 0 an ordinary key, merges by `forEach`.
@Suite("Hash count table")
struct HashCountsTests {
    @Test("counts equal a dictionary's through growth, with repeated, clustered and zero keys")
    func matchesDictionary() {
        var random = SeededGenerator(seed: 16)
        var table = HashCounts(capacity: 4)
        var reference: [UInt64: Int] = [:]
        for step in 0..<300_000 {
            // A mix: fresh random keys, repeats of earlier ones, keys sharing their top bits
            // (one slot, long probe runs) and 0.
            let key: UInt64
            switch step % 4 {
            case 0: key = random.next()
            case 1: key = UInt64(step % 977) << 40
            case 2: key = 0xABCD_0000_0000_0000 | UInt64(step % 50)
            default: key = step % 1_000 == 3 ? 0 : UInt64(step % 5_000) &* 0x9E37_79B9_7F4A_7C15
            }
            let expected: HashCounts.Outcome = reference[key] == nil ? .inserted : .counted
            #expect(table.add(key, limit: .max) == expected)
            reference[key, default: 0] += 1
        }
        #expect(table.count == reference.count)
        var seen: [UInt64: Int] = [:]
        table.forEach { key, count in seen[key] = count }
        #expect(seen == reference)
        for (key, count) in reference.prefix(1_000) { #expect(table.count(of: key) == count) }
        #expect(table.count(of: 0x1234_5678) == nil)
    }

    @Test("a full table keeps counting the keys it holds and refuses new ones")
    func limitIsExact() {
        var table = HashCounts()
        for key in 1...100 as ClosedRange<UInt64> { #expect(table.add(key << 50, limit: 100) == .inserted) }
        #expect(table.add(101 << 50, limit: 100) == .full)
        #expect(table.add(7 << 50, amount: 5, limit: 100) == .counted)
        #expect(table.count == 100 && table.count(of: 7 << 50) == 6 && table.count(of: 101 << 50) == nil)
        // Merging another table in by forEach adds counts and stops at the limit.
        var other = HashCounts()
        _ = other.add(7 << 50, amount: 2, limit: .max)
        _ = other.add(999 << 50, amount: 3, limit: .max)
        var refused = 0
        other.forEach { key, count in
            if table.add(key, amount: count, limit: 100) == .full { refused += count }
        }
        #expect(table.count(of: 7 << 50) == 8 && refused == 3)
    }
}

/// The bitmap a full count table is screened by: never says no to a key the table holds, and
/// lets few others through.
@Suite("Full table's filter")
struct TableFilterTests {
    @Test("every held key passes; of keys not held, about 7 % do (two bits a key)")
    func noMissesFewFalsePasses() {
        var random = SeededGenerator(seed: 20261206)
        var table = HashCounts(capacity: 10_000)
        var held: [UInt64] = []
        while held.count < 10_000 {
            let key = random.next()
            if table.add(key, limit: .max) == .inserted { held.append(key) }
        }
        let filter = ColumnAccumulator.filter(of: table)
        #expect(filter.count * 8 == ColumnMemory.filterBytes)
        #expect(held.allSatisfy { ColumnAccumulator.filterHas(filter, $0) })
        var passed = 0
        let trials = 200_000
        for _ in 0..<trials where ColumnAccumulator.filterHas(filter, random.next()) { passed += 1 }
        let share = Double(passed) / Double(trials)
        // One bit a key let 14 % through; two let 7.3 % in theory.
        #expect(share > 0.05 && share < 0.09, "\(share)")
        // No filter: everything may be in the table.
        #expect(ColumnAccumulator.filterHas([], random.next()))
    }
}
