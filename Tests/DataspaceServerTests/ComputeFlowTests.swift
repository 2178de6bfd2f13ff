import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// Computation in place between real nodes (docs/privacy.md): a hospital's core-grade records
/// answer differentially private queries under an agreement's budget, exactly accounted on
/// SQLite and on PostgreSQL, and never leave as rows.
@Suite(.serialized) struct ComputeFlowTests {
    static let regions = ["越秀区", "天河区", "海珠区"]

    /// 300 visits of 120 patients; patient p0 visits 30 times (bounded to 2 rows).
    static let visits: String = {
        var lines = ["patient,region,age,cost,diagnosis"]
        for i in 0..<270 {
            let p = i % 119 + 1
            lines.append("p\(p),\(regions[p % 3]),\(20 + p % 60),\(100 + (i * 37) % 900).5,\(i % 4 == 0 ? "diabetes" : "flu")")
        }
        for _ in 0..<30 { lines.append("p0,越秀区,1e300,NaN,flu") }
        return lines.joined(separator: "\n") + "\n"
    }()

    static func metadata(policy: JSONValue) -> JSONValue {
        [
            "title": "门诊就诊记录 Outpatient visits", "description": "就诊记录（核心数据，仅可计算）", "sector": "healthcare", "region": "440100",
            "grade": "core", "policy": policy,
            "compute": [
                "privacyUnit": "patient", "bounds": ["age": "0:120", "cost": "0:100000"], "publicKeys": ["region"], "maxRowsPerUnit": 2,
            ],
        ]
    }

    static let computePolicy: JSONValue = [
        "permission": [
            [
                "action": "compute",
                "constraint": [
                    ["leftOperand": "purpose", "operator": "isA", "rightOperand": "research"],
                    ["leftOperand": "epsilon", "operator": "lteq", "rightOperand": .number(1.0)],
                    ["leftOperand": "queryEpsilon", "operator": "lteq", "rightOperand": .number(0.5)],
                    ["leftOperand": "delta", "operator": "lteq", "rightOperand": .number(0.00001)],
                ],
            ]
        ]
    ]

