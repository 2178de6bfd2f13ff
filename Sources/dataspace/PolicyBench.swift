import ArgumentParser
import DataspaceCore
import DataspaceServer
import Foundation

/// `dataspace bench policy`: decisions per second of the compiled ODRL evaluator on one core,
/// against the same policies written for Cedar (cedarpy, batch API) and OPA Rego (regopy, compiled
/// bundle), on the same requests, with every peer decision checked against ours.
struct PolicyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Benchmark policy decisions against Cedar and OPA Rego.")

    @Option(help: "Number of generated offers (one per product).") var policies: Int = 1_000
    @Option(help: "Number of generated requests.") var requests: Int = 100_000
    @Option(help: "Requests handed to the Python peers (they are slower).") var peerRequests: Int = 20_000
    @Option(help: "Python with cedarpy and regopy (Benchmarks/policy-peer.sh sets one up); omit to skip the peers.") var python: String?
    @Option(help: "Directory for the files handed to the peers.") var work: String = NSTemporaryDirectory() + "dataspace-policy-bench"

    /// The generated set, engine-neutral: each offer is a conjunction the three engines express natively.
    struct Offer {
        var purposes: [String]
        var province: String
        var maxCount: Int
        var notAfter: Int
        var sector: String?
        var json: JSONValue
    }

    struct Request {
        var offer: Int
        var purpose: String
        var region: String
        var sector: String
        var count: Int
    }

    static let now = 1_790_000_000
    static let purposes = ["research", "research.medical", "research.social", "public-service", "commercial", "commercial.marketing", "statistics", "model-training"]
    static let topPurposes = ["research", "public-service", "commercial", "statistics", "model-training"]
    static let provinces = ["440000", "110000", "310000", "330000"]
    static let regions = ["440100", "440104", "440106", "440300", "110000", "110105", "310000", "310115", "330100", "330106", "510100", "420100"]
    static let sectors = ["scientific-research", "transport", "healthcare", "urban-governance", "financial-services"]

    func run() async throws {
        try await runReporting {
            var rng = SplitMix(seed: 20_261_123)
            var offers: [Offer] = []
            for _ in 0..<policies {
                var purposes = [Self.topPurposes[rng.next(Self.topPurposes.count)]]
                if rng.next(2) == 0 { purposes.append(Self.topPurposes[rng.next(Self.topPurposes.count)]) }
                purposes = Array(Set(purposes)).sorted()
                let province = Self.provinces[rng.next(Self.provinces.count)]
                let maxCount = 1 + rng.next(10)
                let notAfter = Self.now - 40 * 86_400 + rng.next(400) * 86_400
                let sector: String? = rng.next(10) < 3 ? Self.sectors[rng.next(Self.sectors.count)] : nil
                var constraints: [JSONValue] = [
                    ["leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": .array(purposes.map { .string($0) })],
                    ["leftOperand": "spatial", "operator": "isPartOf", "rightOperand": .string(province)],
                    ["leftOperand": "count", "operator": "lteq", "rightOperand": .string(String(maxCount))],
                    ["leftOperand": "dateTime", "operator": "lt", "rightOperand": .string(ISO8601.format(Date(timeIntervalSince1970: Double(notAfter))))],
                ]
                if let sector { constraints.append(["leftOperand": "recipient", "operator": "isA", "rightOperand": ["sector": .string(sector)]]) }
                let json: JSONValue = ["permission": [["action": "use", "constraint": .array(constraints)]], "prohibition": [["action": "distribute"]]]
                offers.append(Offer(purposes: purposes, province: province, maxCount: maxCount, notAfter: notAfter, sector: sector, json: json))
            }
            // Requests lean towards what the offer allows, so about a third are permitted and every
            // constraint is exercised on both sides of its boundary.
            var reqs: [Request] = []
            for _ in 0..<requests {
                let offer = rng.next(policies)
                let o = offers[offer]
                var purpose = Self.purposes[rng.next(Self.purposes.count)]
                if rng.next(4) != 0 {
                    let base = o.purposes[rng.next(o.purposes.count)]
                    let children = Self.purposes.filter { Purpose.isA($0, base) }
                    purpose = children[rng.next(children.count)]
                }
                var region = Self.regions[rng.next(Self.regions.count)]
                if rng.next(4) != 0 {
                    let inside = Self.regions.filter { $0.hasPrefix(o.province.prefix(2)) }
                    region = inside[rng.next(inside.count)]
                }
                let sector = o.sector.flatMap { s in rng.next(3) != 0 ? s : nil } ?? Self.sectors[rng.next(Self.sectors.count)]
                reqs.append(Request(offer: offer, purpose: purpose, region: region, sector: sector, count: 1 + rng.next(o.maxCount + 2)))
            }

            let compileStart = ContinuousClock.now
            let compiled = try offers.map { try CompiledPolicy.parse($0.json) }
            let compileTime = ContinuousClock.now - compileStart
            let prepared = reqs.map { r in
                PolicyRequest(
                    action: "download", purpose: r.purpose,
                    recipient: .init(did: "did:web:consumer.example", sector: Sector(rawValue: r.sector), region: try? RegionCode(r.region), role: "participant"),
                    now: Date(timeIntervalSince1970: Double(Self.now)), uses: r.count - 1)
            }
            // Warm up, then time several passes over all requests on this one thread.
            var decisions = [Bool](repeating: false, count: prepared.count)
            for (i, r) in prepared.enumerated() { decisions[i] = compiled[reqs[i].offer].permits(r) }
            let passes = 5
            var permits = 0
            let start = ContinuousClock.now
            for _ in 0..<passes {
                for i in prepared.indices where compiled[reqs[i].offer].permits(prepared[i]) { permits += 1 }
            }
            let elapsed = (ContinuousClock.now - start).milliseconds / 1_000
            let ours = Double(passes * prepared.count) / elapsed
            let explainStart = ContinuousClock.now
            var reasons = 0
            for i in prepared.indices { reasons += compiled[reqs[i].offer].evaluate(prepared[i]).reasons.count }
            let explained = Double(prepared.count) / ((ContinuousClock.now - explainStart).milliseconds / 1_000)
            let permitted = decisions.filter { $0 }.count
            print("\(policies) offers compiled in \(compileTime); \(requests) requests, \(permitted) permitted (\(String(format: "%.1f", 100 * Double(permitted) / Double(requests)))%)")

            var rows: [[String]] = [
                ["ours: permits() (decision only)", String(format: "%.0f", ours), String(format: "%.2f", 1e6 / ours), "—"],
                ["ours: evaluate() (decision + reasons)", String(format: "%.0f", explained), String(format: "%.2f", 1e6 / explained), "—"],
            ]
            var summary: [String: JSONValue] = [
                "decisionsPerSecond": .number(ours.rounded()), "explainedPerSecond": .number(explained.rounded()), "requests": .number(Double(requests)),
                "policies": .number(Double(policies)), "permitted": .number(Double(permitted)),
            ]
            if let python {
                let peer = try runPeers(python: python, offers: offers, requests: Array(reqs.prefix(peerRequests)), expected: Array(decisions.prefix(peerRequests)))
                for (name, key) in [
                    ("Cedar (cedarpy batch, each product's policies)", "cedar"), ("Cedar (cedarpy batch, one set of all policies)", "cedar_single_set"),
                    ("OPA Rego (regopy, compiled bundle)", "rego"),
                ] {
                    guard let result = peer[key], let rate = result["decisions_per_second"]?.doubleValue else { continue }
                    let mismatches = (result["mismatches"]?.intValue ?? -1)
                    let checked = (result["checked"]?.intValue ?? 0)
                    rows.append([name, String(format: "%.0f", rate), String(format: "%.2f", 1e6 / rate), "\(checked - mismatches)/\(checked)"])
                    summary[key] = result
                    summary["ratio_\(key)"] = .number((ours / rate * 10).rounded() / 10)
                }
            }
            print("")
            printTable(["ENGINE", "DECISIONS/S", "µS/DECISION", "AGREES WITH OURS"], rows, maxWidth: 60)
            if let cedar = summary["ratio_cedar"]?.doubleValue { print("\nours / Cedar = \(cedar)×") }
            if let rego = summary["ratio_rego"]?.doubleValue { print("ours / Rego = \(rego)×") }
            print("\n" + JSONValue.object(summary).encodedString())
            _ = reasons
        }
    }

    func runPeers(python: String, offers: [Offer], requests: [Request], expected: [Bool]) throws -> JSONValue {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let path = work + "/policy-set.json"
        let set: JSONValue = [
            "now": .number(Double(Self.now)),
            "offers": .array(
                offers.map { o in
                    [
                        "purposes": .array(o.purposes.map { .string($0) }), "province": .string(o.province), "max_count": .number(Double(o.maxCount)),
                        "not_after": .number(Double(o.notAfter)), "sector": o.sector.map { .string($0) } ?? .null,
                    ]
                }),
            "requests": .array(
                requests.map { r in
                    [
                        "offer": .number(Double(r.offer)), "purpose": .string(r.purpose), "region": .string(r.region), "sector": .string(r.sector),
                        "count": .number(Double(r.count)),
                    ]
                }),
            "expected": .array(expected.map { .bool($0) }),
            "purposes": .array(Self.purposes.map { .string($0) }),
            "regions": .array(Self.regions.map { .string($0) }),
        ]
        try set.encoded().write(to: URL(fileURLWithPath: path))
        let json = try PythonPeer.run(
            python: python, script: "policy_peers.py", arguments: [path], label: "Cedar and Rego peers on \(requests.count) requests")
        return json
    }
}

/// A small seeded generator so every run (and the peers) sees the same policy set.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}
