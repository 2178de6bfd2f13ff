import Foundation
import Testing

@testable import DataspaceQuality

/// The byte-level matcher agrees with NSRegularExpression (whole-value match) on every pattern it
/// accepts, and declines the patterns it cannot handle so the evaluator falls back.
@Suite struct ByteRegexTests {
    static let patterns = [
        "ST[0-9]{4}", "^1[3-9][0-9]{9}$", "[A-Z]{2}\\d+", "a.c", "[^,]*", "x?y+z*", "\\w+@\\w+\\.com", "[0-9]{2,4}-[0-9]{1,}",
        "\\s*ok\\s*", "[a-]+", "[]a]+", "\\.", "[\\d.]+", "\\D\\W\\S", "[A-Z]{2}-\\d{3}", "ab{0}c", "x{2}y{1,1}",
    ]
    static let values = [
        "", "ST1234", "ST123", "ST12345", "XX1234", "13812345678", "12812345678", "1381234567", "AB12", "AB", "abc", "a\nc", "ac", "axc",
        "y", "xyz", "xyyzz", "zz", "user@example.com", "user@example.org", "12-3", "1234-56789", "1-2", "  ok ", "ok", "a-a", "]a", ".", "x",
        "1.5.6", "a!b", "a b", "中文", "ST１２３４", "GD-123", "gd-123", "GD-12", "GD-1234", "GD_123", "ac", "abc", "xxy", "xy", "xxyy",
    ]

    @Test func agreesWithNSRegularExpression() throws {
        for pattern in Self.patterns {
            let fast = try #require(ByteRegex(pattern), "\(pattern) should compile")
            let slow = try NSRegularExpression(pattern: pattern)
            for value in Self.values {
                let whole = NSRange(value.startIndex..., in: value)
                let expected = slow.firstMatch(in: value, options: [.anchored], range: whole)?.range == whole
                let bytes = Array(value.utf8)
                let got = bytes.withUnsafeBufferPointer { fast.matches($0) }
                // Undecided only where bytes and characters differ; decided answers always agree.
                if got == nil { #expect(fast.unicodeSensitive && bytes.contains { $0 >= 0x80 }) }
                if let got { #expect(got == expected, "\(pattern) on \(value.debugDescription)") }
            }
        }
    }

    /// Random patterns over the characters the matcher reads (and ICU's set operators): every
    /// pattern it accepts, ICU accepts too and matches the same values. The rule validator
    /// relies on the first half, the evaluator on the second.
    @Test func randomPatternsAgreeWithNSRegularExpression() {
        let alphabet = Array("ab0-9[]^$.\\dDws{},?*+&&--:|()#~ ".utf8)
        let values = ["", "a", "b", "ab", "ba", "aa", "0", "9", "5", "a0", "-", "&", ":", "[", "]", "^", "$", ".", "\\", "{", "}", ",", "?", "*",
            "+", "|", "(", ")", "#", "~", " ", "d", "w", "s", "aab", "a-b", "0-9", "abab", "x", "_", "\n", "00", "a9b", "{}", "ab0"]
        var random = SeededGenerator(seed: 0xB17E)
        var accepted = 0
        for _ in 0..<30_000 {
            let length = 1 + Int(random.next() % 8)
            let pattern = String(decoding: (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            guard let fast = ByteRegex(pattern) else { continue }
            accepted += 1
            guard let slow = try? NSRegularExpression(pattern: pattern) else {
                Issue.record("\(pattern.debugDescription) is accepted here, refused by ICU")
                continue
            }
            for value in values {
                let whole = NSRange(value.startIndex..., in: value)
                let expected = slow.firstMatch(in: value, options: [.anchored], range: whole)?.range == whole
                if let got = Array(value.utf8).withUnsafeBufferPointer({ fast.matches($0) }) {
                    #expect(got == expected, "\(pattern.debugDescription) on \(value.debugDescription)")
                }
            }
        }
        // Enough of them are accepted for the comparison to mean something.
        #expect(accepted > 3_000)
    }

    @Test func fixedWidthPatternsSkipTheSearch() throws {
        #expect(try #require(ByteRegex("ST[0-9]{4}")).fixedLength == 6)
        #expect(try #require(ByteRegex("x{2}y{1,1}")).fixedLength == 3)
        #expect(try #require(ByteRegex("ab{0}c")).fixedLength == 2)
        #expect(try #require(ByteRegex("[0-9]{2,4}")).fixedLength == nil)
        #expect(try #require(ByteRegex("a+")).fixedLength == nil)
    }

    @Test(arguments: [
        "a|b", "(ab)+", "a+?", "\\bword", "[[:digit:]]", "[中文]", "\\p{L}", "a{3,1}", "\\1", "a{-1}", "a{+3}", "a{ 3}", "a{3, 4}", "a{1000000}",
        "a{99999999999999999999}", "[a&&b]", "[ab&&b]", "[a-z--b]", "[:alpha:]", "[^:alpha:]", "[0-\\d]", "[a-[]", "",
    ])
    func declinesWhatItCannotMatch(pattern: String) {
        #expect(ByteRegex(pattern) == nil)
    }
}
