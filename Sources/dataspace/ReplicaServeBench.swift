import ArgumentParser
import AsyncHTTPClient
import DataspaceCatalog
import DataspaceCore
import DataspacePostgres
import DataspaceServer
import Foundation
import Logging
import Synchronization

/// `dataspace bench replica-serve`: catalog search and evidence receipts through one `dataspace
/// serve` process and then through several over the same PostgreSQL database and data directory,
/// spread round-robin by the client as a load balancer would. The replicas are real processes
/// (this binary's `serve`); the corpus is the search benchmark's, loaded into PostgreSQL, and the
/// log holds the evidence of products published over HTTP.
struct ReplicaServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replica-serve", abstract: "Benchmark search and receipt throughput through 1 and N serve replicas over PostgreSQL.")

    @Option(help: "PostgreSQL server (a database is made for the run and dropped after).", transform: { try PostgresLocation(url: $0, field: "postgres") })
    var postgres: PostgresLocation
    @Option(help: "Replicas in the second round.") var replicas: Int = 3
    @Option(help: "Catalog products loaded for search.") var products: Int = 20_000
    @Option(help: "Products published over HTTP (their evidence is what receipts prove).") var published: Int = 200
    @Option(help: "Requests per operation and round.") var requests: Int = 4_000
    @Option(help: "Requests in flight.") var concurrency: Int = 16

    struct Round {
        var replicas: Int
        var operation: String
        var perSecond: Double
        var p50: Double
        var p99: Double
    }

    func run() async throws {
        try await runReporting {
            guard (2...8).contains(replicas), (100...2_000_000).contains(products), (1...5_000).contains(published),
                (100...1_000_000).contains(requests), (1...256).contains(concurrency)
            else {
                throw InputError("--replicas 2-8, --products 100-2,000,000, --published 1-5,000, --requests 100-1,000,000, --concurrency 1-256")
            }
            guard let binary = Bundle.main.executablePath else { throw InputError("cannot tell where this program is; run it by its path") }
            let root = NSTemporaryDirectory() + "dataspace-replica-serve-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: root) }
            let name = "bench_serve_" + UUID().uuidString.prefix(8).lowercased()
            let location = try await PostgresAdmin.createDatabase(name, on: postgres)
            var processes: [Process] = []
            var http: HTTPClient?
            do {
                let ports = LoopbackPorts.free(count: replicas)
                let directory = NodeDirectory(path: root + "/node")
                try directory.initialize(configuration: try nodeConfiguration(port: ports[0], database: location))
                let token = try directory.loadAdminToken()
                try await loadCorpus(location, port: ports[0])

                var pool = HTTPClient.Configuration()
                pool.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(concurrency, 8)
                let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: pool)
                http = client
                let clients = ports.map { ManagementClient(baseURL: "http://127.0.0.1:\($0)", adminToken: token, http: client) }

                processes.append(try startReplica(binary, directory: directory.path, port: ports[0]))
                try await clients[0].waitUntilHealthy(timeout: .seconds(60))
                let logSize = try await publishEvidence(through: clients[0], root: root)
                let queries = BenchCorpus.queries(count: 2_000)
                var rounds: [Round] = []
                print("round 1: one replica")
                rounds += try await measure(clients: [clients[0]], queries: queries, logSize: logSize)
                for port in ports.dropFirst() { processes.append(try startReplica(binary, directory: directory.path, port: port)) }
                for other in clients.dropFirst() {
                    try await other.waitUntilHealthy(timeout: .seconds(60))
                    try await waitForIndex(other, matching: clients[0], query: queries[0])
                }
                print("round 2: \(replicas) replicas, round-robin")
                rounds += try await measure(clients: clients, queries: queries, logSize: logSize)
                report(rounds)
            } catch {
                await stop(processes, http: http)
                try? await PostgresAdmin.dropDatabase(name, on: postgres)
                throw error
            }
            await stop(processes, http: http)
            try? await PostgresAdmin.dropDatabase(name, on: postgres)
        }
    }

    func nodeConfiguration(port: Int, database: PostgresLocation) throws -> NodeConfiguration {
        var configuration = NodeConfiguration(
            name: "广州市数据局", creditCode: try CreditCode.completing("91440106MA5CXK3P7"), region: try RegionCode("440100"), sector: .urbanGovernance,
            host: "127.0.0.1", port: port, publicURL: "http://127.0.0.1:\(port)", isAuthority: false, autoApprove: false, authorityURL: nil,
            authorityDID: nil, ipv6Prefix: try IPv6Prefix("fd86::/64"), maxUploadBytes: 1 << 30, revocationCacheSeconds: 30, logLevel: "error",
            logFormat: "text", allowLoopbackPeers: true)
        configuration.database = database
        configuration.requestsPerSecond = 1_000_000
        configuration.burst = 1_000_000
        return configuration
    }

    /// The search benchmark's corpus, written straight into the store (publishing 20,000 files
    /// over HTTP would measure publishing, not search).
    func loadCorpus(_ location: PostgresLocation, port: Int) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let store = try await PostgresStore(location: location, logger: logger)
        defer { store.close() }
        let docs = BenchCorpus.documents(count: products)
        print("loading \(docs.count) products into PostgreSQL …")
        let configuration = try nodeConfiguration(port: port, database: location)
        let publisher = Publisher(
            name: configuration.name, did: configuration.did, creditCode: configuration.creditCode, region: configuration.region)
        let records = BenchCorpus.records(docs, publisher: publisher)
        for start in stride(from: 0, to: records.count, by: 5_000) {
            try await store.insertFirstVersions(Array(records[start..<min(start + 5_000, records.count)]))
        }
    }

    func startReplica(_ binary: String, directory: String, port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--dir", directory, "--port", String(port), "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Publishes small products over HTTP and waits until the log holds their evidence; returns
    /// the log's size.
    func publishEvidence(through client: ManagementClient, root: String) async throws -> Int {
        let csv = root + "/small.csv"
        try "station,aqi\nGZ001,42\nGZ002,57\n".write(toFile: csv, atomically: true, encoding: .utf8)
        print("publishing \(published) products for the log's evidence …")
        for i in 0..<published {
            let metadata: JSONValue = [
                "title": .string("空气质量 air quality \(i)"), "description": "bench", "sector": "urban-governance", "region": "440100",
            ]
            _ = try await client.publish(file: csv, metadata: metadata)
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let status = try await client.call(ManagementAPI.ledgerStatus)
            if let size = status["size"]?.intValue, size >= published, status["pendingEvidence"]?.intValue == 0 { return size }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw InputError("the log did not take the published products' evidence within 60 s; see `dataspace ledger status`")
    }

    /// A replica started later loads its search index from the store; wait until it answers as
    /// the first one does.
    func waitForIndex(_ client: ManagementClient, matching reference: ManagementClient, query: BenchCorpus.Query) async throws {
        let expected = try await search(reference, query)["total"]
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if try await search(client, query)["total"] == expected { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw InputError("a replica's search index did not catch up within 120 s")
    }

    func search(_ client: ManagementClient, _ q: BenchCorpus.Query) async throws -> JSONValue {
        try await client.call(ManagementAPI.search, query: ["q": q.text, "sector": q.sector?.rawValue])
    }

    /// Searches, then receipts, each `requests` times with `concurrency` in flight, the n-th
    /// request going to replica n mod N.
    func measure(clients: [ManagementClient], queries: [BenchCorpus.Query], logSize: Int) async throws -> [Round] {
        for q in queries.prefix(50) {
            for client in clients { _ = try await search(client, q) }
        }
        let searches = try await load(clients: clients) { client, i in
            _ = try await search(client, queries[i % queries.count])
        }
        let receipts = try await load(clients: clients) { client, i in
            // Spread over the log (a multiplicative step visits every index before repeating).
            let index = (i &* 7_919) % logSize
            let answer = try await client.fetch("/ledger/receipt/\(index)")
            guard answer.status == 200 else { throw InputError("receipt \(index) answered \(answer.status)") }
        }
        return [
            Round(replicas: clients.count, operation: "search", perSecond: searches.perSecond, p50: searches.p50, p99: searches.p99),
            Round(replicas: clients.count, operation: "receipt", perSecond: receipts.perSecond, p50: receipts.p50, p99: receipts.p99),
        ]
    }

    func load(
        clients: [ManagementClient], _ operation: @escaping @Sendable (ManagementClient, Int) async throws -> Void
    ) async throws -> (perSecond: Double, p50: Double, p99: Double) {
        let next = RequestCounter()
        let total = requests
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var mine: [Double] = []
                    while true {
                        let i = next.take()
                        if i >= total { return mine }
                        let t0 = ContinuousClock.now
                        try await operation(clients[i % clients.count], i)
                        mine.append((ContinuousClock.now - t0).milliseconds)
                    }
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        let seconds = max((ContinuousClock.now - started).milliseconds / 1_000, 1e-9)
        return (Double(latencies.count) / seconds, OrderStatistics.percentile(latencies, 0.5), OrderStatistics.percentile(latencies, 0.99))
    }

    func report(_ rounds: [Round]) {
        print("")
        printTable(
            ["REPLICAS", "OPERATION", "REQUESTS /S", "P50 MS", "P99 MS"],
            rounds.map { [String($0.replicas), $0.operation, String(format: "%.0f", $0.perSecond), String(format: "%.2f", $0.p50), String(format: "%.2f", $0.p99)] })
        var ratios: [String: JSONValue] = [:]
        for operation in ["search", "receipt"] {
            let one = rounds.first { $0.replicas == 1 && $0.operation == operation }
            let many = rounds.first { $0.replicas == replicas && $0.operation == operation }
            if let one, let many {
                let ratio = many.perSecond / max(one.perSecond, 1e-9)
                print(String(format: "%@: %d replicas / 1 = %.2f×", operation, replicas, ratio))
                ratios[operation] = .number((ratio * 100).rounded() / 100)
            }
        }
        print(JSONValue.object([
            "rounds": .array(rounds.map {
                ["replicas": .number(Double($0.replicas)), "operation": .string($0.operation), "perSecond": .number($0.perSecond.rounded()),
                 "p50": .number($0.p50), "p99": .number($0.p99)]
            }),
            "ratios": .object(ratios), "products": .number(Double(products)), "concurrency": .number(Double(concurrency)),
        ]).encodedString())
    }

    func stop(_ processes: [Process], http: HTTPClient?) async {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        for process in processes { process.waitUntilExit() }
        try? await http?.shutdown()
    }
}

/// Hands out request numbers to the load's workers.
final class RequestCounter: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
