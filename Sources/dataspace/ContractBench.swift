import ArgumentParser
import DataspaceCore
import DataspacePostgres
import DataspaceServer
import Foundation

/// `dataspace bench negotiation`: complete DSP negotiations (request → agreement → verification →
/// finalized) between two real nodes on loopback, started through the management API.
struct NegotiationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "negotiation", abstract: "Benchmark complete contract negotiations between two nodes.")

    @Option(help: "Negotiations per concurrency level.") var count: Int = 500
    @Option(help: "Comma-separated numbers of concurrent negotiations.") var concurrency: String = "1,16"
    @Option(
        help: ArgumentHelp(
            "Also run on this PostgreSQL server (each node a database of its own, dropped afterwards) and print the ratio to SQLite.",
            valueName: "postgres://…")) var postgres: String?

    func run() async throws {
        try await runReporting {
            let server = try postgres.map { try PostgresLocation(url: $0, field: "postgres") }
            let sqlite = try await measure(store: "sqlite", postgres: nil)
            guard let server else { return }
            let other = try await measure(store: "postgres", postgres: server)
            print("")
            var rows: [[String]] = []
            for (level, s) in sqlite.sorted(by: { $0.key < $1.key }) {
                guard let p = other[level] else { continue }
                rows.append([
                    String(level), String(format: "%.1f", s.rate), String(format: "%.1f", p.rate), String(format: "%.2f", s.p50), String(format: "%.2f", p.p50),
                    String(format: "%.2f×", p.p50 / max(s.p50, 0.001)), String(format: "%.2f", s.p99), String(format: "%.2f", p.p99),
                ])
            }
            printTable(["CONCURRENT", "SQLITE /S", "POSTGRES /S", "SQLITE P50", "POSTGRES P50", "P50 RATIO", "SQLITE P99", "POSTGRES P99"], rows)
        }
    }

    struct Level {
        var rate: Double
        var p50: Double
        var p99: Double
    }

    /// Runs every concurrency level on a fresh network over one store; prints a table and JSON.
    func measure(store: String, postgres: PostgresLocation?) async throws -> [Int: Level] {
        print("— nodes on \(postgres.map { "PostgreSQL \($0)" } ?? "SQLite") —")
        let net = try await BenchNetwork.start(postgres: postgres)
        var results: [Int: Level] = [:]
        do {
            let csv = net.root + "/air.csv"
            try "station,aqi\nGZ001,42\nGZ002,57\n".write(toFile: csv, atomically: true, encoding: .utf8)
            let record = try await net.provider.publish(file: csv, metadata: [
                "title": "广州市空气质量", "description": "AQI", "sector": "green-low-carbon",
                "policy": ["permission": [["action": "use", "constraint": [["leftOperand": "purpose", "operator": "isA", "rightOperand": "research"]]]]],
            ])
            let dataset = record["identifier"]?.stringValue ?? ""
            let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
            var rows: [[String]] = []
            var summary: [String: JSONValue] = [:]
            for level in levels {
                // Warm-up: connections, DID documents, JIT-free but caches matter.
                _ = try await negotiate(net, dataset)
                print("running \(count) negotiations, \(level) at a time …")
                let start = ContinuousClock.now
                let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                    for worker in 0..<level {
                        let share = count / level + (worker < count % level ? 1 : 0)
                        group.addTask {
                            var mine: [Double] = []
                            for _ in 0..<share { mine.append(try await negotiate(net, dataset)) }
                            return mine
                        }
                    }
                    var all: [Double] = []
                    for try await part in group { all += part }
                    return all.sorted()
                }
                let wall = (ContinuousClock.now - start).milliseconds / 1_000
                let p50 = OrderStatistics.percentile(latencies, 0.5), p99 = OrderStatistics.percentile(latencies, 0.99)
                let rate = Double(latencies.count) / wall
                rows.append([String(level), String(latencies.count), String(format: "%.1f", rate), String(format: "%.2f", p50), String(format: "%.2f", p99)])
                summary["c\(level)"] = ["negotiationsPerSecond": .number(rate), "p50ms": .number(p50), "p99ms": .number(p99)]
                results[level] = Level(rate: rate, p50: p50, p99: p99)
            }
            print("")
            printTable(["CONCURRENT", "NEGOTIATIONS", "PER SECOND", "P50 MS", "P99 MS"], rows)
            summary["store"] = .string(store)
            print("\n" + JSONValue.object(summary).encodedString())
        } catch {
            await net.stop()
            throw error
        }
        await net.stop()
        return results
    }

    /// One negotiation from the consumer's API call to FINALIZED, in milliseconds.
    func negotiate(_ net: BenchNetwork, _ dataset: String) async throws -> Double {
        let start = ContinuousClock.now
        let started = try await net.consumer.call(
            ManagementAPI.negotiate, json: ["provider": .string(net.providerURL), "dataset": .string(dataset), "purpose": "research"])
        let id = started["id"]?.stringValue ?? ""
        let n = try await net.consumer.call(ManagementAPI.showNegotiation, id, query: ["wait": "60"])
        guard n["state"]?.stringValue == "FINALIZED" else { throw PeerError("negotiation \(id) ended \(n["state"]?.stringValue ?? "?"): \(n["reasons"] ?? .null)") }
        return (ContinuousClock.now - start).milliseconds
    }
}

