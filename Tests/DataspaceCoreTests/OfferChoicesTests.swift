import DataspaceCore
import Foundation
import Testing

/// The portal's offer builder: plain choices become an ODRL offer that the policy parser accepts
/// and that reads back, in words, as what was chosen; every bad choice is refused naming it.
@Suite struct OfferChoicesTests {
    static let now = ISO8601.parseDateTime("2026-12-01T10:00:00+08:00") ?? Date(timeIntervalSince1970: 0)

    @Test func choicesReadBackAsTheTermsThePublisherChose() throws {
        let choices = OfferChoices(purposes: ["research", "public-service", "research"], region: "440000", until: "2027-06-30", maxDeliveries: "2", price: "9.9")
        let policy = try UsagePolicy.parse(try choices.policy(now: Self.now))
        #expect(PolicySummary.lines(policy).map(\.english) == [
            "may use the data", "for any of these uses only: public-service, research", "only for recipients within Guangdong",
            "until 2027-06-30T23:59:59+08:00", "at most 2 deliveries", "pay 9.90 CNY per delivery",
        ])
        // The last day counts whole: a request at 23:00 China time that day is within the term.
        let compiled = try CompiledPolicy(policy)
        let recipient = PolicyRequest.Recipient(did: "did:web:example.org", region: try RegionCode("440100"))
        let late = try #require(ISO8601.parseDateTime("2027-06-30T23:00:00+08:00"))
        let after = try #require(ISO8601.parseDateTime("2027-07-01T00:00:01+08:00"))
        #expect(compiled.evaluate(PolicyRequest(action: "use", purpose: "research", recipient: recipient, now: late)).permitted)
        #expect(!compiled.evaluate(PolicyRequest(action: "use", purpose: "research", recipient: recipient, now: after)).permitted)
        #expect(!compiled.evaluate(PolicyRequest(action: "use", purpose: "commercial", recipient: recipient, now: late)).permitted)
    }

    @Test func noChoicesOfferUseForAnyPurposeForFree() throws {
        let policy = try OfferChoices(price: "0").policy(now: Self.now)
        #expect(policy == ["permission": [["action": "use"]]])
        let single = try OfferChoices(purposes: ["statistics"]).policy(now: Self.now)
        #expect(single["permission"]?.arrayValue?.first?["constraint"]?.arrayValue?.first?["operator"]?.stringValue == "isA")
    }

    @Test(arguments: [
        (OfferChoices(purposes: ["world-domination"]), "offer.purpose"),
        (OfferChoices(region: "12"), "offer.region"), (OfferChoices(region: "990000"), "offer.region"),
        (OfferChoices(until: "2026-11-30"), "offer.until"), (OfferChoices(until: "30/06/2027"), "offer.until"),
        (OfferChoices(until: "2027-02-30"), "offer.until"),
        (OfferChoices(maxDeliveries: "0"), "offer.maxDeliveries"), (OfferChoices(maxDeliveries: "-3"), "offer.maxDeliveries"),
        (OfferChoices(maxDeliveries: "1000001"), "offer.maxDeliveries"), (OfferChoices(maxDeliveries: "２"), "offer.maxDeliveries"),
        (OfferChoices(maxDeliveries: String(repeating: "9", count: 60)), "offer.maxDeliveries"),
        (OfferChoices(price: "-1"), "offer.price"), (OfferChoices(price: "1e3"), "offer.price"), (OfferChoices(price: "9.999"), "offer.price"),
        (OfferChoices(price: "100000000"), "offer.price"), (OfferChoices(price: "."), "offer.price"), (OfferChoices(price: "5."), "offer.price"),
        (OfferChoices(price: "NaN"), "offer.price"),
    ])
    func badChoicesAreRefusedNamingTheField(choices: OfferChoices, field: String) {
        #expect(throws: ValidationError.self) { try choices.policy(now: Self.now) }
        do { _ = try choices.policy(now: Self.now) } catch { #expect(error.field == field) }
    }

    @Test func theLastDayCountsUntilMidnightChinaTime() throws {
        // On 2026-12-01 at 10:00 China time, today is still a valid last day; yesterday is not.
        #expect(throws: Never.self) { try OfferChoices(until: "2026-12-01").policy(now: Self.now) }
        #expect(throws: ValidationError.self) { try OfferChoices(until: "2026-11-30").policy(now: Self.now) }
    }
}
