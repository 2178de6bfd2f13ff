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

    @Test func assessorMemory() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        #expect(try await NodeConfiguration.load(directory: directory.path, environment: [:]).assessorMemoryMegabytes == 300)
        let raised = try await NodeConfiguration.load(directory: directory.path, environment: ["DATASPACE_QUALITY_MEMORY_MEGABYTES": "2000"])
        #expect(raised.assessorMemoryMegabytes == 2_000)
        for bad in ["99", "0", "-5", "1000001", "9223372036854775807"] {
            do {
                _ = try await NodeConfiguration.load(directory: directory.path, environment: ["DATASPACE_QUALITY_MEMORY_MEGABYTES": bad])
                Issue.record("accepted quality.memoryMegabytes \(bad)")
            } catch let error as ConfigurationError {
                #expect(error.key == "quality.memoryMegabytes", "\(bad): \(error)")
            }
        }
    }

    @Test func peerTimeout() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        #expect(try await NodeConfiguration.load(directory: directory.path, environment: [:]).peerTimeoutSeconds == 15)
        let raised = try await NodeConfiguration.load(directory: directory.path, environment: ["DATASPACE_TRUST_PEER_TIMEOUT_SECONDS": "120"])
        #expect(raised.peerTimeoutSeconds == 120)
        #expect(PeerClient(timeout: .seconds(120)).documentTimeout == .seconds(40))
        for bad in ["0", "-1", "301", "9223372036854775807"] {
            do {
                _ = try await NodeConfiguration.load(directory: directory.path, environment: ["DATASPACE_TRUST_PEER_TIMEOUT_SECONDS": bad])
                Issue.record("accepted trust.peerTimeoutSeconds \(bad)")
            } catch let error as ConfigurationError {
                #expect(error.key == "trust.peerTimeoutSeconds", "\(bad): \(error)")
            }
        }
    }
}
