import ArgumentParser
import DataspaceApplication
import DataspaceCore
import DataspacePrivacy
import Foundation

/// `dataspace bench dp`: a differentially private `GROUP BY` with `COUNT` and `SUM` over many rows
/// on the engine the provider answers with, against the same query's exact totals on the same
/// store (what the noise costs) and against OpenDP on Polars computing the same release on the
/// same file (docs/privacy.md).
struct DPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dp", abstract: "Benchmark a differentially private GROUP BY SUM/COUNT: noise's cost on our engine, and OpenDP on Polars.")

    @Option(help: "Rows of the generated file (each row its own privacy unit).") var rows: Int = 10_000_000
    @Option(help: "ε of the release.") var epsilon: String = "1.0"
    @Option(help: "Times each query runs; the median is reported.") var repeats: Int = 5
    @Option(help: "Python with opendp installed (Benchmarks/dp-peer.sh makes one); omit to skip the peer.") var python: String?

    static let districts = (1...16).map { String(format: "4401%02d", $0) }
    static let sql = "SELECT district, COUNT(*) AS visits, SUM(cost) AS total FROM data GROUP BY district"

    func run() async throws {
        guard rows > 0, repeats > 0, let amount = PrivacyAmount(decimal: epsilon), amount > .zero else {
            throw ValidationError("--rows and --repeats must be positive and --epsilon a positive decimal")
        }
        let root = NSTemporaryDirectory() + "dataspace-bench-dp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/visits.csv"
        print("writing \(rows) rows to \(path) …")
        try Self.writeRows(rows, to: path)
        let schema = ComputeSchema(bounds: ["cost": try ColumnBounds(parsing: "0:5000")], publicKeys: ["district"])
        print("building the query store (once per product version) …")
        let buildStart = ContinuousClock.now
        let store = try Self.store(path: path, schema: schema)
        let build = (ContinuousClock.now - buildStart).milliseconds / 1_000
        // What a node that did not build the store pays at its first query: reading the file
        // the store was saved to at publish time (written here, outside the timing).
        let files = try QueryStoreFiles(root: URL(fileURLWithPath: root + "/querystores"))
        let name = String(repeating: "0", count: 64)
        try await files.save(store, sha256: name)
        let loadStart = ContinuousClock.now
        guard let loaded = await files.load(sha256: name, schema: schema), loaded.rowCount == store.rowCount else {
            throw ValidationError("the saved query store did not read back")
        }
        let load = (ContinuousClock.now - loadStart).milliseconds / 1_000
        let engine = PrivateQueryEngine(store: store)
        let plan = try engine.plan(try PrivateQueryParser.parse(Self.sql), loss: .pure(epsilon: amount), delta: .zero)
        print("running \(Self.sql) \(repeats) times with noise and \(repeats) times without …")
        var noisy: [Double] = [], exact: [Double] = []
        var answer: PrivateAnswer?
        var totals: [[String]] = []
        for _ in 0..<repeats {
            let t0 = ContinuousClock.now
            totals = engine.exactTotals(plan)
            exact.append((ContinuousClock.now - t0).milliseconds / 1_000)
            var random = SystemRandomNumberGenerator()
            let t1 = ContinuousClock.now
            answer = engine.answer(plan, using: &random)
            noisy.append((ContinuousClock.now - t1).milliseconds / 1_000)
        }
        let ours = OrderStatistics.median(noisy), baseline = OrderStatistics.median(exact)
        var row = [
            "\(rows)", String(format: "%.1f", build), String(format: "%.2f", load), String(format: "%.3f", baseline), String(format: "%.3f", ours), String(format: "%.2f×", ours / baseline),
        ]
        var summary: [String: JSONValue] = [
            "rows": .number(Double(rows)), "epsilon": .string(amount.description), "storeBuildSeconds": .number(build), "storeLoadSeconds": .number(load),
            "exactSeconds": .number(baseline), "noisySeconds": .number(ours), "groups": .number(Double(answer?.rows.count ?? 0)),
        ]
        if let python {
            let peer = try PythonPeer.run(python: python, script: "dp_peer.py", arguments: [path, amount.description, String(repeats)], label: "OpenDP on Polars")
            guard peer["groups"]?.intValue == Self.districts.count else {
                throw ValidationError("OpenDP released \(peer["groups"]?.intValue ?? -1) groups, not \(Self.districts.count)")
            }
            let seconds = peer["seconds"]?.doubleValue ?? .nan
            row += [String(format: "%.3f", seconds), String(format: "%.1f×", seconds / ours), peer["opendp"]?.stringValue ?? "?"]
            summary["peerSeconds"] = .number(seconds)
            summary["peerLoadSeconds"] = peer["loadSeconds"]
            summary["peerVersion"] = peer["opendp"]
        } else {
            row += ["—", "—", "—"]
        }
        print("")
        if let counts = totals.first {
            // Public keys enumerate every value a key column holds (the empty one only if it occurs).
            print("exact counts over \(answer?.rows.count ?? 0) districts sum to \(counts.compactMap { Int($0) }.reduce(0, +)) rows")
        }
        printTable(["ROWS", "STORE BUILD S", "STORE LOAD S", "EXACT S", "WITH NOISE S", "NOISE COST", "OPENDP S", "SPEED-UP", "OPENDP"], [row])
        print("\n" + JSONValue.object(summary).encodedString())
    }

    /// `resident,district,cost`: 16 districts, whole costs 0…5000 from a fixed seed.
    static func writeRows(_ count: Int, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot write \(path)")
        }
        defer { try? handle.close() }
        var random = SeededRandom(seed: 2026)
        var chunk = "resident,district,cost\n"
        chunk.reserveCapacity(1 << 22)
        for i in 0..<count {
            chunk += "R\(i),\(districts[Int(random.next() % 16)]),\(random.next() % 5_001)\n"
            if chunk.utf8.count >= 1 << 22 {
                try handle.write(contentsOf: Data(chunk.utf8))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: Data(chunk.utf8))
    }

    static func store(path: String, schema: ComputeSchema) throws -> QueryStore {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
        defer { try? handle.close() }
        var builder = QueryStoreBuilder(schema: schema)
        var reader = CSVRecordReader()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            try chunk.withUnsafeBytes { raw in try reader.feed(raw) { try builder.add($0) } }
        }
        try reader.finish { try builder.add($0) }
        var random = SystemRandomNumberGenerator()
        return try builder.build(using: &random)
    }
}
