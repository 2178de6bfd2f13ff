import Foundation
import Testing

@testable import DataspaceQuality

/// The byte-level matcher agrees with NSRegularExpression (whole-value match) on every pattern it
/// accepts, and declines the patterns it cannot handle so the evaluator falls back.
@Suite struct ByteRegexTests {
    static let patterns = [
        "ST[0-9]{4}", "^1[3-9][0-9]{9}$", "[A-Z]{2}\\d+", "a.c", "[^,]*", "x?y+z*", "\\w+@\\w+\\.com", "[0-9]{2,4}-[0-9]{1,}",
        "\\s*ok\\s*", "[a-]+", "[]a]+", "\\.", "[\\d.]+", "\\D\\W\\S",
    ]
    static let values = [
        "", "ST1234", "ST123", "ST12345", "XX1234", "13812345678", "12812345678", "1381234567", "AB12", "AB", "abc", "a\nc", "ac", "axc",
        "y", "xyz", "xyyzz", "zz", "user@example.com", "user@example.org", "12-3", "1234-56789", "1-2", "  ok ", "ok", "a-a", "]a", ".", "x",
        "1.5.6", "a!b", "a b", "中文", "ST１２３４",
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

    @Test(arguments: ["a|b", "(ab)+", "a+?", "\\bword", "[[:digit:]]", "[中文]", "\\p{L}", "a{3,1}", "\\1"])
    func declinesWhatItCannotMatch(pattern: String) {
        #expect(ByteRegex(pattern) == nil)
    }
}
