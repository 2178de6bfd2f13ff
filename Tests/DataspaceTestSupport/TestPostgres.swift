import DataspacePostgres
import Foundation
import Logging

/// The PostgreSQL server the tests use: `DATASPACE_POSTGRES_URL` if set (CI sets it from
/// Scripts/postgres.sh), else a throwaway cluster that Scripts/postgres.sh starts (or reuses,
/// in /tmp) when Debian's postgresql-15 is installed. Each store gets a database
/// of its own, so tests never see each other's rows.
public enum TestPostgres {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var isAvailable: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["DATASPACE_POSTGRES_URL"] != nil || environment["CI"] == "true"
            || FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/15/bin/pg_ctl")
    }

    /// The server, started once per test process.
    public static let server = Task<PostgresLocation, any Error> {
        if let url = ProcessInfo.processInfo.environment["DATASPACE_POSTGRES_URL"] { return try PostgresLocation(url: url) }
        let url = try await runStartScript()
        var location = try PostgresLocation(url: url)
        location.tls = .disable
        try await dropEarlierRuns(location)
        return location
    }

    /// Runs Scripts/postgres.sh on a thread of its own: reading its output and waiting for it block,
    /// and must not hold one of the few threads every other test's tasks run on. Gives up after two
    /// minutes with the script's own words rather than leaving every PostgreSQL test waiting.
    static func runStartScript() async throws -> String {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            let thread = Thread {
                let script = Process()
                script.executableURL = repository.appendingPathComponent("Scripts/postgres.sh")
                script.arguments = ["start-for-tests"]
                let output = Pipe()
                script.standardOutput = output
                do { try script.run() } catch {
                    continuation.resume(throwing: PostgresStoreError.unreadable("test server (Scripts/postgres.sh did not run: \(error))"))
                    return
                }
                let deadline = DispatchTime.now() + .seconds(120)
                let finished = DispatchSemaphore(value: 0)
                DispatchQueue.global().async { script.waitUntilExit(); finished.signal() }
                if finished.wait(timeout: deadline) == .timedOut {
                    script.terminate()
                    continuation.resume(throwing: PostgresStoreError.unreadable("test server (Scripts/postgres.sh ran over two minutes)"))
                    return
                }
                let text = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
                guard script.terminationStatus == 0, let url = text.split(separator: "\n").last else {
                    continuation.resume(throwing: PostgresStoreError.unreadable("test server (Scripts/postgres.sh exited \(script.terminationStatus))"))
                    return
                }
                continuation.resume(returning: String(url))
            }
            thread.start()
        }
    }

    /// Databases earlier test runs left behind: those named more than three hours ago. Another
    /// run may be using the same server right now (a second checkout, CI beside a local run);
    /// its databases are younger and stay.
    static func dropEarlierRuns(_ server: PostgresLocation) async throws {
        let cutoff = Int(Date().timeIntervalSince1970) - 3 * 3_600
        for name in try await PostgresAdmin.databases(prefix: "dstest_", on: server) {
            let stamp = name.dropFirst("dstest_".count).split(separator: "_").first.flatMap { Int($0) }
            if let stamp, stamp > cutoff { continue }
            try await PostgresAdmin.dropDatabase(name, on: server)
        }
    }

    /// A new, empty database on the test server and a store over it.
    public static func freshStore() async throws -> PostgresStore {
        let location = try await freshDatabase()
        var logger = Logger(label: "dataspace.postgres.test")
        logger.logLevel = .error
        return try await PostgresStore(location: location, logger: logger)
    }

    /// Creates a database named for this test run and returns where it is. Stores over it wait
    /// up to two minutes for their connection and migrations: on a loaded two-core CI machine
    /// dozens of tests start stores at once, and the 20 s an operator's node waits is too short.
    public static func freshDatabase() async throws -> PostgresLocation {
        let name = "dstest_\(Int(Date().timeIntervalSince1970))_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        var location = try await PostgresAdmin.createDatabase(name, on: try await server.value)
        location.connectTimeout = 120
        return location
    }
}
