import DataspaceApplication
import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// Secure aggregation between real nodes (docs/privacy.md, "Secure aggregation"): three cities'
/// bureaus hand additive shares of their statistics to two aggregators (the registry and a
/// member); an institute adds the two sums and gets exactly the plaintext totals. A provider
/// that refuses aborts the round with nothing released; a round is collected once.
@Suite(.serialized) struct SecureAggregationFlowTests {
    static let shenzhen = TestNetwork.Spec(name: "深圳市数据局", creditBody: "11440300MB2C92190", region: "440300")
    static let foshan = TestNetwork.Spec(name: "佛山市数据局", creditBody: "11440600MB2C92190", region: "440600")

    /// One city's clinic visits by area, with two hostile cells, and its totals as the store
    /// sees them (values clamped to the declared 0:50, cells that are not numbers left out).
    static func statistics(seed: Int, rows: Int) -> (csv: String, totals: [String: (sum: Int64, count: Int64)]) {
        var lines = ["resident,area,visits"]
        for i in 0..<rows {
            lines.append("R\(seed)-\(i),\(["urban", "suburban", "rural"][(i * 7 + seed) % 3]),\((i * 37 + seed * 11) % 60)")
        }
        lines.append("R\(seed)-x,urban,1e300")
        lines.append("R\(seed)-y,rural,NaN")
        var totals: [String: (sum: Int64, count: Int64)] = [:]
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",")
            guard let v = Double(cells[2]), !v.isNaN else { continue }
            totals[String(cells[1]), default: (0, 0)].sum += Int64(min(max(v, 0), 50))
            totals[String(cells[1]), default: (0, 0)].count += 1
        }
        return (lines.joined(separator: "\n") + "\n", totals)
    }

    static func policy(rounds: Int) -> JSONValue {
        ["permission": [["action": "compute", "constraint": [["leftOperand": "aggregateRounds", "operator": "lteq", "rightOperand": .number(Double(rounds))]]]]]
    }

    @Test(arguments: TestNetwork.Database.available) func threeCitiesAreAddedWithoutRevealingThem(_ database: TestNetwork.Database) async throws {
        // 0 registry (aggregator), 1 Guangzhou, 2 institute (consumer), 3 enterprise (aggregator), 4 Shenzhen, 5 Foshan.
        let specs = [TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute, TestNetwork.enterprise, Self.shenzhen, Self.foshan]
        try await withNetwork(specs, database: database) { net in
            for i in 1..<6 { try await net.register(i) }
            let providers = [1, 4, 5]
            var agreements: [String] = []
            var expected: [String: (sum: Int64, count: Int64)] = [:]
            for (k, p) in providers.enumerated() {
                let data = Self.statistics(seed: k + 1, rows: 400 + 100 * k)
                for (area, t) in data.totals {
                    expected[area, default: (0, 0)].sum += t.sum
                    expected[area, default: (0, 0)].count += t.count
                }
                let record = try await net.publish(
                    p,
                    [
                        "title": .string("门诊统计 Clinic visits \(p)"), "description": "按区域的门诊次数（核心数据，仅可安全聚合）", "sector": "healthcare", "region": "440100",
                        "grade": "core", "policy": Self.policy(rounds: p == 5 ? 1 : 3),
                        "compute": ["privacyUnit": "resident", "bounds": ["visits": "0:50"], "publicKeys": ["area"]],
                    ], csv: data.csv)
                let dataset = try #require(record["identifier"]?.stringValue, "\(record)")
                // The product page says which computation the offer grants, and how much.
                let page = try await raw(.GET, net.url(p) + "/datasets/\(dataset)", headers: [("Accept-Language", "en")])
                #expect(page.text.contains("secure aggregation (joint COUNT/SUM with other providers, at most \(p == 5 ? 1 : 3) rounds"), "\(page.text.prefix(3_000))")
                let n = try await ContractFlowTests().negotiate(net, consumer: 2, provider: p, dataset: dataset, purpose: "statistics")
                #expect(n["state"]?.stringValue == "FINALIZED", "\(n)")
                agreements.append(try #require(n["agreement"]?["id"]?.stringValue))
            }
            let aggregators: [JSONValue] = [.string(net.nodes[0].did.value), .string(net.nodes[3].did.value)]
            let request: JSONValue = [
                "agreements": .array(agreements.map { .string($0) }), "aggregators": .array(aggregators), "column": "visits", "groupBy": "area",
                "groups": ["urban", "suburban", "rural", "island"], "decimals": 1,
            ]
            // The consumer's own traffic carries no provider's numbers: it talks to the aggregators and gets acknowledgements.
            net.nodes[2].contracts.tap.startExchanges()
            let result = try await net.clients[2].call(.POST, "/api/v1/aggregations", json: request)
            let groups = result["groups"]?.arrayValue ?? []
            #expect(groups.count == 4, "\(result)")
            for g in groups {
                let key = g["key"]?.stringValue ?? ""
                let want = expected[key] ?? (0, 0)
                #expect(g["count"]?.intValue == Int(want.count), "\(key): \(g)")
                #expect(g["sum"]?.stringValue == "\(want.sum).0", "\(key): \(g)")
            }
            #expect(groups.last?["count"]?.intValue == 0 && groups.last?["avg"] == nil)
            let exchanges = net.nodes[2].contracts.tap.recordedExchanges
            let providerReplies = exchanges.filter { $0.url.contains("/aggregate") }
            #expect(providerReplies.count == 3)
            for e in providerReplies {
                let text = String(decoding: e.received, as: UTF8.self)
                #expect(!text.contains("values") && !text.contains("visits"), "\(text)")
            }

            // The evidence: each provider's contribution, each aggregator's receipts and its one release.
            for a in [0, 3] {
                let received = try await net.settled { try await net.clients[a].call(.GET, "/api/v1/ledger/events?type=aggregation.share.received")["events"]?.arrayValue ?? [] }
                #expect(received.count == 3)
                let released = try await net.settled { try await net.clients[a].call(.GET, "/api/v1/ledger/events?type=aggregation.round.released")["events"]?.arrayValue ?? [] }
                #expect(released.count == 1)
            }
            let contributed = try await net.settled { try await net.clients[4].call(.GET, "/api/v1/ledger/events?type=compute.aggregate.contribution")["events"]?.arrayValue ?? [] }
            #expect(contributed.count == 1 && contributed.first?["event"]?["remaining"]?.stringValue == "2", "\(contributed)")

            // Foshan allowed one round: the next aborts at both aggregators, naming its agreement; nothing is released.
            let refused = try await raw(
                .POST, net.url(2) + "/api/v1/aggregations",
                headers: [("Authorization", "Bearer \(net.nodes[2].adminToken)"), ("Content-Type", "application/json")], body: Data(request.encodedString().utf8))
            #expect(refused.status == 409, "\(refused.text)")
            #expect(refused.json?["field"]?.stringValue == "agreements[2]", "\(refused.text)")
            #expect(refused.text.contains("aborted"), "\(refused.text)")
            for a in [0, 3] {
                let aborted = try await net.settled { try await net.clients[a].call(.GET, "/api/v1/ledger/events?type=aggregation.round.aborted")["events"]?.arrayValue ?? [] }
                #expect(aborted.count == 1)
                let released = try await net.clients[a].call(.GET, "/api/v1/ledger/events?type=aggregation.round.released")["events"]?.arrayValue ?? []
                #expect(released.count == 1, "still only the first round's release")
            }

            // The consumer cannot aggregate its own round, and a round needs three providers.
            var own = request
            own = .object((own.objectValue ?? [:]).merging(["aggregators": [.string(net.nodes[2].did.value), aggregators[1]]]) { $1 })
            let selfAggregated = try await raw(
                .POST, net.url(2) + "/api/v1/aggregations",
                headers: [("Authorization", "Bearer \(net.nodes[2].adminToken)"), ("Content-Type", "application/json")], body: Data(own.encodedString().utf8))
            #expect(selfAggregated.status == 422 && selfAggregated.json?["field"]?.stringValue == "aggregators[0]", "\(selfAggregated.text)")
            let two = JSONValue.object((request.objectValue ?? [:]).merging(["agreements": .array(agreements.prefix(2).map { .string($0) })]) { $1 })
            let tooFew = try await raw(
                .POST, net.url(2) + "/api/v1/aggregations",
                headers: [("Authorization", "Bearer \(net.nodes[2].adminToken)"), ("Content-Type", "application/json")], body: Data(two.encodedString().utf8))
            #expect(tooFew.status == 422 && tooFew.json?["field"]?.stringValue == "agreements", "\(tooFew.text)")
        }
    }

    /// The aggregator's rules, in process: nothing is released while a share is missing, a
    /// provider hands in once, only named providers hand in, only the consumer collects, and two
    /// racing collections release the sum once.
    @Test(arguments: TestNetwork.Database.available) func anAggregatorReleasesOnceAndOnlyWhenComplete(_ database: TestNetwork.Database) async throws {
        try await withNetwork([TestNetwork.authority], database: database) { net in
            let aggregator = net.nodes[0].aggregation
            let consumer = "did:web:consumer.example"
            let providers = ["did:web:p1.example", "did:web:p2.example", "did:web:p3.example"]
            let round = "round-\(UUID().uuidString.prefix(8))"
            _ = try await aggregator.open(AggregationService.Opening(round: round, providers: providers, length: 2), consumer: consumer)
            // Opening again is idempotent; with other terms it is refused.
            _ = try await aggregator.open(AggregationService.Opening(round: round, providers: providers, length: 2), consumer: consumer)
            await #expect(throws: ComputeRefusal.self) {
                _ = try await aggregator.open(AggregationService.Opening(round: round, providers: providers, length: 4), consumer: consumer)
            }
            try await aggregator.submit(roundID: round, provider: providers[0], values: ShareVector.json([5, UInt64.max]))
            await #expect(throws: ComputeRefusal.self) {
                try await aggregator.submit(roundID: round, provider: providers[0], values: ShareVector.json([1, 1]))
            }
            await #expect(throws: ComputeRefusal.self) {
                try await aggregator.submit(roundID: round, provider: "did:web:stranger.example", values: ShareVector.json([1, 1]))
            }
            await #expect(throws: ComputeRefusal.self) {
                try await aggregator.submit(roundID: round, provider: providers[1], values: ShareVector.json([1, 1, 1]))
            }
            do {
                _ = try await aggregator.collect(roundID: round, consumer: consumer)
                Issue.record("released with two shares missing")
            } catch let refusal as ComputeRefusal {
                #expect(refusal.code == "aggregate.incomplete" && refusal.detail.contains(providers[1]), "\(refusal)")
            }
            await #expect(throws: ComputeRefusal.self) { _ = try await aggregator.collect(roundID: round, consumer: providers[0]) }
            try await aggregator.submit(roundID: round, provider: providers[1], values: ShareVector.json([10, 3]))
            try await aggregator.submit(roundID: round, provider: providers[2], values: ShareVector.json([UInt64.max, 0]))
            async let a = Result { try await aggregator.collect(roundID: round, consumer: consumer) }
            async let b = Result { try await aggregator.collect(roundID: round, consumer: consumer) }
            let outcomes = [await a, await b]
            let sums = outcomes.compactMap { try? $0.get() }
            #expect(sums == [[14, 2]], "\(outcomes)")
            // Closed rounds take nothing more and cannot be aborted.
            await #expect(throws: ComputeRefusal.self) {
                try await aggregator.submit(roundID: round, provider: providers[2], values: ShareVector.json([1, 1]))
            }
            await #expect(throws: ComputeRefusal.self) { try await aggregator.abort(roundID: round, consumer: consumer, reason: "late") }

            // An aborted round never releases.
            let second = "round-\(UUID().uuidString.prefix(8))"
            _ = try await aggregator.open(AggregationService.Opening(round: second, providers: providers, length: 2), consumer: consumer)
            for p in providers { try await aggregator.submit(roundID: second, provider: p, values: ShareVector.json([1, 1])) }
            try await aggregator.abort(roundID: second, consumer: consumer, reason: "a provider dropped")
            await #expect(throws: ComputeRefusal.self) { _ = try await aggregator.collect(roundID: second, consumer: consumer) }

            // A round its consumer abandoned ends by itself after its lifetime, with nothing released.
            let abandoned = "round-\(UUID().uuidString.prefix(8))"
            _ = try await aggregator.open(AggregationService.Opening(round: abandoned, providers: providers, length: 2), consumer: consumer)
            try await aggregator.submit(roundID: abandoned, provider: providers[0], values: ShareVector.json([7, 7]))
            #expect(try await aggregator.expireAbandonedRounds() == 0, "not yet")
            net.clock.advance(by: AggregationService.roundLifetime + 60)
            #expect(try await aggregator.expireAbandonedRounds() == 1)
            for p in providers.dropFirst() {
                await #expect(throws: ComputeRefusal.self) { try await aggregator.submit(roundID: abandoned, provider: p, values: ShareVector.json([1, 1])) }
            }
            await #expect(throws: ComputeRefusal.self) { _ = try await aggregator.collect(roundID: abandoned, consumer: consumer) }
        }
    }
}

extension Result where Failure == any Error {
    init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
