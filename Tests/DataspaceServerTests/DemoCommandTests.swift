import Foundation
import Testing

/// `dataspace demo` run as the README says, with its output going to a pipe: every line arrives
/// while it runs (not when it exits), the portal URLs and admin-token locations come before the
/// walk and again at the end, and Ctrl-C leaves no temporary directory behind.
@Suite(.serialized) struct DemoCommandTests {
    /// Lines of a running process's standard output as they arrive.
    final class LineReader: @unchecked Sendable {
        let lock = NSLock()
        var text = ""
        func append(_ data: Data) {
            lock.lock()
            text += String(decoding: data, as: UTF8.self)
            lock.unlock()
        }
        var snapshot: String {
            lock.lock()
            defer { lock.unlock() }
            return text
        }
    }

    @Test(.enabled(if: CLITests.available)) func theDemoFlushesItsLinesPrintsItsURLsAndCleansUp() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(CLITests.binary))
        process.arguments = ["demo"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let reader = LineReader()
        out.fileHandleForReading.readabilityHandler = { handle in reader.append(handle.availableData) }
        try process.run()
        // Still running, serving until Ctrl-C: everything it printed has already arrived.
        let deadline = Date().addingTimeInterval(600)
        while !reader.snapshot.contains("Serving until Ctrl-C."), process.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let live = reader.snapshot
        #expect(process.isRunning, "the demo stopped early:\n\(live.suffix(2_000))")
        #expect(live.contains("Serving until Ctrl-C."), "lines did not arrive while it ran:\n\(live.suffix(2_000))")
        let portals = live.components(separatedBy: "Portals (admin tokens in ")
        #expect(portals.count == 3, "portal URLs printed twice")
        if let first = portals.dropFirst().first {
            #expect(first.contains("/operator/login") && first.contains("/ledger") && first.contains("admin.token"))
        }
        #expect((live.range(of: "Portals")?.lowerBound ?? live.endIndex) < (live.range(of: "[2]")?.lowerBound ?? live.startIndex), "URLs before the walk")
        let directory = try #require(live.components(separatedBy: "Portals (admin tokens in ").dropFirst().first?.components(separatedBy: "/node<N>").first)
        #expect(FileManager.default.fileExists(atPath: directory))

        process.interrupt()  // Ctrl-C
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        out.fileHandleForReading.readabilityHandler = nil
        reader.append(out.fileHandleForReading.readDataToEndOfFile())
        #expect(process.terminationStatus == 0, "\(reader.snapshot.suffix(1_000))")
        #expect(reader.snapshot.contains("removed \(directory)"))
        #expect(!FileManager.default.fileExists(atPath: directory), "the demo left \(directory) behind")
    }
}
