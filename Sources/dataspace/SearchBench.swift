import ArgumentParser
import AsyncHTTPClient
import DataspaceCatalog
import DataspaceCore
import DataspaceServer
import DataspaceSQLite
import Foundation
import Logging
import ServiceLifecycle

/// `dataspace bench search`: catalog search latency in-process and through the HTTP API, against
/// tantivy (Python) on the same corpus and queries, in one run. See BENCHMARKS.md.
struct SearchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Benchmark catalog search against tantivy.")

    @Option(help: "Number of generated products.") var products: Int = 100_000
    @Option(help: "Number of timed queries.") var queries: Int = 2_000
    @Option(help: "Queries whose result counts are checked against a brute-force scan.") var verify: Int = 60
    @Flag(name: .customLong("no-http"), help: "Skip the HTTP measurement.") var noHTTP = false
    @Option(help: "Python with tantivy installed (Benchmarks/search-peer.sh sets one up); omit to skip the peer.") var python: String?
    @Option(help: "Directory for the corpus files handed to the peer.") var work: String = NSTemporaryDirectory() + "dataspace-bench"

    func run() async throws {
        try await runReporting {
            print("generating \(products) products …")
            let docs = BenchCorpus.documents(count: products)
            let qs = BenchCorpus.queries(count: queries)

            let index = SearchIndex()
            let buildStart = ContinuousClock.now
            index.upsert(contentsOf: docs)
            let buildTime = ContinuousClock.now - buildStart
            print("indexed in \(buildTime)")

            // Exactness: every verified query's total equals the brute-force count.
            let scannable = BenchCorpus.scannable(docs)
            let expectedCounts = qs.prefix(verify).map { BenchCorpus.referenceCount($0, in: scannable) }
            var mismatches = 0
            for (q, expected) in zip(qs.prefix(verify), expectedCounts) {
                let got = index.search(SearchQuery(text: q.text, sector: q.sector)).total
                if got != expected {
                    mismatches += 1
                    printError("mismatch for '\(q.text)': index \(got), scan \(expected)")
                }
            }
            print("exactness: \(verify - mismatches)/\(verify) queries equal a brute-force scan")

            // In-process: warm up, then time each query.
            for q in qs.prefix(100) { _ = index.search(SearchQuery(text: q.text, sector: q.sector)) }
            var inProcess: [Double] = []
            var totalHits = 0
            for q in qs {
                let t0 = ContinuousClock.now
                let r = index.search(SearchQuery(text: q.text, sector: q.sector))
                inProcess.append((ContinuousClock.now - t0).milliseconds)
                totalHits += r.total
            }
            var rows: [[String]] = [row("dataspace in-process", inProcess)]
            var summary: [String: JSONValue] = ["products": .number(Double(products)), "queries": .number(Double(queries)), "inProcess": stats(inProcess)]

            if !noHTTP {
                let http = try await measureHTTP(docs: docs, queries: qs)
                rows.append(row("dataspace HTTP API", http))
                summary["http"] = stats(http)
            }
            if let python {
                let peer = try runPeer(python: python, docs: docs, queries: qs)
                rows.append(row("tantivy in-process, with facets", peer.latencies))
                rows.append(row("tantivy in-process, search only", peer.searchOnly))
                summary["tantivy"] = stats(peer.latencies)
                summary["tantivySearchOnly"] = stats(peer.searchOnly)
                let mismatched = zip(expectedCounts, peer.counts).filter { expected, got in expected != got }.count
                print("tantivy exactness: \(verify - mismatched)/\(verify) queries equal a brute-force scan")
                summary["tantivyExact"] = .number(Double(verify - mismatched))
            }
            print("")
            printTable(["engine (\(products) products, \(queries) queries)", "p50 ms", "p99 ms", "mean ms"], rows)
            if let http = summary["http"]?["p99"]?.doubleValue, let peer = summary["tantivy"]?["p99"]?.doubleValue,
                let bare = summary["tantivySearchOnly"]?["p99"]?.doubleValue
            {
                print(String(format: "\nHTTP p99 / tantivy in-process p99 = %.2f with facets, %.2f against search only (goal ≤ 1.00)", http / peer, http / bare))
            }
            print("mean hits per query: \(totalHits / max(qs.count, 1))")
            print(JSONValue.object(summary).encodedString())
        }
    }

    func row(_ name: String, _ samples: [Double]) -> [String] {
        let s = samples.sorted()
        return [name, String(format: "%.3f", OrderStatistics.percentile(s, 0.5)), String(format: "%.3f", OrderStatistics.percentile(s, 0.99)), String(format: "%.3f", s.reduce(0, +) / Double(max(s.count, 1)))]
    }

    func stats(_ samples: [Double]) -> JSONValue {
        let s = samples.sorted()
        return ["p50": .number(OrderStatistics.percentile(s, 0.5)), "p99": .number(OrderStatistics.percentile(s, 0.99)), "mean": .number(s.reduce(0, +) / Double(max(s.count, 1)))]
    }

    /// Starts a real node on loopback with the corpus in its SQLite store and times GET /api/v1/search.
    func measureHTTP(docs: [SearchDocument], queries qs: [BenchCorpus.Query]) async throws -> [Double] {
        let dir = work + "/node"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let port = LoopbackPorts.free(count: 1).first ?? 18_443
        let credit = try CreditCode.completing("91440106MA5CXK3P7")
        let configuration = NodeConfiguration(
            name: "bench", creditCode: credit, region: try RegionCode("440100"), sector: .urbanGovernance, host: "127.0.0.1", port: port,
            publicURL: "http://127.0.0.1:\(port)", isAuthority: false, autoApprove: false, authorityURL: nil, authorityDID: nil,
            ipv6Prefix: try IPv6Prefix("fd86::/64"), maxUploadBytes: 1 << 30, revocationCacheSeconds: 30, logLevel: "error", logFormat: "text", allowLoopbackPeers: true)
        try NodeDirectory(path: dir).initialize(configuration: configuration)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let services = try await NodeServices.open(directory: NodeDirectory(path: dir), logger: logger)
        print("loading \(docs.count) records into the node's SQLite …")
        let publisher = services.catalog.publisher
        let records = BenchCorpus.records(docs, publisher: publisher)
        for start in stride(from: 0, to: records.count, by: 10_000) {
            try await services.store.insertFirstVersions(Array(records[start..<min(start + 10_000, records.count)]))
        }
        try await NodeApplication.prepare(services)
        let app = try NodeApplication.build(services: services)
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }
        let client = ManagementClient(baseURL: configuration.publicURL, adminToken: services.adminToken)
        try await client.waitUntilHealthy()
        func path(_ q: BenchCorpus.Query) -> String {
            var p = "/api/v1/search?q=" + (q.text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            if let s = q.sector { p += "&sector=\(s.rawValue)" }
            return p
        }
        for q in qs.prefix(100) { _ = try await client.call(.GET, path(q)) }
        var latencies: [Double] = []
        for q in qs {
            let t0 = ContinuousClock.now
            _ = try await client.call(.GET, path(q))
            latencies.append((ContinuousClock.now - t0).milliseconds)
        }
        await group.triggerGracefulShutdown()
        return latencies
    }

    /// Writes corpus and queries as JSON lines and runs Benchmarks/tantivy_search.py on them.
    func runPeer(python: String, docs: [SearchDocument], queries qs: [BenchCorpus.Query]) throws -> (latencies: [Double], searchOnly: [Double], counts: [Int]) {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let corpusPath = work + "/corpus.jsonl", queriesPath = work + "/queries.jsonl"
        var corpus = Data()
        for d in docs {
            let line: JSONValue = [
                "id": .string(d.identifier.description), "title": .string(d.title), "description": .string(d.description),
                "keywords": .string(d.keywords.joined(separator: " ")), "sector": .string(d.sector.rawValue),
            ]
            corpus.append(line.encoded())
            corpus.append(0x0A)
        }
        try corpus.write(to: URL(fileURLWithPath: corpusPath))
        var queryData = Data()
        for q in qs {
            var o: [String: JSONValue] = ["q": .string(q.text)]
            if let s = q.sector { o["sector"] = .string(s.rawValue) }
            queryData.append(JSONValue.object(o).encoded())
            queryData.append(0x0A)
        }
        try queryData.write(to: URL(fileURLWithPath: queriesPath))
        let json = try PythonPeer.run(python: python, script: "tantivy_search.py", arguments: [corpusPath, queriesPath], label: "tantivy peer")
        let latencies = json["latencies_ms"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let searchOnly = json["search_only_ms"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let counts = json["counts"]?.arrayValue?.compactMap(\.doubleValue).map { Int($0) } ?? []
        return (latencies, searchOnly, counts)
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
