import DataspaceServer
import Foundation
import Testing

/// The README's tour runs as written: the block in README.md is `Scripts/tour.sh`, and the script
/// runs from an empty directory with the built `dataspace` on the PATH, every command succeeding
/// (or, for the third fetch the offer does not allow and the MAX a private query may not ask,
/// exiting 3).
@Suite(.serialized) struct ReadmeTourTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shell block after "## A short tour" that starts with the script's first comment.
    static func readmeTour() throws -> String {
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "## A short tour") else { return "" }
        let rest = readme[section.upperBound...]
        var blocks: [String] = []
        var remaining = rest[...]
        while let open = remaining.range(of: "```sh\n"), let close = remaining[open.upperBound...].range(of: "```\n") {
            blocks.append(String(remaining[open.upperBound..<close.lowerBound]))
            remaining = remaining[close.upperBound...]
        }
        return blocks.first { $0.hasPrefix("# Three nodes") } ?? ""
    }

    @Test func theReadmeShowsTheTourScript() throws {
        let script = try String(contentsOf: Self.repository.appendingPathComponent("Scripts/tour.sh"), encoding: .utf8)
        let body = script.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init) ?? ""
        #expect(!body.isEmpty)
        #expect(try Self.readmeTour() == body, "README.md's tour and Scripts/tour.sh differ")
    }

    @Test(.enabled(if: CLITests.available)) func theTourRunsAsWritten() async throws {
        let binary = try #require(CLITests.binary)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-tour-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ports = LoopbackPorts.free(count: 3)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [Self.repository.appendingPathComponent("Scripts/tour.sh").path]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (binary as NSString).deletingLastPathComponent + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["AUTH_PORT"] = String(ports[0])
        environment["GZ_PORT"] = String(ports[1])
        environment["INST_PORT"] = String(ports[2])
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Off the cooperative pool: the script waits on its own node processes.
        let (status, stdout, stderr) = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    try process.run()
                    let o = out.fileHandleForReading.readDataToEndOfFile()
                    let e = err.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        #expect(status == 0, "the tour failed (exit \(status)):\n\(stderr.suffix(3_000))")
        #expect(stdout.contains("third fetch refused: exit 3"), "\(stdout.suffix(2_000))")
        // The private query printed its table and noise, and MAX was refused by the provider (3).
        #expect(stdout.contains("VISITS") && stdout.contains("discrete Laplace noise"), "\(stdout.suffix(2_000))")
        #expect(stdout.contains("MAX refused: exit 3"), "\(stdout.suffix(2_000))")
        #expect(stdout.contains("MATCHED ON PATIENT") && stdout.contains("  P2\n") && stdout.contains("  P7\n"), "\(stdout.suffix(2_000))")
        #expect(stdout.contains("VALID: entry"), "the offline receipt check")
        #expect(stdout.contains("delivered and confirmed") && stdout.contains("2 delivered, 0 open"), "the reconciliation")
        #expect(FileManager.default.fileExists(atPath: directory + "/received.csv") && FileManager.default.fileExists(atPath: directory + "/report.html"))
        #expect(FileManager.default.fileExists(atPath: directory + "/gz.log"))
    }
}
