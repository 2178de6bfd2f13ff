import DataspaceApplication
import DataspaceCore
import DataspacePrivacy
import DataspaceServer
import Foundation
import Testing

/// Private set intersection between real nodes (docs/privacy.md, "Set intersection"): a bank
/// matches its customers with a telecom's product; only blinded points cross the wire, the
/// agreement's set-size and run limits hold exactly, and each run is evidence without an
/// identifier in it.
@Suite(.serialized) struct SetIntersectionFlowTests {
    /// The provider's 10,000 customers C00000…C09999, some listed twice or padded with spaces.
    static let customers: String = {
        var lines = ["customer_id,plan,region"]
        for i in 0..<10_000 { lines.append(String(format: "C%05d,plan-%d,440100", i, i % 4)) }
        for i in stride(from: 0, to: 10_000, by: 97) { lines.append(String(format: " C%05d ,plan-dup,440100", i)) }
        lines.append(",plan-empty,440100")
        return lines.joined(separator: "\n") + "\n"
    }()

    /// The consumer's 10,000: C07500…C09999 shared, 7,500 of its own; plus duplicates and blanks.
    static let consumerIDs: [String] = {
        var ids = (7_500..<10_000).map { String(format: "C%05d", $0) }
        ids += (0..<7_500).map { String(format: "T%05d", $0) }
        ids += ["C07500", " C07501", "", "   "]
        return ids
    }()

    static let policy: JSONValue = [
        "permission": [
            [
                "action": "compute",
                "constraint": [
                    ["leftOperand": "psiSetSize", "operator": "lteq", "rightOperand": .number(10_000)],
                    ["leftOperand": "psiRuns", "operator": "lteq", "rightOperand": .number(4)],
                    ["leftOperand": "psiOutput", "operator": "eq", "rightOperand": "intersection"],
                ],
            ]
        ]
    ]

    func psi(_ net: TestNetwork, _ agreement: String, _ body: JSONValue) async throws -> RawReply {
        try await raw(
            .POST, net.url(2) + "/api/v1/agreements/\(agreement)/psi",
            headers: [("Authorization", "Bearer \(net.nodes[2].adminToken)"), ("Content-Type", "application/json")], body: Data(body.encodedString().utf8))
    }

