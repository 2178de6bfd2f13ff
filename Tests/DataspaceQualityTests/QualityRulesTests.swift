import DataspaceCore
import DataspaceQuality
import Foundation
import Testing

/// quality.yaml: parsing (and its errors, by place), every rule type on a small file whose
/// failures were counted by hand, the scores and their formulas, and the fallback to what the
/// profile implies.
@Suite struct QualityRulesTests {
    static let yaml = """
        # quality rules for trips
        columns:
          id:      { type: integer, required: true, unique: true }
          amount:  { type: decimal, min: 0, max: 100 }
          status:  { enum: [ok, warn, fail] }
          phone:   { regex: '1[3-9][0-9]{9}' }
          region:
            codes: ["440103", "440104"]
        unique:
          - [station, start]
        checks:
          - "end >= start"
        freshness: { column: end, interval: P1D }
        weights: { completeness: 1, validity: 1, consistency: 1, uniqueness: 1, timeliness: 0 }
        """

    static let csv = """
        id,station,start,end,amount,status,phone,region
        1,S1,2024-01-01,2024-01-02,10,ok,13812345678,440103
        2,S1,2024-01-02,2024-01-01,20,warn,1381234567,440104
        3,S2,2024-01-01,2024-01-03,-5,bad,13912345678,440105
        3,S1,2024-01-01,2024-01-04,x,ok,,440103
        5,S3,2024-01-05,2024-01-06,200,fail,13712345678,440104
        ,S4,2024-01-07,2024-01-08,50,ok,13612345678,440103

        """

    func evaluate(_ csv: String, rules: QualityRules?) throws -> DatasetProfile {
        var profiler = TabularProfiler(format: .csv, rules: rules)
        try Array(csv.utf8).withUnsafeBytes { try profiler.consume($0) }
        return try profiler.finish()
    }

    @Test func everyRuleTypeCountedAndScored() throws {
        let rules = try QualityRules.parse(yaml: Self.yaml)
        #expect(rules.columns.count == 5 && rules.uniqueKeys == [["station", "start"]] && rules.checks.map(\.text) == ["end >= start"])
        #expect(rules.freshness?.interval == 86_400)
        let profile = try evaluate(Self.csv, rules: rules)
        let report = try #require(profile.quality)
        func outcome(_ rule: String) -> QualityReport.RuleOutcome? { report.rules.first { $0.rule == rule } }
        #expect(outcome("id: type integer")?.failed == 0 && outcome("id: type integer")?.checked == 5)
        #expect(outcome("amount: type decimal")?.failed == 1)  // x
        #expect(outcome("amount: min 0")?.failed == 2 && outcome("amount: min 0")?.sampleRows == [3, 4])  // -5, x
        #expect(outcome("amount: max 100")?.failed == 2 && outcome("amount: max 100")?.sampleRows == [4, 5])  // x, 200
        #expect(outcome("status: enum")?.failed == 1 && outcome("status: enum")?.sampleRows == [3])
        #expect(outcome("phone: regex")?.failed == 1 && outcome("phone: regex")?.checked == 5)  // the empty one is not checked
        #expect(outcome("region: codes")?.failed == 1)
        #expect(outcome("end >= start")?.failed == 1 && outcome("end >= start")?.sampleRows == [2])
        #expect(outcome("unique (id)")?.failed == 1 && outcome("unique (id)")?.sampleRows == [4])
        #expect(outcome("unique (station, start)")?.failed == 1 && outcome("unique (station, start)")?.sampleRows == [4])
        // Completeness over the required column: 1 null of 6 cells.
        #expect(report.score(.completeness) == 1 - 1.0 / 6)
        #expect(report.dimensions.first { $0.dimension == .completeness }?.formula.hasPrefix("X = 1 − A/B = 1 − 1/6") == true)
        // Validity: 8 failures (amount type 1, min 2, max 2; status 1; phone 1; region 1) of 40
        // checks (id 5; amount 3 × 6; status 6; phone 5; region 6).
        let checked = report.rules.filter { !$0.rule.hasPrefix("unique") && $0.rule != "end >= start" }.reduce(0) { $0 + $1.checked }
        #expect(checked == 40)
        #expect(report.score(.validity) == 1 - 8.0 / 40)
        #expect(report.score(.consistency) == 1 - 1.0 / 6)
        #expect(report.score(.uniqueness) == 1 - 1.0 / 6)  // row 4 repeats both keys: counted once
        #expect(report.score(.timeliness) != nil && report.score(.timeliness)! < 0.01)  // 2024 is long ago
        // Timeliness has weight 0: the overall is the mean of the other four.
        let four = [report.score(.completeness), report.score(.validity), report.score(.consistency), report.score(.uniqueness)].compactMap { $0 }
        #expect(abs((report.overall ?? 0) - four.reduce(0, +) / 4) < 1e-12)
    }

