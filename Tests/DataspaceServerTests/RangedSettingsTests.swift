import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// Numeric settings from the environment, as docs/operations.md names them: the default, a value
/// in range, and values outside the range refused with the key named.
@Suite struct RangedSettingsTests {
    static func directory() throws -> NodeDirectory {
        let configuration = NodeConfiguration(
            name: "内存", creditCode: try CreditCode.completing("11440100MB2C92190"), region: try RegionCode("440100"),
            sector: try Sector(slug: "urban-governance"), host: "127.0.0.1", port: 1, publicURL: "http://127.0.0.1:1",
            isAuthority: false, autoApprove: false, authorityURL: nil, authorityDID: nil,
            ipv6Prefix: try IPv6Prefix("fd86:1::/64"), maxUploadBytes: 1 << 20, revocationCacheSeconds: 0,
            logLevel: "critical", logFormat: "text", allowLoopbackPeers: true)
        let directory = NodeDirectory(path: FileManager.default.temporaryDirectory.appendingPathComponent("memory-config-\(UUID().uuidString.prefix(8))").path)
        try directory.initialize(configuration: configuration)
        return directory
    }

    /// `key` read through `variable`: `standard` without it, `raised` when given, and every
    /// value of `refused` refused naming the key.
    static func expectRange(
        _ key: String, _ variable: String, standard: Int, raised: Int, refused: [String], read: (NodeConfiguration) -> Int
    ) async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        #expect(read(try await NodeConfiguration.load(directory: directory.path, environment: [:])) == standard)
        #expect(read(try await NodeConfiguration.load(directory: directory.path, environment: [variable: "\(raised)"])) == raised)
        for bad in refused {
            do {
                _ = try await NodeConfiguration.load(directory: directory.path, environment: [variable: bad])
                Issue.record("accepted \(key) \(bad)")
            } catch let error as ConfigurationError {
                #expect(error.key == key, "\(bad): \(error)")
            }
        }
    }

    @Test func assessorMemory() async throws {
        try await Self.expectRange(
            "quality.memoryMegabytes", "DATASPACE_QUALITY_MEMORY_MEGABYTES", standard: 300, raised: 2_000,
            refused: ["99", "0", "-5", "1000001", "9223372036854775807"]) { $0.assessorMemoryMegabytes }
    }

    @Test func traceLimit() async throws {
        try await Self.expectRange(
            "limits.maxTraceBytes", "DATASPACE_LIMITS_MAX_TRACE_BYTES", standard: 256 << 20, raised: 1 << 30,
            refused: ["1048575", "0", "-1", "1073741825", "9223372036854775807", "lots"]) { Int($0.maxTraceBytes) }
    }

    /// The directory's file says 1 MiB and 0 s (`directory()`); the environment overrides it.
    @Test func uploadLimitAndRevocationCache() async throws {
        try await Self.expectRange(
            "limits.maxUploadBytes", "DATASPACE_LIMITS_MAX_UPLOAD_BYTES", standard: 1 << 20, raised: 16 << 30,
            refused: ["0", "-1", "1048575", "1099511627777", "9223372036854775807"]) { Int($0.maxUploadBytes) }
        try await Self.expectRange(
            "trust.revocationCacheSeconds", "DATASPACE_TRUST_REVOCATION_CACHE_SECONDS", standard: 0, raised: 300,
            refused: ["-1", "86401", "9223372036854775807"]) { Int($0.revocationCacheSeconds) }
    }

    @Test func peerTimeout() async throws {
        try await Self.expectRange(
            "trust.peerTimeoutSeconds", "DATASPACE_TRUST_PEER_TIMEOUT_SECONDS", standard: 15, raised: 120,
            refused: ["0", "-1", "301", "9223372036854775807"]) { $0.peerTimeoutSeconds }
        #expect(PeerClient(timeout: .seconds(120)).documentTimeout == .seconds(40))
    }

    @Test func connectionsAndTheirIdleTimeout() async throws {
        try await Self.expectRange(
            "http.maxConnections", "DATASPACE_HTTP_MAX_CONNECTIONS", standard: 4_096, raised: 20_000,
            refused: ["15", "0", "-1", "1000001", "9223372036854775807", "many"]) { $0.maxConnections }
        try await Self.expectRange(
            "http.idleTimeoutSeconds", "DATASPACE_HTTP_IDLE_TIMEOUT_SECONDS", standard: 75, raised: 600,
            refused: ["0", "-1", "3601", "9223372036854775807"]) { $0.idleTimeoutSeconds }
        try await Self.expectRange(
            "http.minimumBodyRate", "DATASPACE_HTTP_MINIMUM_BODY_RATE", standard: 512, raised: 65_536,
            refused: ["0", "-1", "100000001", "9223372036854775807", "fast"]) { $0.minimumBodyRate }
        // Not set: a quarter of the cap in force, decided at start (-1 here).
        try await Self.expectRange(
            "http.maxConnectionsPerClient", "DATASPACE_HTTP_MAX_CONNECTIONS_PER_CLIENT", standard: -1, raised: 4_096,
            refused: ["0", "-1", "1000001", "9223372036854775807", "all"]) { $0.maxConnectionsPerClient ?? -1 }
    }

    /// Read from the environment, written to the file and read back; refused naming the key.
    @Test func trustedProxies() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let variable = "DATASPACE_HTTP_TRUSTED_PROXIES"
        #expect(try await NodeConfiguration.load(directory: directory.path, environment: [:]).trustedProxies.isEmpty)
        let loaded = try await NodeConfiguration.load(directory: directory.path, environment: [variable: "127.0.0.1, 10.0.0.0/8"])
        #expect(loaded.trustedProxies == (try TrustedProxies(parsing: "127.0.0.1, 10.0.0.0/8")))
        #expect(loaded.fileJSON["http"]?["trustedProxies"]?.stringValue == "127.0.0.1, 10.0.0.0/8")
        for bad in ["nginx", "10.0.0.0/40", "127.0.0.1;10.0.0.1"] {
            do {
                _ = try await NodeConfiguration.load(directory: directory.path, environment: [variable: bad])
                Issue.record("accepted http.trustedProxies \(bad)")
            } catch let error as ConfigurationError {
                #expect(error.key == "http.trustedProxies", "\(bad): \(error)")
            }
        }
    }
}
