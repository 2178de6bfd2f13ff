import AsyncHTTPClient
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspacePostgres
import DataspaceServer
import DataspaceTestSupport
import Foundation
import Synchronization
import Testing

/// One participant served by three `dataspace serve` processes over one PostgreSQL database and
/// one data directory, driven through a round-robin client while an authority and a consumer run
/// in-process. Under load (~1,500 publishes, ~2,500 searches, 60 negotiations in both roles and 20
/// transfers racing for a count-limited agreement) the evidence log's sequencer is killed with
/// SIGKILL; the test then checks that nothing acknowledged is lost (every publish logged once,
/// every negotiation finalized), the count held, the log audits and stays consistent with the
/// checkpoint seen before the kill, and products published through one replica are found on the
/// others.
/// A load balancer's client: a replica that is down is refused at once, not retried for the
/// request's whole timeout (AsyncHTTPClient's default). Process-wide, like `HTTPClient.shared`.
let failFastClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.retryConnectionEstablishment = false
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

@Suite(.serialized, .timeLimit(.minutes(20))) struct ReplicaTests {
    let cli = CLITests()

    /// Spreads calls over the replicas in turn, as a load balancer would, skipping one its
    /// health check found down.
    final class RoundRobin: Sendable {
        let clients: [ManagementClient]
        let next = Atomic<Int>(0)
        let down = Mutex<Set<Int>>([])
        init(_ clients: [ManagementClient]) { self.clients = clients }
        var client: ManagementClient {
            let skipped = down.withLock { $0 }
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue % clients.count
                if !skipped.contains(i) { return clients[i] }
            }
        }
        func markDown(_ i: Int) { down.withLock { _ = $0.insert(i) } }
    }

    /// What the load's tasks count and observe.
    final class Load: Sendable {
        let reads = Atomic<Int>(0)
        let startedTransfers = Atomic<Int>(0)
        /// Negotiations acknowledged (an id came back) and those that reached FINALIZED.
        let negotiations = Atomic<Int>(0)
        let finalized = Atomic<Int>(0)
        let unsettled = Mutex<[String]>([])
        /// The checkpoint seen just before the sequencer was killed.
        let before = Mutex<(size: UInt64, root: MerkleHash)?>(nil)
        /// From the kill to the first checkpoint a survivor signed beyond it.
        let stall = Mutex<Duration?>(nil)
    }

    func replica(_ dir: String, port: Int) async throws -> RunningCommand {
        try await RunningCommand.serve(dir, arguments: ["--port", String(port)])
    }

    func isSequencer(_ client: ManagementClient) async -> Bool {
        (try? await client.call(.GET, "/api/v1/ledger"))?["sequencer"] == .bool(true)
    }

    @Test(.enabled(if: CLITests.available && TestPostgres.isAvailable))
    func threeReplicasKeepEverythingThroughASequencerKill() async throws {
        let clock = ContinuousClock.now
        func phase(_ what: String) { print("replicas: \(what) at \(ContinuousClock.now - clock)") }
        try await withNetwork([TestNetwork.authority, TestNetwork.institute]) { net in
            let dir = net.root + "/provider"
            let ports = LoopbackPorts.free(count: 3)
            let database = try await TestPostgres.freshDatabase()
            // The node's public URL is replica 0's: peers reach it there (a load balancer's place).
            let created = try await cli.runOffPool([
                "init", "--dir", dir, "--name", "广州市数据局", "--credit-code", "11440100MB2C921900", "--region", "440100",
                "--sector", "urban-governance", "--port", String(ports[0]), "--database", database.url,
            ])
            try #require(created.status == 0, "\(created.stderr)")
            let token = try NodeDirectory(path: dir).loadAdminToken()
            let clients = ports.map { ManagementClient(baseURL: "http://127.0.0.1:\($0)", adminToken: token, http: failFastClient) }
            // Replica 1 starts first and becomes the sequencer; it is the one killed later (replica 0
            // must live: it is the address peers use).
            var processes: [Int: RunningCommand] = [:]
            defer { for replica in processes.values where replica.process.isRunning { replica.signal(SIGTERM) } }
            processes[1] = try await replica(dir, port: ports[1])
            for _ in 0..<500 where !(await isSequencer(clients[1])) { try await Task.sleep(for: .milliseconds(10)) }
            let first = await isSequencer(clients[1])
            #expect(first)
            processes[0] = try await replica(dir, port: ports[0])
            processes[2] = try await replica(dir, port: ports[2])
            let others = [await isSequencer(clients[0]), await isSequencer(clients[2])]
            #expect(others == [false, false])
            let balancer = RoundRobin(clients)
            phase("three replicas up")

            // Membership through one replica, the authority's approval, the credential through another.
            let applied = try await clients[2].call(.POST, "/api/v1/membership/apply", json: ["authorityURL": .string(net.url(0))])
            if applied["status"]?.stringValue == "pending" {
                _ = try await net.clients[0].call(.POST, "/api/v1/authority/applications/\(applied["applicationId"]?.stringValue ?? "")/approve")
            }
            #expect(try await clients[1].call(.POST, "/api/v1/membership/refresh")["status"]?.stringValue == "approved")
            try await net.register(1)

            // A product with at most 5 deliveries, agreed by the consumer.
            let csv = net.root + "/air.csv"
            try "station,aqi\nGZ001,42\nGZ002,57\n".write(toFile: csv, atomically: true, encoding: .utf8)
            var limited = DeliveryControlTests.metadata(count: 5).objectValue ?? [:]
            limited["title"] = "限量 limited"
            let product = try await clients[2].publish(file: csv, metadata: .object(limited))
            let dataset = try #require(product["identifier"]?.stringValue)
            let started = try await net.clients[1].call(
                .POST, "/api/v1/negotiations",
                json: ["provider": .string("http://127.0.0.1:\(ports[0])"), "dataset": .string(dataset), "purpose": "research"])
            let negotiation = try await net.clients[1].call(.GET, "/api/v1/negotiations/\(started["id"]?.stringValue ?? "")?wait=30")
            #expect(negotiation["state"]?.stringValue == "FINALIZED", "\(negotiation)")
            let agreement = try #require(negotiation["agreement"]?["id"]?.stringValue)
            phase("agreed")
            // A product of the institute's, for the replicated node to negotiate for as consumer.
            let theirs = try #require(try await net.publish(1, ContractFlowTests.metadata())["identifier"]?.stringValue)

            // The load: publishers, readers, negotiations in both roles and transfers racing for the
            // 5 deliveries, all at once; the sequencer dies after 150 acknowledged publishes.
            let acknowledged = AcknowledgedProducts()
            let target = 1_500
            // The load ends when the target is reached or, if the replicas stop acknowledging
            // (a server too loaded to answer), at this deadline: the test then fails saying how
            // far it got rather than retrying for ever.
            let deadline = ContinuousClock.now + .seconds(900)
            @Sendable func loading() async -> Bool { await acknowledged.count < target && ContinuousClock.now < deadline }
            let load = Load()
            let sequencerPID = try #require(processes[1]?.processIdentifier)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<12 {
                    group.addTask {
                        var i = 0
                        while await loading() {
                            let metadata: JSONValue = [
                                "title": .string("空气质量 replica \(worker)-\(i)"), "description": "AQI", "sector": "green-low-carbon", "region": "440100",
                            ]
                            i += 1
                            // A publish the killed replica was serving fails; the client tries elsewhere.
                            guard let record = try? await balancer.client.publish(file: csv, metadata: metadata),
                                let id = record["identifier"]?.stringValue
                            else { continue }
                            await acknowledged.add(id)
                        }
                    }
                }
                for _ in 0..<10 {
                    group.addTask {
                        while await loading() {
                            if (try? await balancer.client.call(.GET, "/api/v1/search?q=%E7%A9%BA%E6%B0%94&pageSize=5")) != nil {
                                load.reads.add(1, ordering: .relaxed)
                            }
                        }
                    }
                }
                // Negotiations: 30 by the replicated node as consumer (started through any replica,
                // its outbox run by whichever replica claims it, the provider's replies arriving at
                // the public URL, the state read through yet another replica), and 30 by the
                // institute with the replicated node as provider. Each must end FINALIZED, even
                // when the replica that held it dies (its claim expires, a survivor's sweep resumes it).
                for n in 0..<60 {
                    group.addTask {
                        let asConsumer = n % 2 == 0
                        var id: String?
                        for _ in 0..<20 where id == nil {
                            let client = asConsumer ? balancer.client : net.clients[1]
                            let body: JSONValue = [
                                "provider": .string(asConsumer ? net.url(1) : "http://127.0.0.1:\(ports[0])"),
                                "dataset": .string(asConsumer ? theirs : dataset), "purpose": "research",
                            ]
                            id = try? await client.call(ManagementAPI.negotiate, json: body)["id"]?.stringValue
                        }
                        guard let id else { return }
                        load.negotiations.add(1, ordering: .relaxed)
                        let deadline = ContinuousClock.now + .seconds(150)
                        while ContinuousClock.now < deadline {
                            let client = asConsumer ? balancer.client : net.clients[1]
                            let state = try? await client.call(ManagementAPI.showNegotiation, id, query: ["wait": "10"])["state"]?.stringValue
                            if state == "FINALIZED" {
                                load.finalized.add(1, ordering: .relaxed)
                                return
                            }
                            if state == "TERMINATED" { break }
                            if state == nil { try? await Task.sleep(for: .milliseconds(50)) }
                        }
                        load.unsettled.withLock { $0.append("\(asConsumer ? "consumer" : "provider") \(id)") }
                    }
                }
                group.addTask {
                    await withTaskGroup(of: Void.self) { transfers in
                        for _ in 0..<20 {
                            transfers.addTask {
                                let t = try? await ContractFlowTests().transfer(net, consumer: 1, agreement: agreement)
                                if t?["state"]?.stringValue == "STARTED" { load.startedTransfers.add(1, ordering: .relaxed) }
                            }
                        }
                    }
                }
                group.addTask {
                    while await acknowledged.count < 150 {
                        guard ContinuousClock.now < deadline else { return }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    phase("killing the sequencer")
                    let note = try await clients[0].text("/ledger/checkpoint")
                    let (checkpoint, _) = try Checkpoint.open(note, log: try await self.logKey(clients[0]))
                    load.before.withLock { $0 = (checkpoint.size, checkpoint.root) }
                    let killedAt = ContinuousClock.now
                    // Its sockets close as it dies, which ends its database session and the lock.
                    kill(sequencerPID, SIGKILL)
                    balancer.markDown(1)
                    // How long appends stall: until a survivor signs a checkpoint beyond the last one.
                    let survivor = clients[2]
                    while ContinuousClock.now - killedAt < .seconds(60) {
                        if let status = try? await survivor.call(.GET, "/api/v1/ledger"), let size = status["size"]?.doubleValue,
                            UInt64(size) > checkpoint.size
                        {
                            load.stall.withLock { $0 = ContinuousClock.now - killedAt }
                            return
                        }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                try await group.waitForAll()
            }
            phase("load done")
            let reached = await acknowledged.count
            try #require(reached >= target, "only \(reached) of \(target) publishes were acknowledged in 15 minutes")
            #expect(await processes[1]?.ended() == .killed(by: SIGKILL))
            let stalled = try #require(load.stall.withLock { $0 }, "appends never resumed after the sequencer was killed")
            let negotiated = load.negotiations.load(ordering: .relaxed)
            print(
                "replicas: \(await acknowledged.count) publishes, \(load.reads.load(ordering: .relaxed)) reads, \(negotiated) negotiations, 20 transfers; appends stalled \(stalled) after SIGKILL of the sequencer"
            )
            // Every acknowledged negotiation ended agreed, in both roles, across the kill.
            #expect(negotiated == 60)
            #expect(load.finalized.load(ordering: .relaxed) == negotiated, "not finalized: \(load.unsettled.withLock { $0 })")
            let successors = [await isSequencer(clients[0]), await isSequencer(clients[2])]
            #expect(successors.filter { $0 }.count == 1, "one survivor took over the log")

            // The count held across replicas: exactly 5 transfers started.
            #expect(load.startedTransfers.load(ordering: .relaxed) == 5)
            let provided = try await clients[2].call(.GET, "/api/v1/agreements/\(agreement)")
            #expect((provided["deliveries"]?.intValue ?? 0) + (provided["reservedDeliveries"]?.intValue ?? 0) == 5, "\(provided)")

            // Every acknowledged publish has its evidence in the one log, once queued evidence drained.
            var pending = -1
            for _ in 0..<1_500 {
                pending = try await clients[0].call(.GET, "/api/v1/ledger")["pendingEvidence"]?.intValue ?? -1
                if pending == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(pending == 0)
            phase("evidence drained")
            // The events API lists what checkpoints cover: read until the last entries are in one.
            let ids = await acknowledged.ids
            var logged: [String: Int] = [:]
            for _ in 0..<300 {
                logged = try await publishedEvents(clients[2])
                if ids.isSubset(of: Set(logged.keys)) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let missing = ids.subtracting(Set(logged.keys))
            #expect(missing.isEmpty, "\(missing.count) acknowledged products have no entry in \(database.database): \(missing.sorted())")
            #expect(logged.values.allSatisfy { $0 == 1 }, "an event was appended twice")

            // The log audits from either survivor and extends the checkpoint seen before the kill.
            for client in [clients[0], clients[2]] {
                let note = try await client.text("/ledger/checkpoint")
                let audit = try await LogAudit(log: try await logKey(client)) { path in
                    let (status, body) = try await client.fetch("/ledger/" + path)
                    guard status == 200 else { throw LogError("\(path): HTTP \(status)") }
                    return body
                }.verify(note: note)
                let old = try #require(load.before.withLock { $0 })
                let text = try await client.text("/ledger/consistency?old=\(old.size)&new=\(audit.entries)")
                let proof = text.split(separator: "\n").compactMap { MerkleHash(base64: String($0)) }
                try MerkleProof.verifyConsistency(size1: old.size, size2: audit.entries, root1: old.root, root2: audit.checkpoint.root, proof: proof)
            }

            // A product published through one replica is found on the others (the change feed).
            let publishedAt = ContinuousClock.now
            let fresh = try await clients[2].publish(file: csv, metadata: ["title": "跨副本 crossreplica", "description": "d", "sector": "transport"])
            let identifier = try #require(fresh["identifier"]?.stringValue)
            var found = false
            for _ in 0..<1_500 where !found {
                let hits = try await clients[0].call(.GET, "/api/v1/search?q=crossreplica")["items"]?.arrayValue ?? []
                found = hits.contains { $0["identifier"]?.stringValue == identifier }
                if !found { try await Task.sleep(for: .milliseconds(5)) }
            }
            #expect(found)
            print("replicas: a product published through one replica was searchable on another after \(ContinuousClock.now - publishedAt)")
        }
    }

    func logKey(_ client: ManagementClient) async throws -> NoteVerifier {
        try NoteVerifier(try #require(try await client.call(.GET, "/api/v1/ledger")["verifierKey"]?.stringValue))
    }
}
