import Foundation
import Testing

/// `dataspace demo` run as the README says, with its output going to a pipe: every line arrives
/// while it runs (not when it exits), the portal URLs and admin-token locations come before the
/// walk and again at the end, and Ctrl-C leaves no temporary directory behind.
@Suite(.serialized, .timeLimit(.minutes(15))) struct DemoCommandTests {
    @Test(.enabled(if: CLITests.available)) func theDemoFlushesItsLinesPrintsItsURLsAndCleansUp() async throws {
        let demo = try RunningCommand(["demo"])
        // Still running, serving until Ctrl-C: everything it printed has already arrived.
        let said = await demo.said("Serving until Ctrl-C.")
        let live = demo.stdout
        #expect(demo.process.isRunning, "the demo stopped early:\n\(live.suffix(2_000))\n\(demo.stderr)")
        #expect(said, "lines did not arrive while it ran:\n\(live.suffix(2_000))")
        let portals = live.components(separatedBy: "Portals (admin tokens in ")
        #expect(portals.count == 3, "portal URLs printed twice")
        if let first = portals.dropFirst().first {
            #expect(first.contains("/operator/login") && first.contains("/ledger") && first.contains("admin.token"))
        }
        #expect((live.range(of: "Portals")?.lowerBound ?? live.endIndex) < (live.range(of: "[2]")?.lowerBound ?? live.startIndex), "URLs before the walk")
        let directory = try #require(live.components(separatedBy: "Portals (admin tokens in ").dropFirst().first?.components(separatedBy: "/node<N>").first)
        #expect(FileManager.default.fileExists(atPath: directory))

        demo.signal(SIGINT)  // Ctrl-C
        #expect(await demo.ended() == .success, "\(demo.stdout.suffix(1_000))\n\(demo.stderr)")
        #expect(demo.stdout.contains("removed \(directory)"))
        #expect(!FileManager.default.fileExists(atPath: directory), "the demo left \(directory) behind")
    }
}
