import Crypto
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceServer
import Foundation
import Testing

/// Kills a process appending to a tiled log from 64 concurrent appenders with SIGKILL, 20 times,
/// and checks after each kill that every acknowledged entry is in the log at the index it was
/// acknowledged with, that the tiles recompute to the signed checkpoint, and that the checkpoint is
/// consistent with every earlier one.
@Suite(.serialized) struct LedgerCrashTests {
    @Test(.enabled(if: CLITests.available)) func everyAcknowledgedAppendSurvivesSIGKILL() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-ledger-crash-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        var checkpoints: [(size: UInt64, root: MerkleHash)] = []
        var acknowledged: [UInt64: String] = [:]
        for round in 0..<20 {
            let bench = try RunningCommand(["bench", "ledger", "--dir", dir.path, "--appenders", "64", "--seconds", "30", "--print-acks"])
            // Let it acknowledge a varying number of appends, then kill it without warning.
            let wanted = 200 + round * 37
            bench.signal(SIGKILL) { $0.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } >= wanted }
            #expect(await bench.ended() == .killed(by: SIGKILL))
            for line in bench.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ")
                // A line cut by the kill is not an acknowledgement.
                guard parts.count == 3, parts[0] == "ack", let index = UInt64(parts[1]) else { continue }
                acknowledged[index] = String(parts[2])
            }

            // Reopen: the tiles must recompute to the signed checkpoint (the initializer checks).
            let keyData = try Data(contentsOf: dir.appendingPathComponent("ledger.key"))
            let signer = try NoteSigner(name: "bench.dataspace.local/log", key: try Curve25519.Signing.PrivateKey(rawRepresentation: keyData))
            let log = try TransparencyLog(directory: dir, signer: signer)
            let size = log.size
            let root = log.latest.root
            for (index, entry) in acknowledged {
                #expect(index < size, "acknowledged index \(index) is beyond the checkpoint \(size) (round \(round))")
                if index < size { #expect(String(decoding: try log.entry(index), as: UTF8.self) == entry) }
            }
            for earlier in checkpoints where earlier.size > 0 {
                let proof = try log.consistencyProof(oldSize: earlier.size, newSize: size)
                try MerkleProof.verifyConsistency(size1: earlier.size, size2: size, root1: earlier.root, root2: root, proof: proof)
            }
            checkpoints.append((size, root))
            await log.shutdown()
        }
        #expect(acknowledged.count > 4_000)
        #expect(checkpoints.count == 20)
    }
}

/// The node itself (`dataspace serve`) is killed with SIGKILL while 16 clients publish products
/// (each publish is acknowledged only after its ledger entry is durable). After every restart
/// each acknowledged product has its `product.published` entry, the whole log audits over HTTP
/// to the signed checkpoint, and that checkpoint is consistent with the one seen before the kill.
@Suite(.serialized, .timeLimit(.minutes(15))) struct NodeLedgerCrashTests {
    @Test(.enabled(if: CLITests.available)) func acknowledgedEventsSurviveSIGKILLOfTheNode() async throws {
        let cli = CLITests()
        let dir = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try #require(LoopbackPorts.free(count: 1).first)
        _ = try await cli.runOffPool(["init", "--dir", dir, "--name", "广州市数据局", "--credit-code", "11440100MB2C921900", "--region", "440100",
                         "--sector", "urban-governance", "--port", String(port)])
        let base = "http://127.0.0.1:\(port)"
        let client = ManagementClient(baseURL: base, adminToken: try NodeDirectory(path: dir).loadAdminToken())
        var acknowledged: Set<String> = []
        var earlier: [(size: UInt64, root: MerkleHash)] = []
        for round in 0..<3 {
            let server = try await RunningCommand.serve(dir)
            let document = try await PeerClient(policy: OutboundPolicy(allowLoopback: true)).didDocument(baseURL: base)
            let logKey = try NoteVerifier(try #require(document.verifierKey(ofServiceType: DIDDocument.logServiceType)))
            // After a restart: everything acknowledged is there, the log audits, nothing was rewritten.
            let note = try await client.text("/ledger/checkpoint")
            let audit = try await LogAudit(log: logKey) { path in
                let (status, body) = try await client.fetch("/ledger/" + path)
                guard status == 200 else { throw LogError("\(path): HTTP \(status)") }
                return body
            }.verify(note: note)
            let logged = Set(try await publishedEvents(client).keys)
            #expect(acknowledged.isSubset(of: logged), "round \(round): \(acknowledged.subtracting(logged).count) acknowledged products have no entry")
            for old in earlier where old.size > 0 && old.size <= audit.entries {
                let text = try await client.text("/ledger/consistency?old=\(old.size)&new=\(audit.entries)")
                let proof = text.split(separator: "\n").compactMap { MerkleHash(base64: String($0)) }
                try MerkleProof.verifyConsistency(size1: old.size, size2: audit.entries, root1: old.root, root2: audit.checkpoint.root, proof: proof)
            }
            earlier.append((audit.entries, audit.checkpoint.root))

            // Publish from 16 clients and kill the node without warning after a varying number of acknowledgements.
            let target = acknowledged.count + 30 + round * 17
            let csvPath = dir + "/upload-\(round).csv"
            try "station,aqi\nGZ001,42\n".write(toFile: csvPath, atomically: true, encoding: .utf8)
            let counter = AcknowledgedProducts()
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        var i = 0
                        while await counter.count < target {
                            let metadata: JSONValue = [
                                "title": .string("空气质量 \(round)-\(worker)-\(i)"), "description": "AQI", "sector": "green-low-carbon", "region": "440100",
                            ]
                            guard let record = try? await client.publish(file: csvPath, metadata: metadata),
                                let id = record["identifier"]?.stringValue
                            else { return }
                            await counter.add(id)
                            i += 1
                        }
                    }
                }
                await group.waitForAll()
            }
            server.signal(SIGKILL)
            #expect(await server.ended() == .killed(by: SIGKILL))
            acknowledged.formUnion(await counter.ids)
        }
        #expect(acknowledged.count >= 90)
        // A final restart checks the last round too.
        let server = try await RunningCommand.serve(dir)
        let events = try await client.call(.GET, "/api/v1/ledger/events?type=product.published&limit=1000")["events"]?.arrayValue ?? []
        let logged = Set(events.compactMap { $0["event"]?["product"]?.stringValue })
        #expect(acknowledged.isSubset(of: logged))
        #expect(await server.stop() == .success, "\(server.stderr)")
    }
}

