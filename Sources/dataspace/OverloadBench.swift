import ArgumentParser
import AsyncHTTPClient
import DataspaceCore
import DataspaceServer
import Foundation

/// Floods a provider's public search page with wrk from its own client address ([::1])
/// at many times what the node can serve, while the node's monitoring polls `/healthz` and a
/// member keeps negotiating contracts from 127.0.0.1. First measures what the node serves on
/// that page without a rate limit, on a network of its own, so the flood's size is a ratio.
struct OverloadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overload", abstract: "Overload the public face with wrk; measure /healthz and negotiations meanwhile.")

    @Option(help: "Seconds of load in each phase.") var seconds: Int = 15
    @Option(help: "wrk connections during the flood.") var connections: Int = 400
    @Option(help: "The provider's per-client limit, requests a second (burst is twice that).") var rate: Int = 100
    @Option(help: "The wrk binary.") var wrk: String = "/usr/bin/wrk"
    @Flag(help: "Print JSON.") var json = false

    struct WrkResult {
        var requestsPerSecond: Double
        var non2xx: Int
        var total: Int
    }

    func run() async throws {
        try await runReporting {
            guard FileManager.default.isExecutableFile(atPath: wrk) else {
                throw ValidationError("wrk not found at \(wrk); install it (apt-get install wrk) or pass --wrk PATH")
            }
            // Phase 1: what the node serves on the page with no limit.
            let open = try await BenchNetwork.start(listenAll: true)
            let capacity: WrkResult
            do {
                try await populate(open)
                let url = "http://[::1]:\(open.nodes[1].configuration.port)/?q=%E7%A9%BA%E6%B0%94"
                log("measuring capacity: wrk -c 32 -d \(seconds)s \(url)")
                capacity = try runWrk(url: url, connections: 32, seconds: seconds)
            } catch {
                await open.stop()
                throw error
            }
            await open.stop()

            // Phase 2: the same page, rate-limited, flooded by many more connections.
            let net = try await BenchNetwork.start(providerLimit: (rate, 2 * rate), listenAll: true)
            do {
                try await populate(net)
                let dataset = try await publishOpenProduct(net)
                let url = "http://[::1]:\(net.nodes[1].configuration.port)/?q=%E7%A9%BA%E6%B0%94"
                log("flooding: wrk -c \(connections) -d \(seconds)s \(url) while negotiating and polling /healthz")
                let deadline = Date().addingTimeInterval(Double(seconds))
                async let health = pollHealth(net.nodes[1].configuration.publicURL + "/healthz", until: deadline)
                async let negotiations = negotiate(net, dataset: dataset, until: deadline)
                let flood = try runWrk(url: url, connections: connections, seconds: seconds)
                let latencies = await health
                let (completed, failed) = await negotiations
                let sorted = latencies.sorted()
                func pct(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
                let served = Double(flood.total - flood.non2xx) / Double(seconds)
                let summary: JSONValue = [
                    "capacityRequestsPerSecond": .number(capacity.requestsPerSecond.rounded()),
                    "offeredRequestsPerSecond": .number(flood.requestsPerSecond.rounded()),
                    "offeredOverCapacity": .number((flood.requestsPerSecond / capacity.requestsPerSecond * 10).rounded() / 10),
                    "served2xxPerSecond": .number(served.rounded()), "refused": .number(Double(flood.non2xx)),
                    "healthzChecks": .number(Double(sorted.count)), "healthzP50ms": .number((pct(0.5) * 10).rounded() / 10),
                    "healthzP99ms": .number((pct(0.99) * 10).rounded() / 10), "healthzFailures": .number(Double(latencies.filter { $0.isInfinite }.count)),
                    "negotiationsCompleted": .number(Double(completed)), "negotiationsFailed": .number(Double(failed)),
                    "rateLimit": .number(Double(rate)), "connections": .number(Double(connections)), "seconds": .number(Double(seconds)),
                ]
                if json {
                    printJSON(summary)
                } else {
                    printTable(
                        ["measure", "value"],
                        [
                            ["capacity, /?q=空气 without a limit", String(format: "%.0f req/s", capacity.requestsPerSecond)],
                            ["offered during the flood (wrk, \(connections) connections)", String(format: "%.0f req/s", flood.requestsPerSecond)],
                            ["offered / capacity", String(format: "%.1f×", flood.requestsPerSecond / capacity.requestsPerSecond)],
                            ["served 2xx during the flood", String(format: "%.0f req/s", served)],
                            ["refused (429) during the flood", "\(flood.non2xx)"],
                            ["/healthz p50 / p99 during the flood", String(format: "%.1f / %.1f ms (%d checks)", pct(0.5), pct(0.99), sorted.count)],
                            ["negotiations completed / failed during the flood", "\(completed) / \(failed)"],
                        ])
                }
            } catch {
                await net.stop()
                throw error
            }
            await net.stop()
        }
    }

    func log(_ text: String) {
        if !json { print(text) }
    }

    /// 50 small products on the provider, so the search page has work to do.
    func populate(_ net: BenchNetwork) async throws {
        for i in 0..<50 {
            let path = net.root + "/p\(i).csv"
            try "station,aqi\nGZ\(i),\(i)\n".write(toFile: path, atomically: true, encoding: .utf8)
            _ = try await net.provider.publish(
                file: path, metadata: ["title": .string("空气质量 \(i)"), "description": "逐小时AQI", "sector": "green-low-carbon"])
        }
    }

    func publishOpenProduct(_ net: BenchNetwork) async throws -> String {
        let path = net.root + "/open.csv"
        try "station,aqi\nGZ1,1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let record = try await net.provider.publish(file: path, metadata: ["title": "开放数据 Open", "description": "open", "sector": "transport"])
        // The consumer's registration (applied at start) must be approved before it negotiates.
        _ = try await net.consumer.call(ManagementAPI.refreshMembership)
        return record["identifier"]?.stringValue ?? ""
    }

    func runWrk(url: String, connections: Int, seconds: Int) throws -> WrkResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = ["-t", "2", "-c", String(connections), "-d", "\(seconds)s", "--latency", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        func number(after label: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
            return line.split(separator: " ").compactMap { Double($0) }.first
        }
        guard let rps = number(after: "Requests/sec:") else { throw ValidationError("wrk printed no rate:\n\(text)") }
        let total = text.split(separator: "\n").first { $0.contains("requests in") }.flatMap { $0.split(separator: " ").compactMap { Int($0) }.first } ?? 0
        let non2xx = Int(number(after: "Non-2xx or 3xx responses:") ?? 0)
        return WrkResult(requestsPerSecond: rps, non2xx: non2xx, total: total)
    }

    /// Latency of `/healthz` in milliseconds every 20 ms (infinity for a failed check).
    func pollHealth(_ url: String, until deadline: Date) async -> [Double] {
        var latencies: [Double] = []
        while Date() < deadline {
            let start = ContinuousClock.now
            var ok = false
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5)) {
                ok = response.status == .ok
                _ = try? await response.body.collect(upTo: 1 << 16)
            }
            let elapsed = ContinuousClock.now - start
            latencies.append(ok ? Double(elapsed.components.attoseconds) * 1e-15 + Double(elapsed.components.seconds) * 1e3 : .infinity)
            try? await Task.sleep(for: .milliseconds(20))
        }
        return latencies
    }

    /// Negotiations the consumer completes, one after another, until the deadline.
    func negotiate(_ net: BenchNetwork, dataset: String, until deadline: Date) async -> (completed: Int, failed: Int) {
        var completed = 0
        var failed = 0
        while Date() < deadline {
            do {
                let started = try await net.consumer.call(
                    ManagementAPI.negotiate, json: ["provider": .string(net.providerURL), "dataset": .string(dataset), "purpose": "research"])
                let n = try await net.consumer.call(ManagementAPI.showNegotiation, started["id"]?.stringValue ?? "", query: ["wait": "20"])
                if n["state"]?.stringValue == "FINALIZED" { completed += 1 } else { failed += 1 }
            } catch {
                failed += 1
            }
        }
        return (completed, failed)
    }
}
