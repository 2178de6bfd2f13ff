import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// A provider running as its own `dataspace serve` process is killed with SIGKILL at the worst
/// moments (right after it stored an agreement or a started transfer, before telling the
/// consumer; and in the middle of streaming a file) and restarted; every process then completes.
@Suite(.serialized, .timeLimit(.minutes(15))) struct ContractRestartTests {
    let cli = CLITests()

    @Test(.enabled(if: CLITests.available)) func providerKilledMidNegotiationMidTransferAndMidDownloadCompletes() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.institute]) { net in
            try await net.register(1)
            let dir = cli.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let port = try #require(LoopbackPorts.free(count: 1).first)
            let providerURL = "http://127.0.0.1:\(port)"
            let created = try await cli.runOffPool([
                "init", "--dir", dir, "--name", "广州市数据局", "--credit-code", "11440100MB2C921900", "--region", "440100", "--sector",
                "urban-governance", "--port", String(port),
            ])
            #expect(created.status == 0, "\(created.stderr)")
            var provider = try await RunningCommand.serve(dir)
            let applied = try await cli.runOffPool(["register", "--dir", dir, "--authority", net.url(0), "--json"])
            let application = try #require(try JSONValue.parse(applied.stdout)["applicationId"]?.stringValue, "\(applied.stdout)\(applied.stderr)")
            _ = try await net.clients[0].call(.POST, "/api/v1/authority/applications/\(application)/approve")
            let refreshed = try await cli.runOffPool(["membership", "--dir", dir, "--refresh"])
            #expect(refreshed.status == 0, "\(refreshed.stderr)")
            // 24 MB, so a download can be interrupted part-way.
            let csv = dir + "/traffic.csv"
            let line = String(repeating: "x", count: 90)
            try ("segment,flow,note\n" + (0..<240_000).map { "S\($0),\($0 % 977),\(line)" }.joined(separator: "\n") + "\n")
                .write(toFile: csv, atomically: true, encoding: .utf8)
            let policyFile = dir + "/offer.json"
            let offer: JSONValue = ["permission": [["action": "use", "constraint": [["leftOperand": "count", "operator": "lteq", "rightOperand": "5"]]]]]
            try offer.encoded().write(to: URL(fileURLWithPath: policyFile))
            let published = try await cli.runOffPool([
                "publish", csv, "--dir", dir, "--title", "广州市道路流量", "--description", "traffic", "--sector", "transport", "--policy", policyFile,
                "--json",
            ])
            #expect(published.status == 0, "\(published.stderr)")
            let dataset = try #require(try JSONValue.parse(published.stdout)["identifier"]?.stringValue)
            let sha256 = try JSONValue.parse(published.stdout)["distribution"]?["sha256"]?.stringValue

            // 1. Killed right after storing the agreement, before sending it.
            #expect(await provider.stop() == .success, "\(provider.stderr)")
            provider = try await RunningCommand.serve(dir, crashAt: "provider.agreed")
            let started = try await net.clients[1].call(
                .POST, "/api/v1/negotiations", json: ["provider": .string(providerURL), "dataset": .string(dataset), "purpose": "research"])
            let negotiation = try #require(started["id"]?.stringValue)
            #expect(await provider.ended() == .killed(by: SIGKILL))
            let stalled = try await net.clients[1].call(.GET, "/api/v1/negotiations/\(negotiation)")
            #expect(stalled["state"]?.stringValue == "REQUESTED")
            provider = try await RunningCommand.serve(dir)
            let finished = try await net.clients[1].call(.GET, "/api/v1/negotiations/\(negotiation)?wait=60")
            #expect(finished["state"]?.stringValue == "FINALIZED", "\(finished)")
            let agreement = try #require(finished["agreement"]?["id"]?.stringValue)
            let providerView = try #require(try JSONValue.parse(try await cli.runOffPool(["agreements", "--dir", dir, "--json"]).stdout)["items"]?.arrayValue)
            #expect(providerView.count == 1)
            #expect(providerView.first?["state"]?.stringValue == "FINALIZED")

            // 2. Killed right after starting a transfer, before sending the data address.
            #expect(await provider.stop() == .success, "\(provider.stderr)")
            provider = try await RunningCommand.serve(dir, crashAt: "provider.transfer-started")
            let requested = try await net.clients[1].call(.POST, "/api/v1/transfers", json: ["agreement": .string(agreement)])
            let transfer = try #require(requested["id"]?.stringValue)
            #expect(await provider.ended() == .killed(by: SIGKILL))
            provider = try await RunningCommand.serve(dir)
            let running = try await net.clients[1].call(.GET, "/api/v1/transfers/\(transfer)?wait=60")
            #expect(running["state"]?.stringValue == "STARTED", "\(running)")

            // 3. Killed in the middle of streaming; the download resumes with Range once it is back.
            let endpoint = try #require(running["dataAddress"]?["endpoint"]?.stringValue)
            let token = try #require(running["dataAddress"]?["token"]?.stringValue)
            let killed = Flag()
            let current = Box(provider)
            let destination = dir + "/received.csv"
            // Restarts the provider once it has died (a download that never reaches the kill
            // cancels this wait).
            let restarter = Task {
                guard await current.value.ended() != nil else { return }
                current.value = try await RunningCommand.serve(dir)
            }
            let result = try await DataPlaneClient().download(endpoint: endpoint, token: token, to: destination) { received, _ in
                if received > 4 << 20, !killed.isSet {
                    kill(current.value.processIdentifier, SIGKILL)
                    killed.set()
                }
            }
            // A download that never reached the kill would leave the restarter waiting for ever.
            if killed.isSet { try await restarter.value } else { restarter.cancel() }
            #expect(killed.isSet)
            #expect(result.resumes >= 1)
            #expect(result.sha256 == sha256)
            _ = try await net.clients[1].call(.POST, "/api/v1/transfers/\(transfer)/complete")
            let usage = try JSONValue.parse(try await cli.runOffPool(["usage", "--dir", dir, "--json"]).stdout)
            let records = usage["items"]?.arrayValue ?? []
            #expect(records.contains { $0["rangeStart"]?.doubleValue ?? 0 > 0 }, "the resumed range was recorded: \(usage)")
            #expect(await current.value.stop() == .success, "\(current.value.stderr)")
        }
    }
}

/// A flag set from a synchronous callback and read by a task.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
