import Testing

@testable import DataspaceQuality

/// A column's top values and shapes, picked in one pass, against sorting every counted key by
/// count and text and taking the first ones — ties of count (most keys of a high-cardinality
/// column are seen once), equal texts (long values cut to the same first characters),
/// non-ASCII text, limits of 0, 1 and more than the keys.
@Suite("Top values")
struct TopValuesTests {
    static func bySorting(limit: Int, _ counts: HashCounts, text: (UInt64) -> String) -> [ColumnProfile.ValueCount] {
        var all: [ColumnProfile.ValueCount] = []
        counts.forEach { key, count in all.append(ColumnProfile.ValueCount(value: text(key), count: count)) }
        // Swift's sort is stable: equal items stay in the table's order.
        return Array(all.sorted { $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value }.prefix(limit))
    }

    @Test("picked in one pass equals sorted and cut", arguments: [31 as UInt64, 32, 33, 34])
    func equalsSorting(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var counts = HashCounts()
        var texts: [UInt64: String] = [:]
        let keys = 1 + Int(random.next() % 3_000)
        let words = ["b", "a", "城", "ä", "A", "a…", "zz", "10", "9"]
        for k in 0..<keys {
            let key = random.next()
            // Counts from a narrow range: many ties at every rank.
            let count = 1 + Int(random.next() % (seed == 34 ? 1 : 6))
            _ = counts.add(key, amount: count, limit: .max)
            // Some texts repeat (as cut values do), most are distinct.
            texts[key] = k % 7 == 0 ? words[Int(random.next() % UInt64(words.count))] : "\(words[k % words.count])\(random.next() % 500)"
        }
        let text = { (key: UInt64) in texts[key] ?? "" }
        for limit in [0, 1, 3, 10, 50, keys + 5] {
            #expect(ColumnAccumulator.ranked(limit: limit, counts, text: text) == Self.bySorting(limit: limit, counts, text: text), "limit \(limit)")
        }
    }

    @Test("an empty table ranks nothing")
    func empty() {
        #expect(ColumnAccumulator.ranked(limit: 10, HashCounts()) { _ in "x" }.isEmpty)
    }
}
