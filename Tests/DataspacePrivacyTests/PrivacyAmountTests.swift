import DataspaceCore
import Testing

@testable import DataspacePrivacy

@Suite("Exact privacy amounts")
struct PrivacyAmountTests {
    @Test("ten tenths are exactly one, and a typed 0.1 is read as 0.1")
    func exactSums() throws {
        let tenth = try #require(PrivacyAmount(decimal: "0.1"))
        var total = PrivacyAmount.zero
        for _ in 0..<10 { total = try #require(total.adding(tenth)) }
        #expect(total == PrivacyAmount(decimal: "1"))
        #expect(total.description == "1")
        // The floating-point sum is the trap this type avoids.
        #expect((0..<10).reduce(0.0) { acc, _ in acc + 0.1 } != 1.0)
        #expect(PrivacyAmount(0.1) == tenth)
        #expect(PrivacyAmount(1.0)?.billionths == 1_000_000_000)
        #expect(total.subtracting(tenth)?.description == "0.9")
        #expect(tenth.subtracting(total) == nil)
    }

    @Test("decimal forms", arguments: [
        ("1", UInt64(1_000_000_000)), ("0.5", 500_000_000), ("1.0e-3", 1_000_000), ("2E2", 200_000_000_000),
        ("0.000000001", 1), ("+3", 3_000_000_000), (".25", 250_000_000), ("0", 0), ("0.0", 0), ("10.000000000", 10_000_000_000),
    ])
    func parses(text: String, billionths: UInt64) {
        #expect(PrivacyAmount(decimal: text)?.billionths == billionths)
    }

    @Test("refused forms", arguments: ["", "-1", "abc", "1..0", "0.0000000001", "1e", "1e-", "1,5", "NaN", "inf", "1000001", "1e99", String(repeating: "9", count: 50)])
    func refuses(text: String) {
        #expect(PrivacyAmount(decimal: text) == nil)
    }

    @Test("shares never add up to more than the whole")
    func shares() throws {
        let one = try #require(PrivacyAmount(decimal: "1"))
        let third = one.share(of: 3)
        #expect(third.billionths == 333_333_333)
        let two = try #require(third.adding(third))
        let three = try #require(two.adding(third))
        #expect(three <= one)
        #expect(PrivacyAmount(decimal: "0.000000002")?.share(of: 3) == .zero)
        #expect(PrivacyAmount(billionths: 123_000_000).description == "0.123")
        #expect(PrivacyAmount.maximum.adding(PrivacyAmount(billionths: 1)) == nil)
    }
}
