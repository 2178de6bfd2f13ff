@testable import DataspaceQuality
import DataspaceCore
import Foundation
import Testing

/// The rules' byte-level helpers against the plain definitions they replace: a short list's
/// membership against `Set<String>`, and the byte order of cross-field checks against
/// lexicographic comparison of the byte arrays.
@Suite("Rule matching")
struct RuleMatchingTests {
    /// Random short ASCII strings over a small alphabet, so that equal and near-equal values
    /// (one byte or one length apart) are common.
    static func randomValues(count: Int, maxLength: Int, seed: UInt64) -> [String] {
        var random = SeededRandom(seed: seed)
        let alphabet = Array("ab01Z,-".utf8)
        return (0..<count).map { _ in
            let length = Int(random.next() % UInt64(maxLength + 1))
            return String(decoding: (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self)
        }
    }

    @Test("a small list matches exactly the values a Set<String> holds, short and long")
    func smallListAgreesWithASet() {
        let allowed = Self.randomValues(count: 12, maxLength: 12, seed: 7) + ["", "abcdefgh", "abcdefghi", "中文"]
        let list = SmallValueSet(allowed)
        let reference = Set(allowed)
        var matched = 0
        for value in Self.randomValues(count: 20_000, maxLength: 12, seed: 8) + allowed + ["abcdefg", "abcdefghij", "中", "中文x"] {
            let found = Array(value.utf8).withUnsafeBufferPointer { list.contains($0) }
            #expect(found == reference.contains(value), "\(value)")
            if found { matched += 1 }
        }
        #expect(matched >= allowed.count)
    }

    @Test("the checks' byte order is lexicographic order, across word boundaries and lengths")
    func byteOrderIsLexicographic() {
        let values = Self.randomValues(count: 400, maxLength: 20, seed: 9) + ["2026-01-01T00:00:00", "2026-01-01T00:00:01", "2026-01-01T00:00:00Z", ""]
        for a in values {
            for b in values.prefix(60) {
                let order = Array(a.utf8).withUnsafeBufferPointer { l in Array(b.utf8).withUnsafeBufferPointer { r in RuleEvaluator.compare(l, r) } }
                let expected = Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) ? -1 : a.utf8.elementsEqual(b.utf8) ? 0 : 1
                #expect(order.signum() == expected, "\(a) vs \(b)")
            }
        }
    }
}
