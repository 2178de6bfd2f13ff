import DataspaceCore
import DataspaceServer
import Foundation

/// Runs a peer benchmark script from `Benchmarks/` with the given Python and reads the one JSON
/// object it prints: how every benchmark hands the same data to its Python peer.
enum PythonPeer {
    static func run(python: String, script name: String, arguments: [String], label: String) throws -> JSONValue {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Benchmarks/\(name)").path
        print("running \(label) …")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let json = try? JSONValue.parse(output) else {
            throw PeerError("\(label) failed (exit \(process.terminationStatus))")
        }
        return json
    }
}