    @Test func withoutRulesTheProfileImpliesThem() throws {
        let profile = try evaluate("n,when\n1,2024-01-01\n2,2024-01-02\nx,2024-01-03\n2,2024-01-02\n", rules: nil)
        let report = try #require(profile.quality)
        #expect(report.implied)
        // "n" is 3/4 integers: not inferred as a type, so no type rule; "when" is all dates.
        #expect(report.rules.map(\.rule) == ["when: type date"])
        #expect(report.score(.uniqueness) == 0.75)  // one duplicate row of four
        #expect(report.score(.completeness) == 1)
        #expect(report.score(.consistency) == nil && report.score(.timeliness) == nil)
    }

    @Test(arguments: [
        ("columns:\n  a: { type: text }\n", "columns.a.type"),
        ("columns:\n  a: { min: low }\n", "columns.a.min"),
        ("columns:\n  a: { regex: '(' }\n", "columns.a.regex"),
        ("columns:\n  a: { regex: '' }\n", "columns.a.regex"),
        ("columns:\n  a: { regex: '[0-\\d]' }\n", "columns.a.regex"),
        ("columns:\n  a: { regex: '[&-D]' }\n", "columns.a.regex"),
        ("columns:\n  a: { colour: red }\n", "columns.a.colour"),
        ("checks: ['a => b']\n", "checks[0]"),
        ("freshness: { column: t }\n", "freshness"),
        ("weights: { speed: 1 }\n", "weights.speed"),
        ("colums: {}\n", "colums"),
        ("columns:\n\ta: 1\n", "line 2"),
        ("a: &anchor 1\n", "line 1"),
    ])
    func malformedRulesNameThePlace(_ yaml: String, _ field: String) {
        let error = #expect(throws: ValidationError.self) { try QualityRules.parse(yaml: yaml) }
        #expect(error?.field == field, "\(error?.message ?? "")")
    }

    /// Patterns the byte matcher takes pass without ICU; the others are ICU's to judge.
    @Test(arguments: ["ST[0-9]{4}", "a|b", "(ab)+", "[a-z&&[^b]]", "\\p{L}+"])
    func validPatternsAreTaken(_ pattern: String) throws {
        let rules = try QualityRules.parse(yaml: "columns:\n  a: { regex: '\(pattern)' }\n")
        #expect(rules.columns.first { $0.name == "a" }?.pattern == pattern)
    }

    @Test func miniYAMLReadsTheSubset() throws {
        let value = try MiniYAML.parse("""
            a: 1
            b: "two: 2"   # comment
            c:
              - x
              - { k: v, n: [1, 2] }
              - name: nested
                more: true
            d: [a, 'b, c']
            e:
            f: 007
            """)
        #expect(value["a"] == .number(1))
        #expect(value["b"] == .string("two: 2"))
        #expect(value["c"]?.arrayValue?[0] == .string("x"))
        #expect(value["c"]?.arrayValue?[1]["n"] == .array([.number(1), .number(2)]))
        #expect(value["c"]?.arrayValue?[2]["more"] == .bool(true) && value["c"]?.arrayValue?[2]["name"] == .string("nested"))
        #expect(value["d"] == .array([.string("a"), .string("b, c")]))
        #expect(value["e"] == .null)
        #expect(value["f"] == .string("007"))
    }
}
