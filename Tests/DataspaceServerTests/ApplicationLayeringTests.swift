import Foundation
import Testing

/// The three layers (BRIEF.md): domain and application modules import no HTTP server, HTTP
/// client or database driver — those live in the adapters (DataspaceServer, DataspaceSQLite).
@Suite struct ApplicationLayeringTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    static let inner = [
        "DataspaceCore", "DataspaceIdentity", "DataspaceProtocol", "DataspaceContracts", "DataspaceCatalog", "DataspaceLedger",
        "DataspaceQuality", "DataspacePrivacy", "DataspaceApplication",
    ]
    static let frameworks = ["Hummingbird", "NIO", "_NIO", "GRDB", "AsyncHTTPClient", "HTTPTypes", "PostgresNIO", "DataspaceSQLite", "DataspaceServer"]

    @Test(arguments: inner) func importsNoFramework(_ module: String) throws {
        let directory = Self.sources.appendingPathComponent(module)
        let files = try #require(FileManager.default.enumerator(atPath: directory.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty, "\(module) has no sources at \(directory.path)")
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@_exported import ") || line.hasPrefix("@preconcurrency import ") {
                let name = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(!Self.frameworks.contains { name.hasPrefix($0) }, "\(module)/\(file) imports \(name)")
            }
        }
    }

    /// Application services take their time from an injected clock; the one `Date()` is the
    /// production default of that clock.
    @Test func applicationServicesReadNoWallClock() throws {
        let directory = Self.sources.appendingPathComponent("DataspaceApplication")
        let files = try #require(FileManager.default.enumerator(atPath: directory.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains("Date()") {
                #expect(line.contains("now: @escaping @Sendable () -> Date = { Date() }"), "\(file):\(number + 1) reads the wall clock: \(line)")
            }
        }
    }
}
