import DataspaceCore
import Testing

/// An offer's terms in plain words: every rule yields a line, in both languages.
@Suite struct PolicySummaryTests {
    @Test func theDocumentedExampleReadsAsPeopleWouldSayIt() throws {
        let policy = try UsagePolicy.parse(
            try JSONValue.parse(
                #"""
                {"@type": "Offer", "permission": [{"action": "use", "constraint": [
                  {"leftOperand": "purpose", "operator": "isA", "rightOperand": "research"},
                  {"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "440000"},
                  {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2027-06-30T00:00:00+08:00"},
                  {"leftOperand": "count", "operator": "lteq", "rightOperand": "2"}],
                  "duty": [{"action": "compensate", "constraint": [
                    {"leftOperand": "payAmount", "operator": "eq", "rightOperand": "9.90"},
                    {"leftOperand": "unit", "operator": "eq", "rightOperand": "CNY"}]}]}],
                 "prohibition": [{"action": "distribute"}]}
                """#))
        let lines = PolicySummary.lines(policy)
        #expect(lines.map(\.english) == [
            "may use the data", "for research use only", "only for recipients within Guangdong", "until 2027-06-30T00:00:00+08:00",
            "at most 2 deliveries", "pay 9.90 CNY per delivery", "must not distribute the data",
        ])
        #expect(lines.map(\.chinese) == [
            "允许使用", "仅限用途：research", "仅限广东省境内的接收方", "有效期至 2027-06-30T00:00:00+08:00", "最多交付 2 次", "每次交付付费 9.90 CNY",
            "禁止再分发",
        ])
    }

    @Test func everyRuleYieldsALineEvenWhenItCannotBePhrased() throws {
        let policy = try UsagePolicy.parse(
            try JSONValue.parse(
                #"""
                {"@type": "Offer", "permission": [{"action": "compute", "constraint": [
                  {"or": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "public-service"},
                          {"leftOperand": "recipient", "operator": "isA", "rightOperand": {"sector": "scientific-research"}}]},
                  {"leftOperand": "elapsedTime", "operator": "gt", "rightOperand": "P1D"}]}]}
                """#))
        let lines = PolicySummary.lines(policy)
        #expect(lines.count == 3)
        #expect(lines[0].english.hasPrefix("may compute on the data in place"))
        #expect(lines[1].english.contains(" or ") && lines[1].english.contains("sector"))
        #expect(lines[2].english == "condition: elapsedTime gt P1D")
        let nothing = try UsagePolicy.parse(try JSONValue.parse(#"{"@type": "Offer", "prohibition": [{"action": "distribute"}]}"#))
        #expect(PolicySummary.lines(nothing).first?.english == "grants no use at all")
    }

    /// A policy arrives from other nodes: extreme values are phrased, never a trap.
    @Test func extremeValuesArePhrasedNotTrapped() throws {
        let rule = PolicyRule(action: .use, constraints: [
            .atomic(.count, .lt, .string("-9223372036854775808")), .atomic(.count, .lt, .string("not a number")),
            .atomic(.spatial, .isPartOf, .string("999999")), .atomic(.recipient, .isA, ["sector": "no-such-sector", "region": "x"]),
        ])
        let policy = UsagePolicy(id: "p", kind: .offer, permissions: [rule], prohibitions: [], obligations: [])
        let lines = PolicySummary.lines(policy)
        #expect(lines.count == 5)
        #expect(lines[1].english == "at most < -9223372036854775808 deliveries")
        #expect(lines[3].english == "only for recipients within 999999")
    }
}