/// `dataspace bench transfer`: HTTP-pull throughput of the data plane for a large file against
/// nginx serving the same file on loopback, both fetched by curl, and the node's peak memory.
struct TransferBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transfer", abstract: "Benchmark the data plane against nginx on the same file.")

    @Option(help: "File size in MiB.") var sizeMb: Int = 1_024
    @Option(help: "Downloads per server.") var runs: Int = 3
    @Option(help: "nginx binary; omit to skip the peer.") var nginx: String?
    @Flag(help: "Publish with a watermark: every delivery rewrites the file, marking each decimal value for its agreement.")
    var watermark = false

    func run() async throws {
        try await runReporting {
            let net = try await BenchNetwork.start()
            var nginxProcess: Process?
            do {
                let file = net.root + "/big.csv"
                print("writing a \(sizeMb) MiB CSV …")
                try writeCSV(file, bytes: Int64(sizeMb) << 20, decimals: watermark)
                print("publishing it (streamed, validated, hashed) …")
                var metadata: [String: JSONValue] = ["title": "大文件 Large file", "description": "throughput", "sector": "transport"]
                if watermark { metadata["protection"] = ["watermark": true] }
                let record = try await net.provider.publish(file: file, metadata: .object(metadata))
                try? FileManager.default.removeItem(atPath: file)
                let dataset = record["identifier"]?.stringValue ?? ""
                let sha = record["distribution"]?["sha256"]?.stringValue ?? ""
                let started = try await net.consumer.call(
                    ManagementAPI.negotiate, json: ["provider": .string(net.providerURL), "dataset": .string(dataset), "purpose": "research"])
                let n = try await net.consumer.call(ManagementAPI.showNegotiation, started["id"]?.stringValue ?? "", query: ["wait": "30"])
                guard let agreement = n["agreement"]?["id"]?.stringValue else { throw PeerError("negotiation failed: \(n)") }

                let before = memory()
                var ours: [Double] = []
                for _ in 0..<runs {
                    let t = try await net.consumer.call(ManagementAPI.startTransfer, json: ["agreement": .string(agreement)])
                    let s = try await net.consumer.call(ManagementAPI.showTransfer, t["id"]?.stringValue ?? "", query: ["wait": "30"])
                    guard let endpoint = s["dataAddress"]?["endpoint"]?.stringValue, let token = s["dataAddress"]?["token"]?.stringValue else {
                        throw PeerError("transfer did not start: \(s)")
                    }
                    ours.append(try curl(endpoint, headers: ["Authorization: Bearer \(token)"]))
                    _ = try await net.consumer.call(ManagementAPI.completeTransfer, t["id"]?.stringValue ?? "")
                }
                let after = memory()
                var rows = [row(watermark ? "dataspace data plane, every decimal value watermarked" : "dataspace data plane (token, policy check, usage record)", ours)]
                var summary: [String: JSONValue] = [
                    "oursMBps": .number(OrderStatistics.median(ours)), "peakRSSBeforeMB": .number(before.peak), "peakRSSAfterMB": .number(after.peak),
                    "rssAfterMB": .number(after.current),
                ]
                if let nginx, let blob = net.nodes[1].catalog.blobs.localPath(sha) {
                    let port = LoopbackPorts.free(count: 1).first ?? 8099
                    let conf = net.root + "/nginx.conf"
                    let directory = (blob as NSString).deletingLastPathComponent
                    // Blobs are private to the node's user; an nginx started by root must read them as root.
                    let user = getuid() == 0 ? "user root;\n" : ""
                    try """
                    \(user)worker_processes 1;
                    daemon off;
                    error_log \(net.root)/nginx-error.log;
                    pid \(net.root)/nginx.pid;
                    events { worker_connections 64; }
                    http {
                      access_log off;
                      sendfile on;
                      tcp_nopush on;
                      client_body_temp_path \(net.root)/nginx-tmp;
                      proxy_temp_path \(net.root)/nginx-tmp;
                      fastcgi_temp_path \(net.root)/nginx-tmp;
                      uwsgi_temp_path \(net.root)/nginx-tmp;
                      scgi_temp_path \(net.root)/nginx-tmp;
                      server { listen 127.0.0.1:\(port); root \(directory); }
                    }
                    """.write(toFile: conf, atomically: true, encoding: .utf8)
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: nginx)
                    process.arguments = ["-c", conf, "-p", net.root]
                    process.standardError = FileHandle.nullDevice
                    try process.run()
                    nginxProcess = process
                    try await Task.sleep(for: .milliseconds(300))
                    var peer: [Double] = []
                    let url = "http://127.0.0.1:\(port)/" + (blob as NSString).lastPathComponent
                    for _ in 0..<runs { peer.append(try curl(url, headers: [])) }
                    rows.append(row("nginx 1 worker, sendfile", peer))
                    summary["nginxMBps"] = .number(OrderStatistics.median(peer))
                    summary["ratio"] = .number((OrderStatistics.median(ours) / OrderStatistics.median(peer) * 100).rounded() / 100)
                }
                print("")
                printTable(["SERVER", "MEDIAN MB/S", "MIN MB/S", "MAX MB/S"], rows, maxWidth: 70)
                print(String(format: "\nnode peak RSS: %.1f MB before the transfers, %.1f MB after %d × %d MiB (current %.1f MB)", before.peak, after.peak, runs, sizeMb, after.current))
                if let ratio = summary["ratio"]?.doubleValue { print("ours / nginx = \(ratio)") }
                print("\n" + JSONValue.object(summary).encodedString())
            } catch {
                nginxProcess?.terminate()
                await net.stop()
                throw error
            }
            nginxProcess?.terminate()
            await net.stop()
        }
    }

    func row(_ name: String, _ values: [Double]) -> [String] {
        [name, String(format: "%.0f", OrderStatistics.median(values)), String(format: "%.0f", values.min() ?? 0), String(format: "%.0f", values.max() ?? 0)]
    }

    /// Downloads with curl to /dev/null; returns MB/s (10^6 bytes).
    func curl(_ url: String, headers: [String]) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-f", "-o", "/dev/null", "-w", "%{speed_download} %{size_download}"] + headers.flatMap { ["-H", $0] } + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let parts = out.split(separator: " ")
        guard process.terminationStatus == 0, parts.count == 2, let speed = Double(parts[0]) else {
            throw PeerError("curl \(url) failed (exit \(process.terminationStatus))")
        }
        return speed / 1e6
    }

    /// Peak and current resident memory of this process, in MB.
    func memory() -> (peak: Double, current: Double) {
        let m = processMemory()
        return (Double(m.peak) / 1_048_576, Double(m.current) / 1_048_576)
    }

    /// A CSV of about `bytes`; with `decimals`, its speeds are written with one decimal (each
    /// then carries a watermark bit).
    func writeCSV(_ path: String, bytes: Int64, decimals: Bool = false) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw PeerError("cannot write \(path)") }
        defer { try? handle.close() }
        try handle.write(contentsOf: Data("segment,flow,speed,note\n".utf8))
        var chunk = ""
        var row = 0
        var written: Int64 = 0
        while written < bytes {
            chunk.removeAll(keepingCapacity: true)
            for _ in 0..<10_000 {
                chunk += "S\(row),\(row % 977),\(row % 120)\(decimals ? ".\(row % 10)" : ""),观测记录 observation \(row % 31)\n"
                row += 1
            }
            let data = Data(chunk.utf8)
            try handle.write(contentsOf: data)
            written += Int64(data.count)
        }
    }
}
