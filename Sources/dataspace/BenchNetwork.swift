import AsyncHTTPClient
import DataspaceCore
import DataspacePostgres
import DataspaceServer
import Foundation
import Logging
import ServiceLifecycle

/// An authority, a provider and a consumer as real nodes on loopback for the contract benchmarks:
/// each with its own directory, store (an SQLite file, or a database of its own on the PostgreSQL
/// server given) and HTTP server, registered and approved.
struct BenchNetwork {
    let root: String
    let nodes: [NodeServices]
    let clients: [ManagementClient]
    let group: ServiceGroup
    let running: Task<Void, any Error>
    /// The clients' own connection pool, shut down at `stop`.
    let http: HTTPClient
    /// The PostgreSQL server and the databases made on it, dropped at `stop`.
    var postgres: (server: PostgresLocation, databases: [String])?

    var provider: ManagementClient { clients[1] }
    var consumer: ManagementClient { clients[2] }
    var providerURL: String { nodes[1].configuration.publicURL }

    /// `providerLimit` sets the provider's per-client rate (the others stay unlimited);
    /// `listenAll` binds the provider to `::` (IPv6 and IPv4), so a load generator aimed at
    /// [::1] is a client of its own while the other nodes talk from 127.0.0.1 (on Linux a
    /// connection to 127.0.0.2 still comes from 127.0.0.1).
    static func start(providerLimit: (rate: Int, burst: Int)? = nil, listenAll: Bool = false, postgres: PostgresLocation? = nil) async throws -> BenchNetwork {
        let root = NSTemporaryDirectory() + "dataspace-bench-net-\(UUID().uuidString.prefix(8))"
        let ports = LoopbackPorts.free(count: 3)
        let cast = [
            ("登记中心 Registry", "11110000MB1A2346X", "110000", "urban-governance", true),
            ("广州市数据局", "11440100MB2C92190", "440100", "urban-governance", false),
            ("华南研究院 Institute", "12440000455861972", "440104", "scientific-research", false),
        ]
        var logger = Logger(label: "bench")
        logger.logLevel = ProcessInfo.processInfo.environment["DATASPACE_BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        var nodes: [NodeServices] = []
        var apps: [any Service] = []
        var databases: [String] = []
        for (i, c) in cast.enumerated() {
            var configuration = NodeConfiguration(
                name: c.0, creditCode: try CreditCode.completing(c.1), region: try RegionCode(c.2), sector: try Sector(slug: c.3),
                host: i == 1 && listenAll ? "::" : "127.0.0.1",
                port: ports[i], publicURL: "http://127.0.0.1:\(ports[i])", isAuthority: c.4, autoApprove: true, authorityURL: nil, authorityDID: nil,
                ipv6Prefix: try IPv6Prefix("fd86:\(i + 1)::/64"), maxUploadBytes: 8 << 30, revocationCacheSeconds: 30, logLevel: "error",
                logFormat: "text", allowLoopbackPeers: true)
            configuration.requestsPerSecond = i == 1 ? providerLimit?.rate ?? 1_000_000 : 1_000_000
            configuration.burst = i == 1 ? providerLimit?.burst ?? 1_000_000 : 1_000_000
            if let postgres {
                let name = "bench_\(root.suffix(8).lowercased().filter { $0.isLetter || $0.isNumber })_n\(i)"
                configuration.database = try await PostgresAdmin.createDatabase(name, on: postgres)
                databases.append(name)
            }
            let directory = NodeDirectory(path: root + "/node\(i)")
            try directory.initialize(configuration: configuration)
            let node = try await NodeServices.open(directory: directory, logger: logger)
            try await NodeApplication.prepare(node)
            nodes.append(node)
            apps.append(try NodeApplication.build(services: node))
        }
        let group = ServiceGroup(services: apps, gracefulShutdownSignals: [.sigint], logger: logger)
        let running = Task { try await group.run() }
        // The bench's own pool: concurrent long-polls must not queue behind the default 8 per host.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 128
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let clients = nodes.map { ManagementClient(baseURL: $0.configuration.publicURL, adminToken: $0.adminToken, http: http) }
        for client in clients { try await client.waitUntilHealthy() }
        for client in clients.dropFirst() {
            _ = try await client.call(ManagementAPI.applyForMembership, json: ["authorityURL": .string(nodes[0].configuration.publicURL)])
        }
        return BenchNetwork(
            root: root, nodes: nodes, clients: clients, group: group, running: running, http: http, postgres: postgres.map { ($0, databases) })
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        try? await http.shutdown()
        try? FileManager.default.removeItem(atPath: root)
        if let postgres {
            for name in postgres.databases { try? await PostgresAdmin.dropDatabase(name, on: postgres.server) }
        }
    }
}
