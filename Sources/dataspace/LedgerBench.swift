import ArgumentParser
import Crypto
import DataspaceCore
import DataspaceLedger
import DataspaceServer
import Foundation

/// `dataspace bench ledger`: durable appends per second into the tiled log with N concurrent
/// appenders, acknowledgement and integration latency, proofs per second, next to this machine's
/// physical limits measured in the same run (fdatasync rate, SHA-256 throughput on one core).
/// With `--print-acks` it only appends and prints every acknowledged index, which the crash test
/// uses: it kills the process mid-run and checks every acknowledged entry survived.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Benchmark durable appends to the transparency log.")

    @Option(help: "Log directory (kept; reopened if it exists).") var dir: String = NSTemporaryDirectory() + "dataspace-ledger-bench"
    @Option(help: "Comma-separated numbers of concurrent appenders.") var appenders: String = "1,16,256"
    @Option(help: "Seconds per level.") var seconds: Double = 5
    @Option(help: "Seconds spent generating inclusion proofs.") var proofSeconds: Double = 3
    @Option(help: "Seconds spent fetching receipts over HTTP from a node (0 skips it).") var httpSeconds: Double = 3
    @Option(help: "Entries in the node's log for the HTTP receipt benchmark.") var httpEntries: Int = 100_000
    @Option(help: "Least milliseconds between two integrations.") var integrationMs: Int = 250
    @Option(help: "Acknowledged entries allowed to wait for integration.") var backlog: UInt64 = 65_536
    @Flag(name: .customLong("print-acks"), help: "Print 'ack INDEX ENTRY' for every acknowledged append (flushed).") var printAcks = false

    func run() async throws {
        try await runReporting {
            let directory = URL(fileURLWithPath: dir)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let levels = appenders.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
            if printAcks {
                let log = try TransparencyLog(directory: directory, signer: try Self.signer(directory))
                _ = try await Self.appendLoad(log: log, appenders: levels.first ?? 64, seconds: seconds, printAcks: true)
                return
            }
            print("Measuring this machine's limits …")
            let fsyncs = try Self.fdatasyncRate(directory: directory, seconds: 2)
            let sha = Self.sha256Throughput(seconds: 1)
            let log = try TransparencyLog(
                directory: directory, signer: try Self.signer(directory),
                integrationInterval: .milliseconds(integrationMs), maximumBacklog: backlog
            )
            var rows: [[String]] = []
            var single: Double?
            for level in levels {
                print("\(level) appender(s) for \(seconds) s …")
                let result = try await Self.appendLoad(log: log, appenders: level, seconds: seconds, printAcks: false)
                if level == 1 { single = result.perSecond }
                rows.append([
                    String(level), String(result.count), String(format: "%.0f", result.perSecond),
                    String(format: "%.2f", result.ack.p50), String(format: "%.2f", result.ack.p99),
                    String(format: "%.1f", result.integration.p50), String(format: "%.1f", result.integration.p99),
                ])
            }
            let proofs = try await Self.proofRate(log: log, seconds: proofSeconds)
            await log.shutdown()
            var http: HTTPReceipts?
            if httpSeconds > 0 {
                print("receipts over HTTP from a node with \(httpEntries) entries for \(httpSeconds) s …")
                http = try await Self.httpReceipts(entries: httpEntries, seconds: httpSeconds)
            }
            printTable(["APPENDERS", "APPENDS", "DURABLE/S", "ACK P50 MS", "ACK P99 MS", "INTEGRATED P50 MS", "P99 MS"], rows)
            print(String(format: "fdatasync (4 KiB overwrite, same directory): %.0f/s", fsyncs))
            print(String(format: "SHA-256, one core: %.0f MB/s", sha))
            print(String(format: "inclusion proofs from tiles (verified): %.0f/s on %d tasks, tree of %d", proofs.perSecond, proofs.tasks, proofs.size))
            if let http {
                print(String(format: "receipts over HTTP (GET /ledger/receipt/N, 16 connections, cosigned checkpoint): %.0f/s, p50 %.2f ms, p99 %.2f ms", http.perSecond, http.p50, http.p99))
            }
            if let single {
                print(String(format: "single appender / fdatasync rate = %.2f", single / fsyncs))
            }
            print("log size \(log.size)")
        }
    }

    struct HTTPReceipts {
        let perSecond: Double
        let p50: Double
        let p99: Double
    }

    /// A provider node (with the authority witnessing) whose log holds `entries` delivery events;
    /// 16 clients fetch receipts for random entries; every receipt is checked.
    static func httpReceipts(entries: Int, seconds: Double) async throws -> HTTPReceipts {
        let network = try await BenchNetwork.start()
        do {
            let provider = network.nodes[1]
            let events = (0..<entries).map { i in
                LedgerEvent(kind: .transferDelivered, node: provider.did.value, fields: [
                    "transfer": .string("urn:uuid:bench-\(i)"), "bytes": .number(Double(i)), "sha256": .string(String(repeating: "0", count: 64)),
                ]).entry
            }
            // In batches that fit the node's journal.
            var last: UInt64 = 0
            for start in stride(from: 0, to: events.count, by: 10_000) {
                last = try await provider.ledger.log.append(contentsOf: Array(events[start..<min(start + 10_000, events.count)])).upperBound - 1
            }
            _ = try await provider.ledger.log.checkpoint(containing: last)
            // Wait for the authority's cosignature over the whole log.
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, (provider.ledger.witnessStatus.values.first?.cosignedSize ?? 0) < provider.ledger.log.size {
                try await Task.sleep(for: .milliseconds(50))
            }
            let verifier = provider.ledger.log.verifier
            let size = UInt64(provider.ledger.log.size)
            let client = network.provider
            let stop = ContinuousClock.now + .seconds(seconds)
            let start = ContinuousClock.now
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        var mine: [Double] = []
                        while ContinuousClock.now < stop {
                            let index = UInt64.random(in: 0..<size)
                            let t0 = ContinuousClock.now
                            let text = try await client.text("/ledger/receipt/\(index)")
                            mine.append((ContinuousClock.now - t0).milliseconds)
                            let receipt = try LedgerReceipt(parsing: text)
                            guard receipt.index == index else { throw LogError("receipt for \(receipt.index), asked \(index)") }
                            try receipt.verify(log: verifier)
                        }
                        return mine
                    }
                }
                var all: [Double] = []
                for try await part in group { all += part }
                return all.sorted()
            }
            let elapsed = (ContinuousClock.now - start).milliseconds / 1_000
            await network.stop()
            return HTTPReceipts(perSecond: Double(latencies.count) / elapsed, p50: OrderStatistics.percentile(latencies, 0.5), p99: OrderStatistics.percentile(latencies, 0.99))
        } catch {
            await network.stop()
            throw error
        }
    }

    struct LoadResult {
        let count: Int
        let perSecond: Double
        let ack: (p50: Double, p99: Double)
        let integration: (p50: Double, p99: Double)
    }

    /// Runs `appenders` tasks appending for `seconds`, recording when each append was
    /// acknowledged and when a checkpoint first covered it.
    static func appendLoad(log: TransparencyLog, appenders: Int, seconds: Double, printAcks: Bool) async throws -> LoadResult {
        let run = UUID().uuidString.prefix(8)
        let watcher = Task { () -> [(size: UInt64, at: ContinuousClock.Instant)] in
            var published: [(size: UInt64, at: ContinuousClock.Instant)] = []
            while !Task.isCancelled {
                let target = log.journaledSize
                if target > 0, let checkpoint = try? await log.checkpoint(containing: target - 1),
                   checkpoint.size > (published.last?.size ?? 0) {
                    published.append((checkpoint.size, ContinuousClock.now))
                } else {
                    try? await Task.sleep(for: .microseconds(500))
                }
            }
            return published
        }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let appends = try await withThrowingTaskGroup(of: [(index: UInt64, start: ContinuousClock.Instant, ack: Double)].self) { group in
            for worker in 0..<appenders {
                group.addTask {
                    var mine: [(index: UInt64, start: ContinuousClock.Instant, ack: Double)] = []
                    var i = 0
                    while ContinuousClock.now < deadline {
                        let entry = "\(run)-\(appenders)-\(worker)-\(i)"
                        let t0 = ContinuousClock.now
                        let index = try await log.append(Array(entry.utf8))
                        mine.append((index, t0, (ContinuousClock.now - t0).milliseconds))
                        if printAcks { emit("ack \(index) \(entry)") }
                        i += 1
                    }
                    return mine
                }
            }
            var all: [(index: UInt64, start: ContinuousClock.Instant, ack: Double)] = []
            for try await part in group { all += part }
            return all
        }
        let elapsed = (ContinuousClock.now - start).milliseconds / 1_000
        if let last = appends.map(\.index).max() { _ = try await log.checkpoint(containing: last) }
        try await Task.sleep(for: .milliseconds(5))
        watcher.cancel()
        let published = await watcher.value
        var integration: [Double] = []
        for append in appends {
            // The first checkpoint that covers the entry (binary search over increasing sizes).
            var low = 0
            var high = published.count
            while low < high {
                let mid = (low + high) / 2
                if published[mid].size > append.index { high = mid } else { low = mid + 1 }
            }
            if low < published.count { integration.append((published[low].at - append.start).milliseconds) }
        }
        integration.sort()
        let acks = appends.map(\.ack).sorted()
        return LoadResult(
            count: appends.count, perSecond: Double(appends.count) / elapsed,
            ack: (OrderStatistics.percentile(acks, 0.5), OrderStatistics.percentile(acks, 0.99)),
            integration: (OrderStatistics.percentile(integration, 0.5), OrderStatistics.percentile(integration, 0.99))
        )
    }

    /// Inclusion proofs for random entries of the latest tree, each verified against its root.
    static func proofRate(log: TransparencyLog, seconds: Double) async throws -> (perSecond: Double, tasks: Int, size: UInt64) {
        let latest = log.latest
        guard latest.size > 0 else { return (0, 0, 0) }
        let tiles = log.tiles
        let tasks = 2
        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var n = 0
                    while ContinuousClock.now < deadline {
                        let index = UInt64.random(in: 0..<latest.size)
                        let proof = try tiles.inclusionProof(index: index, treeSize: latest.size)
                        try MerkleProof.verifyInclusion(leaf: .leaf(try tiles.entry(index)), index: index, size: latest.size, proof: proof, root: latest.root)
                        n += 1
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        return (Double(count) / ((ContinuousClock.now - start).milliseconds / 1_000), tasks, latest.size)
    }

    /// 4 KiB overwrites of a preallocated file, each followed by fdatasync: what one journal
    /// record costs at best on this disk.
    static func fdatasyncRate(directory: URL, seconds: Double) throws -> Double {
        let path = directory.appendingPathComponent("fsync-probe").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw LogError("cannot create \(path)") }
        defer {
            close(fd)
            unlink(path)
        }
        var block = [UInt8](repeating: 0x5A, count: 4_096)
        for offset in stride(from: 0, to: 1 << 20, by: 4_096) { _ = pwrite(fd, &block, 4_096, off_t(offset)) }
        fsync(fd)
        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        var n = 0
        while ContinuousClock.now < deadline {
            block[0] = UInt8(truncatingIfNeeded: n)
            guard pwrite(fd, &block, 4_096, off_t((n % 256) * 4_096)) == 4_096, fdatasync(fd) == 0 else { throw LogError("fdatasync failed") }
            n += 1
        }
        return Double(n) / ((ContinuousClock.now - start).milliseconds / 1_000)
    }

    /// SHA-256 over 1 MiB buffers on one core, in MB/s.
    static func sha256Throughput(seconds: Double) -> Double {
        let buffer = [UInt8](repeating: 0xA5, count: 1 << 20)
        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        var bytes = 0
        var sink: UInt8 = 0
        while ContinuousClock.now < deadline {
            sink ^= SHA256.hash(data: buffer).withUnsafeBytes { $0[0] }
            bytes += buffer.count
        }
        if sink == 0x42 { print("", terminator: "") }
        return Double(bytes) / 1e6 / ((ContinuousClock.now - start).milliseconds / 1_000)
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
