import ArgumentParser
import Crypto
import DataspaceLedger
import Foundation

/// `dataspace bench ledger`: durable appends per second into a tiled log with N concurrent
/// appenders, and integration latency. With `--print-acks` it prints every acknowledged index,
/// which the crash test uses: it kills the process mid-run and checks every acknowledged entry
/// survived.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Benchmark durable appends to the transparency log.")

    @Option(help: "Log directory (kept; reopened if it exists).") var dir: String = NSTemporaryDirectory() + "dataspace-ledger-bench"
    @Option(help: "Comma-separated numbers of concurrent appenders.") var appenders: String = "1,16,256"
    @Option(help: "Seconds per level.") var seconds: Double = 5
    @Flag(name: .customLong("print-acks"), help: "Print 'ack INDEX ENTRY' for every acknowledged append (flushed).") var printAcks = false

    func run() async throws {
        try await runReporting {
            let directory = URL(fileURLWithPath: dir)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let log = try TransparencyLog(directory: directory, signer: try Self.signer(directory))
            let levels = appenders.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
            var rows: [[String]] = []
            let run = UUID().uuidString.prefix(8)
            for level in levels {
                let deadline = ContinuousClock.now + .seconds(seconds)
                let start = ContinuousClock.now
                let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                    for worker in 0..<level {
                        group.addTask {
                            var mine: [Double] = []
                            var i = 0
                            while ContinuousClock.now < deadline {
                                let entry = "\(run)-\(level)-\(worker)-\(i)"
                                let t0 = ContinuousClock.now
                                let index = try await log.append(Array(entry.utf8))
                                mine.append((ContinuousClock.now - t0).milliseconds)
                                if printAcks { Self.emit("ack \(index) \(entry)") }
                                i += 1
                            }
                            return mine
                        }
                    }
                    var all: [Double] = []
                    for try await part in group { all += part }
                    return all.sorted()
                }
                let elapsed = (ContinuousClock.now - start).milliseconds / 1_000
                rows.append([
                    String(level), String(latencies.count), String(format: "%.0f", Double(latencies.count) / elapsed),
                    String(format: "%.2f", percentile(latencies, 0.5)), String(format: "%.2f", percentile(latencies, 0.99)),
                ])
            }
            if !printAcks {
                printTable(["APPENDERS", "APPENDS", "PER SECOND", "P50 MS", "P99 MS"], rows)
                print("log size \(await log.size)")
            }
        }
    }

    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The bench log's key, created once in the directory.
    static func signer(_ directory: URL) throws -> NoteSigner {
        let path = directory.appendingPathComponent("ledger.key").path
        if let data = FileManager.default.contents(atPath: path) {
            return try NoteSigner(name: "bench.dataspace.local/log", key: try Curve25519.Signing.PrivateKey(rawRepresentation: data))
        }
        let key = Curve25519.Signing.PrivateKey()
        guard FileManager.default.createFile(atPath: path, contents: key.rawRepresentation, attributes: [.posixPermissions: 0o600]) else {
            throw LogError("cannot write \(path)")
        }
        return try NoteSigner(name: "bench.dataspace.local/log", key: key)
    }
}
