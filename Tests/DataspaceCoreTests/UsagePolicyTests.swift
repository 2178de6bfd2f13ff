import DataspaceCore
import Foundation
import Testing

@Suite struct UsagePolicyTests {
    func parse(_ text: String) throws -> UsagePolicy {
        try UsagePolicy.parse(try JSONValue.parse(text))
    }

    func failure(_ text: String) -> ValidationError? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as ValidationError {
            return error
        } catch {
            return nil
        }
    }

    @Test func parsesConstraintsAndLogicalCombinations() throws {
        let policy = try parse("""
            {"@type": "Offer", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isA", "rightOperand": "research"},
              {"or": [{"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "440000"},
                      {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2027-01-01T00:00:00+08:00"}]},
              {"leftOperand": "count", "operator": "lteq", "rightOperand": "10"}
            ], "duty": [{"action": "compensate", "constraint": [{"leftOperand": "payAmount", "operator": "eq", "rightOperand": "9.90"}]}]}],
             "prohibition": [{"action": "distribute"}]}
            """)
        #expect(policy.permissions.count == 1)
        #expect(policy.permissions[0].constraints.count == 3)
        #expect(policy.permissions[0].duties.first?.action.name == "compensate")
        #expect(policy.prohibitions.first?.action.name == "distribute")
        // Re-encoding and re-parsing gives the same policy.
        #expect(try UsagePolicy.parse(policy.json) == policy)
    }

    @Test func acceptsSingleObjectsWhereArraysAreMeant() throws {
        let policy = try parse(#"{"permission": {"action": "odrl:use", "constraint": {"leftOperand": "purpose", "operator": "eq", "rightOperand": "statistics"}}}"#)
        #expect(policy.permissions.first?.constraints.count == 1)
    }

    @Test func unknownLeftOperandNamesItsPath() throws {
        let error = try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "research"}, {"leftOperand": "colour", "operator": "eq", "rightOperand": "red"}]}]}"#))
        #expect(error.code == "policy.unknown_left_operand")
        #expect(error.field == "policy.permission[0].constraint[1].leftOperand")
    }

    @Test func unknownOperatorAndActionAreRejected() throws {
        #expect(try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "approx", "rightOperand": "3"}]}]}"#)).code == "policy.unknown_operator")
        #expect(try #require(failure(#"{"permission": [{"action": "sell"}]}"#)).field == "policy.permission[0].action")
        #expect(try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "term-lteq", "rightOperand": "3"}]}]}"#)).code == "policy.unknown_operator")
    }

    @Test func rightOperandsAreCheckedForTheirLeftOperand() throws {
        #expect(try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "fun"}]}]}"#)).code == "policy.purpose")
        #expect(try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "lteq", "rightOperand": "ten"}]}]}"#)).code == "policy.count")
        #expect(try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "dateTime", "operator": "lt", "rightOperand": "next year"}]}]}"#)).code == "policy.date_time")
        #expect(try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": ["440000", "99"]}]}]}"#)).field == "policy.permission[0].constraint[0].rightOperand[1]")
        #expect(try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "elapsedTime", "operator": "lteq", "rightOperand": "30 days"}]}]}"#)).code == "policy.duration")
    }

    @Test func structuralErrors() throws {
        #expect(try #require(failure(#"[]"#)).code == "policy.type")
        #expect(try #require(failure(#"{}"#)).code == "policy.empty")
        #expect(try #require(failure(#"{"permission": [{"constraint": []}]}"#)).code == "policy.action_missing")
        #expect(try #require(failure(#"{"permission": [{"action": "use"}], "extra": 1}"#)).field == "policy.extra")
        #expect(try #require(failure(#"{"permission": [{"action": "use", "constraint": [{"and": []}]}]}"#)).code == "policy.logical")
    }

    @Test func purposeTaxonomyFollowsDots() {
        #expect(Purpose.isA("research.medical", "research"))
        #expect(!Purpose.isA("researcher", "research"))
        #expect(!Purpose.isA("research", "research.medical"))
    }

    @Test func durationsParse() {
        #expect(ISO8601.parseDuration("P30D") == TimeInterval(30 * 86_400))
        #expect(ISO8601.parseDuration("PT12H30M") == TimeInterval(12 * 3_600 + 30 * 60))
        #expect(ISO8601.parseDuration("P") == nil)
        #expect(ISO8601.parseDuration("30D") == nil)
        #expect(ISO8601.parseDuration("PT5X") == nil)
    }
}

