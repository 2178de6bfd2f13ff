import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// Property-based fuzzing of the management API from its own OpenAPI document: schemathesis
/// generates requests for every operation (valid and invalid bodies, parameters at their edges)
/// with the admin token, and the node must never answer 5xx. Operations that call another node
/// (membership, peer catalog, negotiations, transfers, receipts) are left out: with no peer
/// there, their 502 is the right answer. Bounded (examples per operation, fixed seed) for CI.
@Suite(.serialized, .tags(.hostile)) struct ManagementAPIFuzzTests {
    static var schemathesis: String? {
        guard let python = Conformance.python(with: ["schemathesis"]) else { return nil }
        let path = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("schemathesis").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    @Test func managementAPIAnswersNo5xxToGeneratedRequests() async throws {
        guard let tool = Self.schemathesis else {
            if Conformance.isCI { Issue.record("schemathesis is required in CI (Scripts/setup-python.sh installs it)") }
            return
        }
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            _ = try await net.publish(1, ContractFlowTests.metadata())
            let base = net.url(1)
            let arguments = [
                "run", base + "/api/openapi.yaml", "--url", base + "/api/v1", "-H", "Authorization: Bearer \(net.nodes[1].adminToken)",
                "--checks", "not_a_server_error", "--max-examples", "12", "--seed", "20261201", "--request-timeout", "20", "--workers", "1",
                "--exclude-path-regex", "/(membership|peers|negotiations|offers|transfers|agreements/.*/receipts)",
            ]
            let result = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(with: Swift.Result { try Conformance.run(tool, arguments) }) }
            }
            #expect(result.status == 0, "schemathesis found a server error or failed to run:\n\(result.output.suffix(6_000))")
            #expect(!result.output.contains("Server error"), "\(result.output.suffix(4_000))")
            // It really generated requests ("744 generated, 744 passed" on this seed).
            #expect(result.output.contains(" generated, "), "\(result.output.suffix(2_000))")
            #expect(try await raw(.GET, base + "/healthz").status == 200)
        }
    }
}
