import Foundation
import Testing

/// Locates the shared reference files and a Python with the checkers (jsonschema, pyshacl).
/// In CI (`CI=true`) a missing piece fails the test instead of skipping it.
enum Conformance {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var referenceDirectory: String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["DATASPACE_REFERENCE"], packageRoot.appendingPathComponent("../shared/reference").path]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0 + "/dsp-2025-1") }
    }

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static func python(with modules: [String]) -> String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["DATASPACE_PYTHON"], packageRoot.appendingPathComponent(".build-venv/bin/python").path, "/usr/bin/python3"]
        for candidate in candidates.compactMap({ $0 }) where FileManager.default.isExecutableFile(atPath: candidate) {
            if (try? run(candidate, ["-c", modules.map { "import \($0)" }.joined(separator: "; ")]).status) == 0 { return candidate }
        }
        return nil
    }

    /// Whether the checks can run here; in CI they must.
    static func available(_ modules: [String]) -> Bool {
        referenceDirectory != nil && python(with: modules) != nil
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