    func agreed(_ net: TestNetwork) async throws -> (dataset: String, agreement: String) {
        try await net.register(1)
        try await net.register(2)
        let record = try await net.publish(1, Self.metadata(policy: Self.computePolicy), csv: Self.visits)
        #expect(record["grade"]?.stringValue == "core")
        #expect(record["compute"]?["privacyUnit"]?.stringValue == "patient")
        let dataset = try #require(record["identifier"]?.stringValue)
        let n = try await ContractFlowTests().negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research.medical")
        #expect(n["state"]?.stringValue == "FINALIZED", "\(n)")
        return (dataset, try #require(n["agreement"]?["id"]?.stringValue))
    }

    func query(_ net: TestNetwork, _ agreement: String, _ body: JSONValue) async throws -> RawReply {
        try await raw(
            .POST, net.url(2) + "/api/v1/agreements/\(agreement)/query",
            headers: [("Authorization", "Bearer \(net.nodes[2].adminToken)"), ("Content-Type", "application/json")], body: Data(body.encodedString().utf8))
    }

    @Test(arguments: TestNetwork.Database.available) func coreRecordsAnswerPrivateQueriesUnderAnExactBudget(_ database: TestNetwork.Database) async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute], database: database) { net in
            let (_, agreement) = try await agreed(net)

            // The query store was built while the product was published: with the stored CSV
            // made unreadable before the first query, queries are still answered, from the store.
            let blobs = net.nodes[1].directory.blobsPath
            let kept = try FileManager.default.contentsOfDirectory(atPath: blobs + "/querystores").filter { $0.hasSuffix(".dsq") }
            #expect(kept.count == 1)
            let sha256 = String(try #require(kept.first).prefix(64))
            try Data("not,the\nrecords\n".utf8).write(to: URL(fileURLWithPath: blobs + "/\(sha256.prefix(2))/\(sha256.dropFirst(2))"))

            // A grouped query over the public key: every region, counts near the truth.
            let first = try await query(net, agreement, ["query": "SELECT region, COUNT(*) AS visits, AVG(age) AS age FROM data GROUP BY region", "epsilon": .number(0.25)])
            #expect(first.status == 200, "\(first.text)")
            let answer = try #require(first.json)
            let rows = try #require(answer["rows"]?.arrayValue)
            #expect(Set(rows.compactMap { $0.arrayValue?.first?.stringValue }) == Set(Self.regions))
            let total = rows.compactMap { $0.arrayValue?[1].stringValue.flatMap { Int($0) } }.reduce(0, +)
            // 270 visits of p1…p119 (each bounded to 2 rows: 238) + p0's 2 rows = 240. Three
            // measurements share ε 0.25, so each region's count has Laplace noise of scale 2/(0.25/3)
            // = 24; the sum of three is beyond ±600 with probability below 10⁻¹⁰ (the noise's own
            // distribution is tested at fixed seeds in NoiseSamplerTests).
            #expect(abs(total - 240) < 600, "\(total)")
            // (ε 0.25/3 rounds down to 0.083333333, so the scale is a hair above 24, never below.)
            let scale = try #require(answer["columns"]?.arrayValue?[1]["noise"]?["scale"]?.doubleValue)
            #expect(scale >= 24 && scale < 24.000001, "\(scale)")
            #expect(answer["columns"]?.arrayValue?[1]["noise"]?["mechanism"]?.stringValue == "discrete Laplace")
            #expect(answer["spent"]?["amount"]?.stringValue == "0.25")
            #expect(answer["budget"]?["remaining"]?.stringValue == "0.75")
            #expect(answer["queryHash"]?.stringValue?.count == 64)

            // Both sides see the same budget.
            let consumerView = try await net.clients[2].call(.GET, "/api/v1/agreements/\(agreement)/budget")
            let providerView = try await net.clients[1].call(.GET, "/api/v1/agreements/\(agreement)/budget")
            #expect(consumerView["spent"]?.stringValue == "0.25" && providerView["spent"]?.stringValue == "0.25")
            #expect(consumerView["perQuery"]?.stringValue == "0.5")

            // Refusals cost nothing and name the part at fault.
            let refusals: [(JSONValue, Int, String)] = [
                (["query": "SELECT MIN(age) FROM data", "epsilon": .number(0.1)], 422, "MIN("),
                (["query": "SELECT * FROM data", "epsilon": .number(0.1)], 422, "*"),
                (["query": "SELECT SUM(diagnosis) FROM data", "epsilon": .number(0.1)], 422, "SUM(diagnosis)"),
                (["query": "SELECT COUNT(*) FROM data", "epsilon": .number(0.6)], 422, "epsilon"),
                (["query": "SELECT COUNT(*) FROM data", "rho": .number(0.1), "epsilon": .number(0.1)], 400, "rho"),
                (["query": "SELECT COUNT(*) FROM data", "epsilon": .number(-1)], 400, "epsilon"),
                (["query": .number(7)], 400, "query"),
            ]
            for (body, status, field) in refusals {
                let r = try await query(net, agreement, body)
                #expect(r.status == status, "\(body): \(r.text)")
                #expect(r.json?["field"]?.stringValue == field, "\(body): \(r.text)")
            }
            #expect(try await net.clients[2].call(.GET, "/api/v1/agreements/\(agreement)/budget")["spent"]?.stringValue == "0.25")

            // Grouping by a key that is not public spends δ and releases only groups above the threshold.
            let thresholded = try await query(net, agreement, ["query": "SELECT diagnosis, COUNT(*) FROM data GROUP BY diagnosis", "epsilon": .number(0.5), "delta": .number(0.000001)])
            #expect(thresholded.status == 200, "\(thresholded.text)")
            #expect(thresholded.json?["spent"]?["delta"]?.stringValue == "0.000001")
            #expect(thresholded.json?["releaseThreshold"]?.intValue != nil)

            // 0.25 + 0.5 spent: 0.25 is left, exactly; a query for 0.25 passes, the next is refused.
            let last = try await query(net, agreement, ["query": "SELECT SUM(cost) FROM data WHERE age >= 40", "epsilon": .number(0.25)])
            #expect(last.status == 200, "\(last.text)")
            #expect(last.json?["budget"]?["remaining"]?.stringValue == "0")
            let refused = try await query(net, agreement, ["query": "SELECT COUNT(*) FROM data", "epsilon": .number(0.000000001)])
            #expect(refused.status == 403, "\(refused.text)")
            #expect(refused.json?["code"]?.stringValue == "privacy.budget_exhausted")
            #expect(refused.json?["detail"]?.stringValue?.contains("1 of 1 used") == true, "\(refused.text)")

            // The public page shows how the product can be computed on, but no column of core data.
            let page = try await raw(.GET, net.url(1) + "/datasets/\(try #require(try await net.nodes[1].store.agreement(id: agreement)?.dataset))", headers: [("Accept-Language", "en")])
            #expect(page.status == 200)
            #expect(page.text.contains("differentially private queries") && page.text.contains("ε 1 per agreement, at most 0.5 a query"), "\(page.text)")
            #expect(!page.text.contains("privacy unit patient"))

            // Core data never leaves: a download under the agreement is refused with the reason.
            let started = try await net.clients[2].call(.POST, "/api/v1/transfers", json: ["agreement": .string(agreement)])
            let transfer = try await net.clients[2].call(.GET, "/api/v1/transfers/\(started["id"]?.stringValue ?? "")?wait=60")
            #expect(transfer["state"]?.stringValue == "TERMINATED", "\(transfer)")

            // Every answered query is evidence on the provider's ledger, with no data in it.
            let events = try await net.settled {
                try await net.clients[1].call(.GET, "/api/v1/ledger/events?type=compute.query.charged")["events"]?.arrayValue ?? []
            }
            #expect(events.count == 3)
            // Each names its cost and what it left, in order of charging: 0.75, 0.25, 0.
            let left = events.compactMap { $0["event"]?["remaining"]?.stringValue }.sorted()
            #expect(left == ["0", "0.25", "0.75"], "\(events)")
            let text = events.map { $0.encodedString() }.joined()
            #expect(!text.contains("p1,") && !text.contains("越秀区"))
        }
    }

    @Test(arguments: TestNetwork.Database.available) func racingQueriesNeverOverspend(_ database: TestNetwork.Database) async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute], database: database) { net in
            let (_, agreement) = try await agreed(net)
            // 30 queries of 0.05 race for a budget of 1: exactly 20 are answered.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        // The caller is authenticated before anything is charged; under 30-way load on
                        // CI a verification can fail transiently (401: resolving the caller's DID or
                        // recording its token id), so such a request is sent again as a client would.
                        var status = 0
                        for _ in 0..<5 {
                            status = try await query(net, agreement, ["query": "SELECT COUNT(*) FROM data", "epsilon": .number(0.05)]).status
                            if status != 401 && status < 500 { break }
                        }
                        return status
                    }
                }
                var all: [Int] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.filter { $0 == 200 }.count == 20, "\(statuses)")
            #expect(statuses.filter { $0 == 403 }.count == 10, "\(statuses)")
            let budget = try await net.clients[1].call(.GET, "/api/v1/agreements/\(agreement)/budget")
            #expect(budget["spent"]?.stringValue == "1")
            #expect(budget["remaining"]?.stringValue == "0")
        }
    }

    @Test func aStrangerAndADownloadOfferAreRefused() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute, TestNetwork.enterprise]) { net in
            let (dataset, agreement) = try await agreed(net)
            // Another member cannot use the agreement: the provider answers as if it did not exist.
            try await net.register(3)
            let stranger = try await raw(
                .POST, net.url(3) + "/api/v1/agreements/\(agreement)/query",
                headers: [("Authorization", "Bearer \(net.nodes[3].adminToken)"), ("Content-Type", "application/json")],
                body: Data(#"{"query":"SELECT COUNT(*) FROM data"}"#.utf8))
            #expect(stranger.status == 404, "\(stranger.text)")
            // A core product offered for download is refused at negotiation, naming the grade.
            var m = Self.metadata(policy: ["permission": [["action": "use"]]]).objectValue ?? [:]
            m["title"] = "另一个核心数据 Another core product"
            let record = try await net.publish(1, .object(m), csv: Self.visits)
            let other = try #require(record["identifier"]?.stringValue)
            #expect(other != dataset)
            let n = try await ContractFlowTests().negotiate(net, consumer: 2, provider: 1, dataset: other, purpose: "research")
            #expect(n["state"]?.stringValue == "TERMINATED")
            #expect(n.encodedString().contains("only computation in place"), "\(n)")
        }
    }
}
