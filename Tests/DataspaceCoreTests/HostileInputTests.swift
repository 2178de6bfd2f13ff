import DataspaceCore
import Foundation
import Testing

/// The conversions at the edge: URLs a node may contact, did:web strings, times and numbers that
/// arrive from outside. None of these may trap, whatever the input.
@Suite struct HostileInputTests {
    @Test(arguments: [
        ("https://data.example.cn/.well-known/did.json", true),
        ("https://8.8.8.8:8443/x", true),
        ("https://[2400:3200::1]/did.json", true),
        ("http://data.example.cn/x", false),  // plain http off loopback
        ("https://127.0.0.1:9001/x", false),  // loopback needs the setting
        ("https://localhost/x", false),
        ("https://169.254.169.254/latest/meta-data", false),  // cloud metadata
        ("https://10.0.0.5/", false), ("https://172.16.0.1/", false), ("https://192.168.1.1/", false), ("https://100.64.0.1/", false),
        ("https://0.0.0.0/", false), ("https://224.0.0.1/", false), ("https://255.255.255.255/", false),
        ("https://[::1]/", false), ("https://[fe80::1]/", false), ("https://[fd00::1]/", false), ("https://[::ffff:10.0.0.1]/", false),
        ("https://user:pw@data.example.cn/", false), ("https://data.example.cn/a#frag", false), ("https://data.example.cn/a/../b", false),
        ("https://data.example.cn/a%2Fb", false), ("https://data.example.cn/a%2e%2e/b", false), ("https://data.example.cn\\@evil/", false),
        ("https://data.example.cn:0/", false), ("https://data.example.cn:65536/", false), ("https://data.example.cn:99999999999999999999/", false),
        ("https://0177.0.0.1/", false), ("https://2130706433/", false), ("https://0x7f.0.0.1/", false),
        ("ftp://data.example.cn/", false), ("file:///etc/passwd", false), ("gopher://x/", false), ("data.example.cn/x", false),
        ("https:///x", false), ("https://-bad-.cn/", false), ("https://a b.cn/", false),
    ])
    func outboundRulesByDefault(url: String, allowed: Bool) {
        let result = Result { () throws(ValidationError) in try OutboundPolicy().check(url) }
        #expect(((try? result.get()) != nil) == allowed, "\(url)")
        if case .failure(let error) = result { #expect(error.message.hasPrefix("will not contact")) }
    }

    @Test func loopbackOnlyWhenConfiguredAndPrivateNetworksOnlyWhenConfigured() throws {
        let loopback = OutboundPolicy(allowLoopback: true)
        #expect(try loopback.check("http://127.0.0.1:9001/dsp").isLoopback)
        #expect(try loopback.check("http://localhost:9001/dsp").isLoopback)
        #expect(try loopback.check("http://[::1]:9001/dsp").isLoopback)
        #expect(throws: ValidationError.self) { try loopback.check("http://10.0.0.5/") }
        #expect(throws: ValidationError.self) { try loopback.check("http://data.example.cn/") }
        let intranet = OutboundPolicy(allowPrivateNetworks: true)
        #expect(try intranet.check("https://10.0.0.5/").host == "10.0.0.5")
        #expect(throws: ValidationError.self) { try intranet.check("http://10.0.0.5/") }
        #expect(throws: ValidationError.self) { try intranet.check("https://127.0.0.1/") }
    }

    @Test(arguments: [
        "did:web:example.cn:a?b", "did:web:example.cn:a#b", "did:web:example.cn:a%2Fb", "did:web:example.cn:..", "did:web:example.cn:.",
        "did:web:example.cn::a", "did:web:example.cn:a:", "did:web:example.cn%3A0", "did:web:example.cn%3A70000", "did:web:example.cn%3Aabc",
        "did:web:", "did:web:%3A80", "did:web:exa mple.cn", "did:web:example.cn:a%2", "did:web:example.cn:a%zz", "did:web:example.cn:%25",
        "did:web:example.cn:" + String(repeating: "a", count: 600), "did:web:-x-.cn", "did:web:1.2.3", "did:key:z6Mk",
    ])
    func unsafeDIDsAreRefused(text: String) {
        #expect(throws: ValidationError.self, "\(text)") { try WebDID(text) }
    }

    @Test func safeDIDsMapToOneDocumentURL() throws {
        #expect(try WebDID("did:web:example.cn:dept:user-1").documentURL == "https://example.cn/dept/user-1/did.json")
        #expect(try WebDID("did:web:127.0.0.1%3A9001").documentURL == "http://127.0.0.1:9001/.well-known/did.json")
        #expect(try WebDID("did:web:example.cn:caf%C3%A9").path == ["caf%C3%A9"])
    }

    @Test func timesOutsideTheWindowAreClampedOrRefused() {
        for t in [1e300, -1e300, .infinity, -.infinity, .nan, Double(Int.max), -Double(Int.max)] {
            let text = ISO8601.format(Date(timeIntervalSince1970: t))
            #expect(text.count == 20, "\(t) → \(text)")
        }
        #expect(ISO8601.format(Date(timeIntervalSince1970: 1e300)) == "9999-12-31T23:59:59Z")
        #expect(ISO8601.format(Date(timeIntervalSince1970: -1e300)) == "0001-01-01T00:00:00Z")
        #expect(ISO8601.formatDuration(1e300) == ISO8601.formatDuration(TimeWindow.maximumDuration))
        #expect(ISO8601.formatDuration(.nan) == "PT0S")
        #expect(ISO8601.parseDuration("P99999999999999999999Y") == nil)
        #expect(ISO8601.parseDuration("P1" + String(repeating: "0", count: 400) + "D") == nil)
        #expect(ISO8601.parseDuration("P30D") == TimeInterval(2_592_000))
        #expect(ISO8601.parseDateTime("0000-01-01T00:00:00Z") == nil)
    }

    @Test func jsonNumbersAreFiniteAndConvertExactly() throws {
        #expect(throws: JSONParseError.self) { try JSONValue.parse("1e400") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a": [-1e309]}"#) }
        #expect(try JSONValue.parse("1e308").doubleValue == 1e308)
        #expect(JSONValue.number(1e300).intValue == nil)
        #expect(JSONValue.number(1.5).intValue == nil)
        #expect(JSONValue.number(-0.0).intValue == 0)
        #expect(JSONValue.number(9_007_199_254_740_992).int64Value == 9_007_199_254_740_992)
        #expect(JSONValue.string("7").intValue == nil)
    }

    @Test func policyNumbersOutOfRangeAreRefusedWithTheirPath() {
        for operand in [JSONValue.number(1e300), .number(-1), .number(2.5), .string("99999999999999999999999")] {
            let policy: JSONValue = ["permission": [["action": "use", "constraint": [["leftOperand": "count", "operator": "lteq", "rightOperand": operand]]]]]
            #expect(throws: ValidationError.self, "\(operand)") { try CompiledPolicy.parse(policy, path: "policy") }
        }
        let long: JSONValue = [
            "permission": [["action": "use", "constraint": [["leftOperand": "elapsedTime", "operator": "lteq", "rightOperand": "P99999999999999999999Y"]]]]
        ]
        #expect(throws: ValidationError.self) { try CompiledPolicy.parse(long, path: "policy") }
    }

    @Test func strictnessOfMaskingRulesOrdersWhatTheyReveal() throws {
        #expect(try MaskingRule(parsing: "partial:18,0").revealsMore(than: MaskingRule(parsing: "partial:3,4")))
        #expect(try !MaskingRule(parsing: "hide").revealsMore(than: MaskingRule(parsing: "hash")))
        #expect(try MaskingRule(parsing: "round:0").revealsMore(than: MaskingRule(parsing: "hide")))
        let agreed = DeliveryProtection(masking: ["id": .hide], watermark: true)
        let later = DeliveryProtection(masking: ["id": .partial(keepStart: 3, keepEnd: 4), "phone": .hash], watermark: false)
        let combined = agreed.combined(with: later)
        #expect(combined.masking == ["id": .hide, "phone": .hash] && combined.watermark)
        #expect(DataGrade(level: .important).stricter(.general) == DataGrade(level: .important))
        #expect(DataGrade(level: .general, subLevel: 2).stricter(DataGrade(level: .general, subLevel: 4)) == DataGrade(level: .general, subLevel: 4))
    }
}
