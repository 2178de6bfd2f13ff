import DataspaceCore
import Foundation
import Testing

/// Evaluation of compiled policies: every operator on every left operand it is defined for,
/// boundaries, time zones, reasons and compile-time refusals.
@Suite struct PolicyEngineTests {
    static let institute = PolicyRequest.Recipient(
        did: "did:web:institute.example", sector: .scientificResearch, region: try! RegionCode("440104"), role: "member")
    static let base = ISO8601.parseDateTime("2026-06-01T00:00:00Z")!

    func policy(_ constraint: String, action: String = "use") throws -> CompiledPolicy {
        try CompiledPolicy.parse(try JSONValue.parse(#"{"permission": [{"action": "\#(action)", "constraint": [\#(constraint)]}]}"#))
    }

    func request(
        action: String = "download", purpose: String? = "research.medical", recipient: PolicyRequest.Recipient = institute,
        now: Date = base, agreedAt: Date? = nil, uses: Int = 0
    ) -> PolicyRequest {
        PolicyRequest(action: action, purpose: purpose, recipient: recipient, now: now, agreedAt: agreedAt, uses: uses)
    }

    func atom(_ left: String, _ op: String, _ right: String) -> String {
        #"{"leftOperand": "\#(left)", "operator": "\#(op)", "rightOperand": \#(right)}"#
    }

    func compileError(_ json: String) -> ValidationError? {
        do {
            _ = try CompiledPolicy.parse(try JSONValue.parse(json))
            return nil
        } catch let error as ValidationError {
            return error
        } catch {
            return nil
        }
    }

    // MARK: purpose

    @Test(arguments: [
        ("eq", #""research.medical""#, true), ("eq", #""research""#, false),
        ("neq", #""commercial""#, true), ("neq", #""research.medical""#, false),
        ("isA", #""research""#, true), ("isA", #""research.medical""#, true), ("isA", #""commercial""#, false),
        ("isAnyOf", #"["commercial", "research"]"#, true), ("isAnyOf", #"["commercial", "statistics"]"#, false),
        ("isAllOf", #"["research", "research.medical"]"#, true), ("isAllOf", #"["research", "research.social"]"#, false),
        ("isNoneOf", #"["commercial", "statistics"]"#, true), ("isNoneOf", #"["commercial", "research"]"#, false),
    ])
    func purpose(op: String, right: String, expected: Bool) throws {
        let p = try policy(atom("purpose", op, right))
        #expect(p.permits(request()) == expected, "purpose \(op) \(right)")
        #expect(p.evaluate(request()).permitted == expected)
    }

    @Test func missingPurposeIsDeniedWithReason() throws {
        let decision = try policy(atom("purpose", "isA", #""research""#)).evaluate(request(purpose: nil))
        #expect(!decision.permitted)
        #expect(decision.reasons.first?.message.contains("no purpose declared") == true)
        #expect(decision.reasons.first?.constraint == "permission[0].constraint[0]")
    }

    // MARK: dateTime, boundaries and time zones

    @Test func dateTimeBoundariesAcrossTimeZones() throws {
        // 2026-06-01T08:00:00+08:00 is exactly base.
        let lteq = try policy(atom("dateTime", "lteq", #""2026-06-01T08:00:00+08:00""#))
        let lt = try policy(atom("dateTime", "lt", #""2026-06-01T08:00:00+08:00""#))
        let gteq = try policy(atom("dateTime", "gteq", #""2026-05-31T19:00:00-05:00""#))
        let gt = try policy(atom("dateTime", "gt", #""2026-05-31T19:00:00-05:00""#))
        let eq = try policy(atom("dateTime", "eq", #""2026-06-01T00:00:00Z""#))
        let neq = try policy(atom("dateTime", "neq", #""2026-06-01T00:00:00Z""#))
        #expect(lteq.permits(request()))
        #expect(!lt.permits(request()))
        #expect(gteq.permits(request()))
        #expect(!gt.permits(request()))
        #expect(eq.permits(request()) && !neq.permits(request()))
        let oneSecondLater = request(now: Self.base.addingTimeInterval(1))
        #expect(!lteq.permits(oneSecondLater))
        #expect(gt.permits(oneSecondLater))
        // Seconds may be omitted, as in the DSP examples.
        #expect(try policy(atom("dateTime", "lteq", #""2026-06-01T00:00Z""#)).permits(request()))
        let reason = lt.evaluate(request()).reasons.first
        #expect(reason?.leftOperand == "dateTime" && reason?.operator == "lt" && reason?.actual == "2026-06-01T00:00:00Z")
    }

    // MARK: elapsedTime and count

    @Test func elapsedTimeRunsFromTheAgreement() throws {
        let p = try policy(atom("elapsedTime", "lteq", #""P30D""#))
        #expect(p.permits(request()))  // while negotiating, no time has elapsed
        #expect(p.permits(request(agreedAt: Self.base.addingTimeInterval(-30 * 86_400))))
        #expect(!p.permits(request(agreedAt: Self.base.addingTimeInterval(-30 * 86_400 - 1))))
        let reason = p.evaluate(request(agreedAt: Self.base.addingTimeInterval(-31 * 86_400))).reasons.first
        #expect(reason?.actual == "P31D")
        #expect(try policy(atom("elapsedTime", "gt", #""PT1H""#)).permits(request(agreedAt: Self.base.addingTimeInterval(-3_601))))
    }

    @Test func countLimitsDeliveries() throws {
        let p = try policy(atom("count", "lteq", #""3""#))
        #expect(p.permits(request(uses: 0)) && p.permits(request(uses: 2)))
        #expect(!p.permits(request(uses: 3)))
        #expect(p.remainingUses(action: "download", uses: 1) == 2)
        #expect(p.remainingUses(action: "download", uses: 5) == 0)
        let reason = p.evaluate(request(uses: 3)).reasons.first
        #expect(reason?.message == "delivery 4 exceeds the limit (count lteq 3)")
        #expect(try policy(atom("count", "lt", #"{"@value": "3"}"#)).remainingUses(action: "download", uses: 0) == 2)
        #expect(try policy(atom("count", "gteq", #""2""#)).permits(request(uses: 1)))
        #expect(try policy(atom("purpose", "isA", #""research""#)).remainingUses(action: "download", uses: 9) == nil)
    }

    // MARK: spatial

    @Test(arguments: [
        ("eq", #""440104""#, true), ("eq", #""440100""#, false), ("neq", #""440100""#, true),
        ("isPartOf", #""440000""#, true), ("isPartOf", #""440100""#, true), ("isPartOf", #""110000""#, false),
        ("hasPart", #""440104""#, true), ("hasPart", #""440000""#, false),
        ("isAnyOf", #"["110000", "440000"]"#, true), ("isAllOf", #"["440000", "440100"]"#, true), ("isAllOf", #"["440000", "110000"]"#, false),
        ("isNoneOf", #"["110000", "310000"]"#, true), ("isNoneOf", #"["440000"]"#, false),
    ])
    func spatial(op: String, right: String, expected: Bool) throws {
        #expect(try policy(atom("spatial", op, right)).permits(request()) == expected, "spatial \(op) \(right)")
    }

    // MARK: recipient

    @Test func recipientByDIDOrCredentialClaims() throws {
        #expect(try policy(atom("recipient", "eq", #""did:web:institute.example""#)).permits(request()))
        #expect(!(try policy(atom("recipient", "eq", #""did:web:other.example""#)).permits(request())))
        #expect(try policy(atom("recipient", "neq", #""did:web:other.example""#)).permits(request()))
        #expect(try policy(atom("recipient", "isA", #"{"sector": "scientific-research", "region": "440000"}"#)).permits(request()))
        #expect(!(try policy(atom("recipient", "isA", #"{"sector": "scientific-research", "region": "110000"}"#)).permits(request())))
        #expect(try policy(atom("recipient", "isAnyOf", #"[{"sector": "transport"}, {"role": "member"}]"#)).permits(request()))
        #expect(!(try policy(atom("recipient", "isAllOf", #"[{"sector": "transport"}, {"role": "member"}]"#)).permits(request())))
        #expect(try policy(atom("recipient", "isNoneOf", #"[{"sector": "transport"}, "did:web:x.example"]"#)).permits(request()))
        let reason = try policy(atom("recipient", "eq", #"{"sector": "transport"}"#)).evaluate(request()).reasons.first
        #expect(reason?.actual?.contains("scientific-research") == true)
    }

    // MARK: action

    @Test func actionHierarchyAndActionConstraint() throws {
        let read = try CompiledPolicy.parse(try JSONValue.parse(#"{"permission": [{"action": "read"}]}"#))
        #expect(read.permits(request(action: "download")))
        #expect(!read.permits(request(action: "compute")))
        let denied = read.evaluate(request(action: "compute"))
        #expect(denied.reasons.first?.message.contains("no permission covers 'compute'") == true)
        #expect(try policy(atom("action", "eq", #""download""#)).permits(request()))
        #expect(!(try policy(atom("action", "neq", #""download""#)).permits(request())))
        #expect(try policy(atom("action", "isA", #""read""#)).permits(request()))
        #expect(!(try policy(atom("action", "isA", #""compute""#)).permits(request())))
        #expect(try policy(atom("action", "isAnyOf", #"["compute", "read"]"#)).permits(request()))
        #expect(try policy(atom("action", "isAllOf", #"["use", "read"]"#)).permits(request()))
        #expect(try policy(atom("action", "isNoneOf", #"["compute", "distribute"]"#)).permits(request()))
    }

    // MARK: logic, prohibitions and duties

    @Test func logicalConstraintsExplainFailures() throws {
        let or = try policy(#"{"or": [\#(atom("spatial", "isPartOf", #""110000""#)), \#(atom("purpose", "eq", #""commercial""#))]}"#)
        #expect(!or.permits(request()))
        let reasons = or.evaluate(request()).reasons
        #expect(reasons.count == 3)
        #expect(reasons[0].message == "none of the 2 alternatives holds")
        #expect(reasons[1].constraint == "permission[0].constraint[0].or[0]")
        #expect(reasons[2].constraint == "permission[0].constraint[0].or[1]")

        let xoneBoth = try policy(#"{"xone": [\#(atom("spatial", "isPartOf", #""440000""#)), \#(atom("purpose", "isA", #""research""#))]}"#)
        #expect(!xoneBoth.permits(request()))
        #expect(xoneBoth.evaluate(request()).reasons.first?.actual == "2")
        let xoneOne = try policy(#"{"xone": [\#(atom("spatial", "isPartOf", #""110000""#)), \#(atom("purpose", "isA", #""research""#))]}"#)
        #expect(xoneOne.permits(request()))
        let and = try policy(#"{"and": [\#(atom("spatial", "isPartOf", #""440000""#)), \#(atom("count", "lteq", #""1""#))]}"#)
        #expect(and.permits(request(uses: 0)) && !and.permits(request(uses: 1)))
    }

    @Test func prohibitionsOverridePermissions() throws {
        let p = try CompiledPolicy.parse(
            try JSONValue.parse(
                #"{"permission": [{"action": "use"}], "prohibition": [{"action": "download", "constraint": [\#(atom("spatial", "isPartOf", #""440000""#))]}]}"#))
        let decision = p.evaluate(request())
        #expect(!decision.permitted)
        #expect(decision.reasons.first?.message == "prohibition[0] prohibits 'download'")
        #expect(p.permits(request(action: "compute")))
        #expect(p.permits(request(recipient: .init(did: "did:web:b.example", region: try RegionCode("110000")))))
    }

    @Test func dutiesAreCarriedIntoThePermit() throws {
        let p = try CompiledPolicy.parse(
            try JSONValue.parse(
                #"""
                {"permission": [{"action": "use", "duty": [
                  {"action": "compensate", "constraint": [{"leftOperand": "payAmount", "operator": "eq", "rightOperand": "9.90"}, {"leftOperand": "unit", "operator": "eq", "rightOperand": "CNY"}]}]}],
                 "obligation": [{"action": "delete", "constraint": [{"leftOperand": "deleteAfter", "operator": "lteq", "rightOperand": "P30D"}]}]}
                """#))
        let decision = p.evaluate(request())
        #expect(decision.permitted)
        #expect(decision.duties == [.compensate(amount: 9.9, unit: "CNY"), .deleteAfter(seconds: 30 * 86_400)])
        #expect(p.compensation?.amount == 9.9)
    }

    // MARK: compile-time refusals name the path

    @Test(arguments: [
        (#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "purpose", "operator": "gt", "rightOperand": "research"}]}]}"#,
         "policy.permission[0].constraint[0].operator", "policy.operator_mismatch"),
        (#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "isPartOf", "rightOperand": "3"}]}]}"#,
         "policy.permission[0].constraint[0].operator", "policy.operator_mismatch"),
        (#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "payAmount", "operator": "eq", "rightOperand": "1"}]}]}"#,
         "policy.permission[0].constraint[0].leftOperand", "policy.duty_operand"),
        (#"{"permission": [{"action": "use", "constraint": [{"or": [{"leftOperand": "spatial", "operator": "eq", "rightOperand": ["440000", "110000"]}]}]}]}"#,
         "policy.permission[0].constraint[0].or[0].rightOperand", "policy.right_operand"),
        (#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "recipient", "operator": "eq", "rightOperand": {"colour": "red"}}]}]}"#,
         "policy.permission[0].constraint[0].rightOperand.colour", "policy.recipient"),
        (#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "recipient", "operator": "eq", "rightOperand": "bob"}]}]}"#,
         "policy.permission[0].constraint[0].rightOperand", "policy.recipient"),
        (#"{"permission": [{"action": "use", "duty": [{"action": "anonymize"}]}]}"#, "policy.permission[0].duty[0].action", "policy.unsupported_duty"),
        (#"{"permission": [{"action": "use", "duty": [{"action": "compensate"}]}]}"#, "policy.permission[0].duty[0].constraint", "policy.duty"),
        (#"{"permission": [{"action": "use", "duty": [{"action": "compensate", "constraint": [{"leftOperand": "payAmount", "operator": "eq", "rightOperand": "1"}, {"leftOperand": "unit", "operator": "eq", "rightOperand": "yuan"}]}]}]}"#,
         "policy.permission[0].duty[0].constraint[1].rightOperand", "policy.unit"),
        (#"{"permission": [{"action": "compensate"}]}"#, "policy.permission[0].action", "policy.rule_action"),
        (#"{"permission": [{"action": "use"}], "obligation": [{"action": "delete", "constraint": [{"leftOperand": "deleteAfter", "operator": "gt", "rightOperand": "P1D"}]}]}"#,
         "policy.obligation[0].constraint", "policy.duty"),
        (#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "action", "operator": "eq", "rightOperand": "fly"}]}]}"#,
         "policy.permission[0].constraint[0].rightOperand", "policy.unknown_action"),
    ])
    func malformedPoliciesNameThePath(json: String, field: String, code: String) {
        let error = compileError(json)
        #expect(error?.field == field, "\(json)")
        #expect(error?.code == code, "\(json)")
    }

    @Test func referenceAgreementExampleCompiles() throws {
        let policy = try CompiledPolicy.parse(
            try JSONValue.parse(
                #"{"@type": "Agreement", "@id": "urn:uuid:e8", "target": "urn:uuid:3d", "timestamp": "2023-01-01T01:00:00Z", "assigner": "a", "assignee": "b", "permission": [{"action": "use", "constraint": [{"leftOperand": "dateTime", "operator": "lteq", "rightOperand": "2023-12-31T06:00Z"}]}]}"#))
        #expect(policy.permits(request(now: ISO8601.parseDateTime("2023-12-31T06:00:00Z")!)))
        #expect(!policy.permits(request(now: ISO8601.parseDateTime("2023-12-31T06:00:01Z")!)))
    }
}