@Suite struct DatasetRecordJSONTests {
    @Test func roundTrips() throws {
        let credit = try CreditCode.completing("11440100MB2C92190")
        let region = try RegionCode("440100")
        let id = UnifiedIdentifier.mint(region: region, creditCode: credit)
        let date = try #require(ISO8601.parseDateTime("2026-10-01T08:00:00Z"))
        let record = DatasetRecord(
            identifier: id, version: 2, title: "广州市空气质量", description: "AQI", keywords: ["空气", "air"], sector: .greenLowCarbon,
            region: region, temporal: TemporalCoverage(start: ISO8601.parseDate("2026-01-01"), end: nil), license: "https://example.org/l",
            grade: try DataGrade("general-2"),
            publisher: Publisher(name: "广州", did: try WebDID("did:web:127.0.0.1%3A8443"), creditCode: credit, region: region),
            issued: date, modified: date, distribution: DistributionInfo(format: .csv, byteSize: 10, sha256: String(repeating: "a", count: 64), rowCount: 3, columns: ["a"]),
            offer: UsagePolicy.defaultOffer(id: "x"), status: .superseded)
        let decoded = try DatasetRecord(json: try JSONValue.parse(record.json.encoded()))
        #expect(decoded == record)
        #expect(decoded.previousVersion == 1)
    }
}

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let v = try JSONValue.parse(#" {"a": [1, -2.5e3, true, false, null, "x\"\u00e9\ud83d\ude00\n"], "空": {}} "#)
        #expect(v["a"]?.arrayValue?.count == 6)
        #expect(v["a"]?.arrayValue?[1] == .number(-2500))
        #expect(v["a"]?.arrayValue?[5] == .string("x\"é😀\n"))
        #expect(v["空"] == .object([:]))
        #expect(try JSONValue.parse(v.encoded()) == v)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"\u{1}\"", "tru", "[1] 2", "\"\\ud800\"", "{\"a\":1,}"])
    func rejectsMalformedJSONSayingWhere(_ text: String) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.hasPrefix("malformed JSON at byte"))
        }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }
}

@Suite struct ISO8601Tests {
    @Test func parsesOffsetsFractionsAndLeapDays() throws {
        #expect(ISO8601.parseDateTime("1970-01-01T00:00:00Z")?.timeIntervalSince1970 == 0)
        #expect(ISO8601.parseDateTime("2026-10-01T08:00:00+08:00")?.timeIntervalSince1970 == 1_790_812_800)
        #expect(ISO8601.parseDateTime("2026-10-01T00:00:00Z")?.timeIntervalSince1970 == 1_790_812_800)
        #expect(ISO8601.parseDateTime("2024-02-29T12:30:15.250Z")?.timeIntervalSince1970 == 1_709_209_815.25)
        #expect(ISO8601.parseDateTime("1969-12-31T23:59:59-00:30")?.timeIntervalSince1970 == 1_799)
        for bad in ["2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-10-01 00:00:00Z", "2026-10-01T24:00:00Z", "2026-10-01T00:00:00", "2026-10-01T00:00:00+8:00", "2026-10-01T00:00:00.Z"] {
            #expect(ISO8601.parseDateTime(bad) == nil, "\(bad)")
        }
    }

    @Test func formatRoundTripsAcrossCenturies() throws {
        for seconds in [0, 951_782_400, 1_709_209_815, 4_102_444_799, -86_401, 253_402_300_799] {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let text = ISO8601.format(date)
            #expect(ISO8601.parseDateTime(text) == date, "\(text)")
            #expect(text == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false)))
        }
        #expect(ISO8601.formatDate(Date(timeIntervalSince1970: 1_790_812_800)) == "2026-10-01")
    }
}
