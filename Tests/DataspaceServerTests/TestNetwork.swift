import AsyncHTTPClient
import DataspaceCore
import DataspaceIdentity
import DataspacePostgres
import DataspaceServer
import DataspaceTestSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

/// Real nodes on loopback, each with its own data directory, store (an SQLite file, or a fresh
/// database on the test PostgreSQL server) and HTTP server.
final class TestNetwork: Sendable {
    let root: String
    /// The clock every node judges contract policies by: tests move it rather than wait.
    let clock: TestClock
    let nodes: [NodeServices]
    let clients: [ManagementClient]
    let group: ServiceGroup
    let task: Task<Void, any Error>

    struct Spec {
        var name: String
        var creditBody: String
        var region: String = "440100"
        var sector: String = "urban-governance"
        var authority = false
        var autoApprove = false
        /// `quality.importantScale` (sensitive personal records from which data is important).
        var importantScale = 1_000_000
        /// `limits.requestsPerSecond` and burst; high, since every node shares 127.0.0.1.
        var requestsPerSecond = 1_000_000
    }

    static let authority = Spec(name: "登记中心 Registry", creditBody: "11110000MB1A2346X", region: "110000", authority: true)
    static let bureau = Spec(name: "广州市数据局", creditBody: "11440100MB2C92190")
    static let institute = Spec(name: "华南研究院 Institute", creditBody: "12440000455861972", region: "440104", sector: "scientific-research")
    static let enterprise = Spec(name: "智行科技", creditBody: "91440106MA5CXK3P7", region: "440106", sector: "transport")

