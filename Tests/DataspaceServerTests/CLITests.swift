import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// Drives the real `dataspace` executable: exit codes, refusals, and a served node that is
/// stopped with SIGKILL and restarted without losing what it acknowledged.
@Suite(.serialized, .timeLimit(.minutes(15))) struct CLITests {
    static var binary: String? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("dataspace"), dir.deletingLastPathComponent().appendingPathComponent("dataspace")] {
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        }
        return nil
    }

    static var available: Bool { binary != nil }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.binary))
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs the executable on a thread outside Swift's cooperative pool: a command that talks to
    /// a node served by this test process must not hold one of the pool's few threads while it
    /// waits (on two cores, two such waits would starve the node it waits for).
    func runOffPool(_ arguments: [String]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Swift.Result { try self.run(arguments) }) }
        }
    }

    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-cli-\(UUID().uuidString.prefix(8))").path
    }

    @Test(.enabled(if: CLITests.available)) func initRefusesBadInputAndExistingNodes() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = try run(["init", "--dir", dir, "--name", "x", "--credit-code", "91350100M000100Y44", "--region", "350100", "--sector", "transport"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("check character"))
        #expect(!FileManager.default.fileExists(atPath: dir))
        let region = try run(["init", "--dir", dir, "--name", "x", "--credit-code", "91350100M000100Y43", "--region", "99", "--sector", "transport"])
        #expect(region.status == 64)
        #expect(region.stderr.contains("region"))
        let ok = try run(["init", "--dir", dir, "--name", "x", "--credit-code", "91350100M000100Y43", "--region", "350100", "--sector", "transport", "--json"])
        #expect(ok.status == 0)
        #expect(try JSONValue.parse(ok.stdout)["did"]?.stringValue?.hasPrefix("did:web:") == true)
        let again = try run(["init", "--dir", dir, "--name", "x", "--credit-code", "91350100M000100Y43", "--region", "350100", "--sector", "transport"])
        #expect(again.status == 64, "an existing node directory is bad input")
        #expect(again.stderr.contains("already holds a node"))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/node.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // A command against a node that is not running: exit code 4.
        let down = try run(["datasets", "--dir", dir])
        #expect(down.status == 4)
    }

    @Test(.enabled(if: CLITests.available)) func servedNodeSurvivesSIGKILLAndRestart() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try #require(LoopbackPorts.free(count: 1).first)
        _ = try run(["init", "--dir", dir, "--name", "广州市数据局", "--credit-code", "11440100MB2C921900", "--region", "440100",
                     "--sector", "urban-governance", "--port", String(port)])
        let csv = dir + "/air.csv"
        try "station,aqi\nGZ001,42\n".write(toFile: csv, atomically: true, encoding: .utf8)

        var server = try await RunningCommand.serve(dir)
        // The line a person (or a script) sees once the node listens.
        #expect(server.stdout.contains("at http://127.0.0.1:\(port)/ — Ctrl-C stops it."), "\(server.stdout)")
        let published = try run(["publish", csv, "--dir", dir, "--title", "广州市空气质量", "--description", "AQI", "--sector", "green-low-carbon", "--json"])
        #expect(published.status == 0, "\(published.stderr)")
        let id = try #require(try JSONValue.parse(published.stdout)["identifier"]?.stringValue)
        let refused = try run(["publish", csv, "--dir", dir, "--title", "x", "--description", "y", "--sector", "nope"])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("sector"))

        server.signal(SIGKILL)
        #expect(await server.ended() == .killed(by: SIGKILL))
        server = try await RunningCommand.serve(dir)
        let search = try run(["search", "空气", "--dir", dir, "--json"])
        #expect(search.status == 0)
        #expect(try JSONValue.parse(search.stdout)["items"]?.arrayValue?.first?["identifier"]?.stringValue == id)
        let table = try run(["search", "空气", "--dir", dir])
        #expect(table.stdout.contains("广州市空气质量"))
        #expect(await server.stop() == .success, "\(server.stderr)")
    }
}
