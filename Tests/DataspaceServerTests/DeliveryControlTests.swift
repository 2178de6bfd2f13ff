import AsyncHTTPClient
import Crypto
import DataspaceContracts
import DataspaceCore
import DataspaceServer
import Foundation
import NIOHTTP1
import Testing

/// Controls bound to what was agreed, exact count limits under racing requests, transitions that
/// cannot be lost to a race, and public pages that show only what is public — between real nodes.
@Suite(.serialized, .tags(.hostile)) struct DeliveryControlTests {
    static func policy(count: Int) -> JSONValue {
        ["permission": [["action": "use", "constraint": [["leftOperand": "count", "operator": "lteq", "rightOperand": .string(String(count))]]]]]
    }

    static func metadata(count: Int, protection: JSONValue? = nil) -> JSONValue {
        var m = airQuality.objectValue ?? [:]
        m["policy"] = policy(count: count)
        if let protection { m["protection"] = protection }
        return .object(m)
    }

    /// Registers the bureau and the institute, publishes, negotiates; returns the agreement id.
    func agreed(_ net: TestNetwork, metadata: JSONValue, csv: String) async throws -> (dataset: String, agreement: String) {
        try await net.register(1)
        try await net.register(2)
        let record = try await net.publish(1, metadata, csv: csv)
        let dataset = try #require(record["identifier"]?.stringValue)
        let n = try await ContractFlowTests().negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research")
        #expect(n["state"]?.stringValue == "FINALIZED", "\(n)")
        return (dataset, try #require(n["agreement"]?["id"]?.stringValue))
    }

    func get(_ t: JSONValue, range: String? = nil) async throws -> RawReply {
        let endpoint = try #require(t["dataAddress"]?["endpoint"]?.stringValue)
        let token = try #require(t["dataAddress"]?["token"]?.stringValue)
        var headers = [("Authorization", "Bearer " + token)]
        if let range { headers.append(("Range", range)) }
        return try await raw(.GET, endpoint, headers: headers)
    }

    @Test func aLaterLaxerVersionNeverLoosensAnAgreement() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let v1 = "station,aqi\nGZ001,42\nGZ002,57\n"
            let (dataset, agreement) = try await agreed(
                net, metadata: Self.metadata(count: 5, protection: ["masking": ["station": "hide"]]), csv: v1)
            // Version 2: another file, and no masking at all.
            var m = Self.metadata(count: 5).objectValue ?? [:]
            m["protection"] = ["masking": [:], "watermark": false]
            let path = net.root + "/v2.csv"
            try "station,aqi\nSZ900,99\n".write(toFile: path, atomically: true, encoding: .utf8)
            let updated = try await net.clients[1].publish(file: path, metadata: .object(m), identifier: dataset)
            #expect(updated["version"]?.intValue == 2)

            let t = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)
            let reply = try await get(t)
            #expect(reply.status == 200)
            // The agreed version's rows, with the agreed version's masking.
            #expect(reply.text == "station,aqi\n,42\n,57\n", "\(reply.text)")
            #expect(!reply.text.contains("SZ900"))

            // A regrade of the current version to stricter masking tightens the old agreement too.
            var strict = Self.metadata(count: 5).objectValue ?? [:]
            strict["protection"] = ["masking": ["aqi": "hide", "station": "hide"]]
            _ = try await net.clients[1].publish(file: nil, metadata: .object(strict), identifier: dataset)
            let again = try await get(try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement))
            #expect(again.text == "station,aqi\n,\n,\n", "\(again.text)")
        }
    }

    func raceTransfers(_ net: TestNetwork, agreement: String, count: Int) async throws -> [JSONValue] {
        try await withThrowingTaskGroup(of: JSONValue.self) { group in
            for _ in 0..<count { group.addTask { try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement) } }
            var all: [JSONValue] = []
            for try await t in group { all.append(t) }
            return all
        }
    }

    func parallelGets(_ t: JSONValue, count: Int) async throws -> [(status: Int, bytes: Int)] {
        try await withThrowingTaskGroup(of: (status: Int, bytes: Int).self) { group in
            for _ in 0..<count { group.addTask { let r = try await get(t); return (r.status, r.body.count) } }
            var all: [(status: Int, bytes: Int)] = []
            for try await s in group { all.append(s) }
            return all
        }
    }

    @Test func racingTransfersNeverExceedTheCountAndRepeatsDoNotCount() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let csv = "station,aqi\n" + (0..<2_000).map { "GZ\($0),\($0 % 300)" }.joined(separator: "\n") + "\n"
            let (_, agreement) = try await agreed(net, metadata: Self.metadata(count: 3), csv: csv)
            // Eight transfers race for three permitted deliveries: three start, five are refused.
            let transfers = try await raceTransfers(net, agreement: agreement, count: 8)
            let started = transfers.filter { $0["state"]?.stringValue == "STARTED" }
            #expect(started.count == 3, "\(transfers.map { $0["state"]?.stringValue ?? "?" })")
            #expect(transfers.filter { $0["state"]?.stringValue == "TERMINATED" }.count == 5)
            let t = try #require(started.first)
            // Sixteen parallel GETs of one transfer are one delivery, used once.
            let statuses = try await parallelGets(t, count: 16)
            #expect(statuses.allSatisfy { $0.status == 200 && $0.bytes == csv.utf8.count }, "\(statuses)")
            // A repeat (the consumer failed to store it) is served again without using another.
            #expect(try await get(t).status == 200)
            let provider = try await net.clients[1].call(.GET, "/api/v1/agreements/\(agreement)")
            #expect(provider["deliveries"]?.intValue == 1 && provider["reservedDeliveries"]?.intValue == 2, "\(provider)")
            #expect(provider["remainingUses"]?.intValue == 0)
            // A ninth transfer is refused while two are held; ending one unused gives its place back.
            #expect(try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)["state"]?.stringValue == "TERMINATED")
            let unused = try #require(started.last?["id"]?.stringValue)
            _ = try await net.clients[2].call(.POST, "/api/v1/transfers/\(unused)/terminate", json: ["reason": "not needed"])
            let client = net.clients[1]
            let released = try await net.settled { try await client.call(.GET, "/api/v1/agreements/\(agreement)") }
            #expect(released["reservedDeliveries"]?.intValue == 1, "\(released)")
            #expect(released["remainingUses"]?.intValue == 1, "\(released)")
            #expect(try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)["state"]?.stringValue == "STARTED")
            // The ended transfer's token no longer delivers.
            let ended = try #require(started.last)
            let refused = try await get(ended)
            #expect(refused.status != 200)
        }
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let csv = "station,aqi\n" + (0..<500).map { "GZ\($0),\($0 % 300)" }.joined(separator: "\n") + "\n"
            let (_, agreement) = try await agreed(net, metadata: Self.metadata(count: 1), csv: csv)
            let t = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)
            // A delivery that stops after 100 bytes, continued with Range, is one delivery.
            let head = try await get(t, range: "bytes=0-99")
            #expect(head.status == 206 && head.body.count == 100)
            var provider = try await net.clients[1].call(.GET, "/api/v1/agreements/\(agreement)")
            #expect(provider["deliveries"]?.intValue == 0 && provider["reservedDeliveries"]?.intValue == 1, "not used until delivered whole")
            let rest = try await get(t, range: "bytes=100-")
            #expect(rest.status == 206)
            #expect(head.body + rest.body == Data(csv.utf8))
            provider = try await net.clients[1].call(.GET, "/api/v1/agreements/\(agreement)")
            #expect(provider["deliveries"]?.intValue == 1 && provider["reservedDeliveries"]?.intValue == 0)
            // The one permitted delivery is used: another transfer is refused.
            let second = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)
            #expect(second["state"]?.stringValue == "TERMINATED")
            #expect((second["reasons"]?.arrayValue ?? []).contains { ($0.stringValue ?? "").contains("count") }, "\(second)")
        }
    }

    /// Conflicting messages from both sides at once (the consumer terminates while the provider
    /// suspends and resumes) end in one legal state, the same on both sides.
    @Test func conflictingTransitionsEndInOneStateOnBothSides() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let (_, agreement) = try await agreed(net, metadata: Self.metadata(count: 50), csv: "station,aqi\nGZ001,42\n")
            var pairs: [(consumer: String, provider: String)] = []
            for _ in 0..<12 {
                let t = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)
                let consumerID = try #require(t["id"]?.stringValue)
                let stored = try #require(try await net.nodes[2].store.transfer(id: consumerID))
                pairs.append((consumerID, try #require(stored.providerPid)))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for pair in pairs {
                    group.addTask { _ = try? await net.clients[2].call(.POST, "/api/v1/transfers/\(pair.consumer)/terminate", json: ["reason": "done"]) }
                    group.addTask { _ = try? await net.clients[1].call(.POST, "/api/v1/transfers/\(pair.provider)/suspend", json: ["reason": "maintenance"]) }
                    group.addTask { _ = try? await net.clients[1].call(.POST, "/api/v1/transfers/\(pair.provider)/resume") }
                    group.addTask { _ = try? await net.clients[2].call(.POST, "/api/v1/transfers/\(pair.consumer)/suspend", json: ["reason": "pause"]) }
                }
                try await group.waitForAll()
            }
            // Wait until neither side has a message left to deliver, then compare.
            await net.settle()
            for pair in pairs {
                let c = try await net.nodes[2].store.transfer(id: pair.consumer), p = try await net.nodes[1].store.transfer(id: pair.provider)
                #expect(c?.queue.isEmpty == true && p?.queue.isEmpty == true, "messages left to deliver")
                #expect(c?.state == p?.state, "consumer \(c?.state.rawValue ?? "?") vs provider \(p?.state.rawValue ?? "?")")
                #expect(c?.state == .terminated, "the consumer's termination wins: \(c?.state.rawValue ?? "?")")
            }
        }
    }

    @Test func publicPagesShowScoresAndStructureNotValues() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            let csv = "station,aqi\nGZ001,421\nGZ002,577\nGZ003,433\n"
            let hidden = try #require(try await net.publish(1, airQuality, csv: csv)["identifier"]?.stringValue)
            let page = try await raw(.GET, net.url(1) + "/datasets/\(hidden)/quality")
            #expect(page.status == 200)
            #expect(!page.text.contains("577") && !page.text.contains("421") && !page.text.contains("GZ00"), "values leaked")
            #expect(page.text.contains("station"))

            var open = airQuality.objectValue ?? [:]
            open["profilePublic"] = true
            let shown = try #require(try await net.publish(1, .object(open), csv: csv)["identifier"]?.stringValue)
            var wrong = airQuality.objectValue ?? [:]
            wrong["profilePublic"] = "yes"
            do {
                _ = try await net.publish(1, .object(wrong), csv: csv)
                Issue.record("profilePublic must be a boolean")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 400 && failure.field == "profilePublic", "\(failure)")
            }
            let shownPage = try await raw(.GET, net.url(1) + "/datasets/\(shown)/quality")
            #expect(shownPage.text.contains("577") && shownPage.text.contains("421"))

            // Core data and withdrawn products: the catalog entry only.
            var core = airQuality.objectValue ?? [:]
            core["grade"] = "core"
            let coreID = try #require(try await net.publish(1, .object(core), csv: csv)["identifier"]?.stringValue)
            _ = try await net.clients[1].call(.DELETE, "/api/v1/datasets/\(shown)")
            for id in [coreID, shown] {
                let dataset = try await raw(.GET, net.url(1) + "/datasets/\(id)")
                #expect(dataset.text.contains("仅公开目录条目"), "\(id)")
                #expect(!dataset.text.contains("SHA-256 <code>") && !dataset.text.contains("station, aqi"), "\(id) shows file details")
                #expect(try await raw(.GET, net.url(1) + "/datasets/\(id)/quality").status == 404)
                let resolved = try await raw(.GET, net.url(1) + "/resolve/\(id)")
                #expect(resolved.json?["title"] != nil && resolved.json?["distribution"] == nil && resolved.json?["offer"] == nil, "\(resolved.text)")
            }
        }
    }

    @Test func operatorSessionsExpireAndEndAtLogout() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            let base = net.url(1)
            let login = try await raw(
                .POST, base + "/operator/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Data("token=\(net.nodes[1].adminToken)".utf8), followRedirects: false)
            #expect(login.status == 303)
            let setCookie = try #require(login.headers.first(name: "Set-Cookie"))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Max-Age=28800"))
            #expect(!setCookie.contains(net.nodes[1].adminToken))
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
            #expect(try await raw(.GET, base + "/operator/agreements", headers: [("Cookie", cookie)], followRedirects: false).status == 200)

            // A session whose expiry has passed is refused even with a valid MAC.
            let id = String(repeating: "ab", count: 16)
            let past = Int64(Date().timeIntervalSince1970) - 10
            let mac = HMAC<SHA256>.authenticationCode(for: Data("operator-session|\(past)|\(id)".utf8), using: SymmetricKey(data: Data(net.nodes[1].adminToken.utf8)))
            let expired = "dataspace_operator=\(past).\(id).\(Data(mac).map { String(format: "%02x", $0) }.joined())"
            #expect(try await raw(.GET, base + "/operator/agreements", headers: [("Cookie", expired)], followRedirects: false).status == 303)

            // Logging out ends the session even for a copy of the cookie kept elsewhere.
            let logout = try await raw(.POST, base + "/operator/logout", headers: [("Cookie", cookie)], followRedirects: false)
            #expect(logout.status == 303 && (logout.headers.first(name: "Set-Cookie") ?? "").contains("Max-Age=0"))
            #expect(try await raw(.GET, base + "/operator/agreements", headers: [("Cookie", cookie)], followRedirects: false).status == 303)
        }
    }
}