/// How many times each product's `product.published` event is in a node's log (every page).
func publishedEvents(_ client: ManagementClient) async throws -> [String: Int] {
    var logged: [String: Int] = [:]
    var after: UInt64?
    while true {
        let page = try await client.call(.GET, "/api/v1/ledger/events?type=product.published&limit=1000" + (after.map { "&after=\($0)" } ?? ""))
        let items = page["events"]?.arrayValue ?? []
        for item in items { if let p = item["event"]?["product"]?.stringValue { logged[p, default: 0] += 1 } }
        guard page["next"] != nil, let last = items.last?["index"]?.doubleValue else { return logged }
        after = UInt64(last)
    }
}

actor AcknowledgedProducts {
    var ids: Set<String> = []
    var count: Int { ids.count }
    func add(_ id: String) { ids.insert(id) }
}

/// The evidence of a state change is queued in the change's own transaction. The node is killed
/// after a publish committed but before its event reached the log; at restart the queued event
/// is appended, so the product and its evidence exist together.
@Suite(.serialized, .timeLimit(.minutes(15))) struct EvidenceQueueTests {
    @Test(.enabled(if: CLITests.available)) func evidenceQueuedBeforeACrashIsAppendedAtRestart() async throws {
        let cli = CLITests()
        let dir = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try #require(LoopbackPorts.free(count: 1).first)
        let created = try await cli.runOffPool([
            "init", "--dir", dir, "--name", "广州市数据局", "--credit-code", "11440100MB2C921900", "--region", "440100", "--sector",
            "urban-governance", "--port", String(port),
        ])
        #expect(created.status == 0, "\(created.stderr)")
        let csv = dir + "/air.csv"
        try "station,aqi\nGZ001,42\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let first = try await RunningCommand.serve(dir, crashAt: "evidence.before-append")
        let client = ManagementClient(baseURL: "http://127.0.0.1:\(port)", adminToken: try String(contentsOfFile: dir + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        // The node dies right after the publish committed, before its answer.
        await #expect(throws: (any Error).self) { _ = try await client.publish(file: csv, metadata: airQuality) }
        #expect(await first.ended() == .killed(by: SIGKILL))

        let second = try await RunningCommand.serve(dir)
        defer { second.signal(SIGTERM) }
        let products = try await client.call(.GET, "/api/v1/datasets")
        let product = try #require(products["items"]?.arrayValue?.first?["identifier"]?.stringValue, "\(products)")
        let events = try await client.call(.GET, "/api/v1/ledger/events?type=product.published")
        let logged = events["events"]?.arrayValue ?? []
        #expect(logged.count == 1)
        #expect(logged.first?["event"]?["product"]?.stringValue == product)
        #expect(logged.first?["event"]?["evidenceId"]?.intValue != nil)
        let status = try await client.call(.GET, "/api/v1/ledger")
        #expect(status["pendingEvidence"]?.intValue == 0)
    }
}
