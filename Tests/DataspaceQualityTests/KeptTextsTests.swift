import Testing

@testable import DataspaceQuality

/// The texts naming a column's top values, kept end to end in one buffer: whole when short,
/// cut at a character boundary with "…" when long, copied between parts by key.
@Suite("Kept texts")
struct KeptTextsTests {
    static func keep(_ text: String, as key: UInt64, in texts: inout KeptTexts) -> Int {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { texts.keep(key, $0) }
    }

    @Test("short texts whole, long ones cut at a character with an ellipsis, absent ones empty")
    func keepsAndCuts() {
        var texts = KeptTexts()
        #expect(Self.keep("GZ", as: 1, in: &texts) == 2)
        #expect(Self.keep("", as: 2, in: &texts) == 0)
        // 255 ASCII bytes, then a three-byte character across the 256-byte limit.
        let long = String(repeating: "a", count: 255) + "城市" + String(repeating: "b", count: 1_000)
        #expect(Self.keep(long, as: 3, in: &texts) == 255 + 3)
        let exact = String(repeating: "c", count: ColumnAccumulator.keptTextBytes)
        #expect(Self.keep(exact, as: 4, in: &texts) == ColumnAccumulator.keptTextBytes)
        #expect(texts.text(1) == "GZ")
        #expect(texts.text(2) == "")
        #expect(texts.text(3) == String(repeating: "a", count: 255) + "…")
        #expect(texts.text(4) == exact)
        #expect(texts.text(99) == "")
        #expect(texts.count == 4)
    }

    @Test("a text copied from another part reads the same; a key it lacks copies nothing")
    func copiesBetweenParts() {
        var first = KeptTexts()
        var second = KeptTexts()
        _ = Self.keep("深圳", as: 7, in: &first)
        _ = Self.keep("later", as: 8, in: &second)
        _ = Self.keep("ST0001", as: 9, in: &second)
        first.copy(9, from: second)
        first.copy(8, from: second)
        first.copy(10, from: second)
        #expect(first.text(7) == "深圳")
        #expect(first.text(8) == "later")
        #expect(first.text(9) == "ST0001")
        #expect(first.count == 3)
    }
}