    /// Where the nodes keep their state.
    enum Database: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        /// PostgreSQL joins when a server can be had (always in CI).
        static var available: [Database] { TestPostgres.isAvailable ? allCases : [.sqlite] }
        var testDescription: String { rawValue }
    }

    /// `logger` is what the nodes log to (quiet unless a test wants to read it).
    init(_ specs: [Spec], database: Database = .sqlite, logger given: Logger? = nil) async throws {
        let clock = TestClock()
        self.clock = clock
        root = FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-net-\(UUID().uuidString.prefix(8))").path
        let ports = LoopbackPorts.free(count: specs.count)
        var logger = given ?? Logger(label: "test")
        if given == nil { logger.logLevel = .critical }
        var nodes: [NodeServices] = []
        var apps: [any Service] = []
        for (i, spec) in specs.enumerated() {
            let configuration = NodeConfiguration(
                name: spec.name, creditCode: try CreditCode.completing(spec.creditBody), region: try RegionCode(spec.region),
                sector: try Sector(slug: spec.sector), host: "127.0.0.1", port: ports[i], publicURL: "http://127.0.0.1:\(ports[i])",
                isAuthority: spec.authority, autoApprove: spec.autoApprove, authorityURL: nil, authorityDID: nil,
                ipv6Prefix: try IPv6Prefix("fd86:\(String(i + 1, radix: 16))::/64"), maxUploadBytes: 1 << 20, revocationCacheSeconds: 0,
                logLevel: "critical", logFormat: "text", allowLoopbackPeers: true)
            var configured = configuration
            configured.importantScale = spec.importantScale
            // Every node here talks from 127.0.0.1: one client address for the whole network.
            configured.requestsPerSecond = spec.requestsPerSecond
            configured.burst = spec.requestsPerSecond
            configured.passwordCost = 10
            // A trace past this is refused (QualityFlowTests sends one) without tens of MiB per test.
            configured.maxTraceBytes = 16 << 20
            // Every suite shares two cores (and two cooperative threads) with the others; a
            // synchronous test elsewhere can keep a node's handler waiting past the production
            // 15 s. These tests check what happens, not how fast.
            configured.peerTimeoutSeconds = 120
            if database == .postgres { configured.database = try await TestPostgres.freshDatabase() }
            let directory = NodeDirectory(path: root + "/node\(i)")
            try directory.initialize(configuration: configured)
            let node = try await NodeServices.open(directory: directory, logger: logger, now: { clock.now() })
            try await NodeApplication.prepare(node)
            nodes.append(node)
            apps.append(try NodeApplication.build(services: node))
        }
        self.nodes = nodes
        clients = nodes.map { ManagementClient(baseURL: $0.configuration.publicURL, adminToken: $0.adminToken) }
        let group = ServiceGroup(services: apps, gracefulShutdownSignals: [], logger: logger)
        self.group = group
        task = Task { try await group.run() }
        for client in clients { try await client.waitUntilHealthy() }
    }

    func shutdown() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: root)
    }

    func url(_ i: Int) -> String { nodes[i].configuration.publicURL }

    /// Waits, with no clock, until the nodes have stopped telling each other things: no node has
    /// a protocol message queued or in delivery (a delivery's answer is written, and any reply
    /// queued, before the receiving node responds, so a round where no node was asked to send
    /// anything new is the end); then appends every node's queued evidence to its log and waits for a
    /// checkpoint covering it, so the ledger shows all of it.
    func settle() async {
        while true {
            let before = nodes.map(\.contracts.outboxSubmissions)
            for node in nodes { await node.contracts.outboxIdle() }
            if nodes.map(\.contracts.outboxSubmissions) == before { break }
        }
        for node in nodes {
            await node.ledger.flush()
            // The events API lists what a signed checkpoint covers; the log signs one shortly after
            // an append, and says when.
            let appended = node.ledger.log.journaledSize
            if appended > 0 { _ = try? await node.ledger.log.checkpoint(containing: appended - 1) }
        }
    }

    /// `read`, once the nodes have settled (`settle()`).
    func settled<T>(_ read: () async throws -> T) async throws -> T {
        await settle()
        return try await read()
    }

    /// Applies node `i` to the authority (node 0), approves it there and fetches the credential.
    func register(_ i: Int) async throws {
        let applied = try await clients[i].call(.POST, "/api/v1/membership/apply", json: ["authorityURL": .string(url(0))])
        if applied["status"]?.stringValue == "pending" {
            _ = try await clients[0].call(.POST, "/api/v1/authority/applications/\(applied["applicationId"]?.stringValue ?? "")/approve")
            let refreshed = try await clients[i].call(.POST, "/api/v1/membership/refresh")
            try #require(refreshed["status"]?.stringValue == "approved")
        }
    }

    /// Writes `text` to a temporary file and publishes it on node `i`.
    func publish(_ i: Int, _ metadata: JSONValue, csv text: String = "station,aqi\nGZ001,42\nGZ002,57\n") async throws -> JSONValue {
        let path = root + "/upload-\(UUID().uuidString).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try await clients[i].publish(file: path, metadata: metadata)
    }
}

/// Wall-clock time moved forward by what a test advanced it.
final class TestClock: Sendable {
    let offset = Mutex<TimeInterval>(0)
    func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

/// Runs a body against a fresh network and always shuts it down.
func withNetwork(
    _ specs: [TestNetwork.Spec], database: TestNetwork.Database = .sqlite, logger: Logger? = nil, _ body: (TestNetwork) async throws -> Void
) async throws {
    let network = try await TestNetwork(specs, database: database, logger: logger)
    do {
        try await body(network)
    } catch {
        await network.shutdown()
        throw error
    }
    await network.shutdown()
}

/// A raw HTTP call, returning status, headers and body, for checks the typed clients hide.
struct RawReply {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var json: JSONValue? { try? JSONValue.parse(body) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A client that reports redirects instead of following them.
let nonRedirectingClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

func raw(
    _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil, followRedirects: Bool = true,
    timeout: TimeAmount = .seconds(30)
) async throws -> RawReply {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (k, v) in headers { request.headers.add(name: k, value: v) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    let response = try await (followRedirects ? HTTPClient.shared : nonRedirectingClient).execute(request, timeout: timeout)
    let buffer = try await response.body.collect(upTo: 64 << 20)
    return RawReply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
}

let airQuality: JSONValue = [
    "title": "广州市空气质量监测数据", "description": "逐小时空气质量 Hourly air quality", "keywords": ["空气质量", "AQI"],
    "sector": "green-low-carbon", "region": "440100",
]