    @Test(arguments: TestNetwork.Database.available) func customersAreMatchedWithoutRevealingThem(_ database: TestNetwork.Database) async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute], database: database) { net in
            try await net.register(1)
            try await net.register(2)
            let record = try await net.publish(
                1,
                [
                    "title": "客户名录 Customers", "description": "客户标识（核心数据，仅可求交）", "sector": "financial-services", "region": "440100", "grade": "core",
                    "policy": Self.policy, "compute": ["matchColumns": ["customer_id"], "privacyUnit": "customer_id"],
                ], csv: Self.customers)
            #expect(record["compute"]?["matchColumns"]?.arrayValue?.first?.stringValue == "customer_id", "\(record)")
            let dataset = try #require(record["identifier"]?.stringValue)
            let page = try await raw(.GET, net.url(1) + "/datasets/\(dataset)", headers: [("Accept-Language", "en")])
            #expect(
                page.text.contains("private set intersection (at most 10000 identifiers a run, at most 4 runs, releases which identifiers matched)"),
                "\(page.text.prefix(3_000))")
            let n = try await ContractFlowTests().negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "commercial.risk-control")
            #expect(n["state"]?.stringValue == "FINALIZED", "\(n)")
            let agreement = try #require(n["agreement"]?["id"]?.stringValue)

            // Every byte the consumer exchanges with peers from here on is recorded.
            net.nodes[2].contracts.tap.startExchanges()
            let ids = Self.consumerIDs.map { JSONValue.string($0) }
            let run = try await psi(net, agreement, ["identifiers": .array(ids)])
            #expect(run.status == 200, "\(run.text)")
            let result = try #require(run.json)
            #expect(result["consumerSetSize"]?.intValue == 10_000)
            #expect(result["providerSetSize"]?.intValue == 10_000)
            #expect(result["intersectionSize"]?.intValue == 2_500)
            let matches = Set(result["matches"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            #expect(matches == Set((7_500..<10_000).map { String(format: "C%05d", $0) }))
            #expect(result["runsLeft"]?.intValue == 3)

            // No identifier crossed the wire, in either direction, plain or merely hashed.
            let exchanges = net.nodes[2].contracts.tap.recordedExchanges.filter { $0.url.contains("/psi") }
            #expect(exchanges.count == 1)
            let wire = exchanges.map { $0.sent + $0.received }.reduce(Data(), +)
            // Sent: the consumer's 10,000 blinded points; received: those blinded again and the provider's 10,000.
            let expectedBytes = 30_000 * 32
            #expect(wire.count == expectedBytes)
            for probe in ["C07500", "C0999", "T00001", "C00000", "customer"] {
                #expect(wire.range(of: Data(probe.utf8)) == nil, "\(probe) on the wire")
            }
            let hashed = HashToCurve25519.identifiers.hashBatch(["C07500", "C09999", "T00001", "C00000"].map { Array($0.utf8) })
            for h in hashed { #expect(wire.range(of: Data(h)) == nil) }

            // Asking for the size only: the provider permutes the answer; no matches come back.
            let sizeOnly = try await psi(net, agreement, ["identifiers": .array(ids), "output": "cardinality"])
            #expect(sizeOnly.status == 200, "\(sizeOnly.text)")
            #expect(sizeOnly.json?["intersectionSize"]?.intValue == 2_500)
            #expect(sizeOnly.json?["matches"] == nil)

            // One identifier, and none at all.
            let one = try await psi(net, agreement, ["identifiers": ["C00042"]])
            #expect(one.json?["intersectionSize"]?.intValue == 1 && one.json?["matches"]?.arrayValue?.count == 1, "\(one.text)")
            // A set over the limit is refused before anything is charged, naming the body.
            let tooMany = try await psi(net, agreement, ["identifiers": .array((0..<10_001).map { .string("X\($0)") })])
            #expect(tooMany.status == 413, "\(tooMany.text)")
            #expect(tooMany.json?["field"]?.stringValue == "body", "\(tooMany.text)")
            let none = try await psi(net, agreement, ["identifiers": []])
            #expect(none.status == 200, "\(none.text)")
            #expect(none.json?["intersectionSize"]?.intValue == 0 && none.json?["runsLeft"]?.intValue == 0, "\(none.text)")
            // Four runs were allowed; the fifth is refused with the reason.
            let exhausted = try await psi(net, agreement, ["identifiers": ["C00001"]])
            #expect(exhausted.status == 403, "\(exhausted.text)")
            #expect(exhausted.json?["code"]?.stringValue == "psi.runs_exhausted", "\(exhausted.text)")

            // Hostile points never reach a charge: small order, or not whole points.
            let consumer = net.nodes[2].did.value
            var points = [UInt8](repeating: 0, count: 64)
            points[0] = 9
            await #expect(throws: ComputeRefusal.self) {
                _ = try await net.nodes[1].compute.setIntersection(agreementID: agreement, consumer: consumer, column: nil, points: points)
            }
            do {
                _ = try await net.nodes[1].compute.setIntersection(agreementID: agreement, consumer: consumer, column: nil, points: points)
            } catch let refusal as ComputeRefusal {
                #expect(refusal.field == "body[1]", "\(refusal)")
            }
            do {
                _ = try await net.nodes[1].compute.setIntersection(agreementID: agreement, consumer: consumer, column: "plan", points: [])
            } catch let refusal as ComputeRefusal {
                #expect(refusal.field == "column", "\(refusal)")
            }

            // Each admitted run is evidence on the provider's ledger: sizes and column, no identifier.
            let events = try await net.settled {
                try await net.clients[1].call(.GET, "/api/v1/ledger/events?type=compute.psi.run")["events"]?.arrayValue ?? []
            }
            #expect(events.count == 4)
            #expect(Set(events.compactMap { $0["event"]?["remaining"]?.stringValue }) == ["3", "2", "1", "0"], "\(events)")
            let text = events.map { $0.encodedString() }.joined()
            // (Identifiers of products and entries are random text, so probe for the customers themselves.)
            for probe in ["C07500", "C09999", "C00042", "C00001", "T00001", "T07499"] { #expect(!text.contains(probe), "\(probe) in the evidence") }
            #expect(text.contains("\"consumerSetSize\":10000"))
        }
    }

    @Test func aCardinalityOfferNeverReleasesMatches() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let policy: JSONValue = [
                "permission": [["action": "compute", "constraint": [["leftOperand": "psiSetSize", "operator": "lteq", "rightOperand": .number(100)]]]]
            ]
            let record = try await net.publish(
                1, ["title": "客户名录 Customers", "description": "客户标识", "sector": "financial-services", "region": "440100", "policy": policy, "compute": ["matchColumns": ["customer_id"]]],
                csv: "customer_id\nA\nB\nC\n")
            let n = try await ContractFlowTests().negotiate(net, consumer: 2, provider: 1, dataset: try #require(record["identifier"]?.stringValue), purpose: "commercial.risk-control")
            let agreement = try #require(n["agreement"]?["id"]?.stringValue)
            let sizeOnly = try await psi(net, agreement, ["identifiers": ["A", "C", "D"]])
            #expect(sizeOnly.status == 200, "\(sizeOnly.text)")
            #expect(sizeOnly.json?["intersectionSize"]?.intValue == 2 && sizeOnly.json?["matches"] == nil, "\(sizeOnly.text)")
            let asked = try await psi(net, agreement, ["identifiers": ["A"], "output": "intersection"])
            #expect(asked.status == 403 && asked.json?["field"]?.stringValue == "output", "\(asked.text)")
            // A DP query under this agreement is refused: it grants set intersection, no budget.
            let query = try await raw(
                .POST, net.url(2) + "/api/v1/agreements/\(agreement)/query",
                headers: [("Authorization", "Bearer \(net.nodes[2].adminToken)"), ("Content-Type", "application/json")],
                body: Data(#"{"query":"SELECT COUNT(*) FROM data"}"#.utf8))
            #expect(query.status >= 400 && query.status < 500, "\(query.text)")
        }
    }
}
