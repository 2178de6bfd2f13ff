import DataspaceCore
import DataspaceQuality
import Foundation
import Testing

/// The profiler's counts on a generated file with known defects equal what DuckDB computes
/// independently on the same file (rows, nulls, distinct values, duplicate rows, numeric ranges
/// and means, mobile numbers by regular expression). Runs where a Python with duckdb exists;
/// in CI (`CI=true`) it must.
@Suite struct DuckDBCrossCheckTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["DATASPACE_PYTHON"], packageRoot.appendingPathComponent(".build-venv/bin/python").path, "/usr/bin/python3"]
        for candidate in candidates.compactMap({ $0 }) where FileManager.default.isExecutableFile(atPath: candidate) {
            if (try? run(candidate, ["-c", "import duckdb"]))?.status == 0 { return candidate }
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static let script = """
        import duckdb, json, sys
        path = sys.argv[1]
        con = duckdb.connect()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', header=true, all_varchar=true, nullstr='')")
        cols = [r[0] for r in con.execute("DESCRIBE t").fetchall()]
        out = {"rows": con.execute("SELECT count(*) FROM t").fetchone()[0],
               "duplicates": con.execute("SELECT (SELECT count(*) FROM t) - (SELECT count(*) FROM (SELECT DISTINCT * FROM t))").fetchone()[0],
               "columns": {}}
        tokens = "('NULL','null','Null','NA','N/A','n/a','NaN','nan','None','none','\\\\N')"
        for c in cols:
            q = f'"{c}"'
            nulls, distinct, nmin, nmax, navg, numeric, mobiles = con.execute(f'''
              WITH v AS (SELECT CASE WHEN {q} IS NULL OR {q} IN {tokens} THEN NULL ELSE {q} END AS x FROM t)
              SELECT count(*) - count(x), count(DISTINCT x),
                     min(TRY_CAST(x AS DOUBLE)), max(TRY_CAST(x AS DOUBLE)), avg(TRY_CAST(x AS DOUBLE)),
                     count(TRY_CAST(x AS DOUBLE)),
                     count(*) FILTER (WHERE regexp_full_match(x, '1[3-9][0-9]{{9}}'))
              FROM v''').fetchone()
            out["columns"][c] = {"nulls": nulls, "distinct": distinct, "min": nmin, "max": nmax, "mean": navg, "numeric": numeric, "mobiles": mobiles}
        print(json.dumps(out))
        """

    /// 30,000 rows: nulls of several spellings, 1,200 duplicated rows, a mixed-type column,
    /// mobiles with a few broken ones, a high-cardinality column beyond the exact bound excluded
    /// from the distinct check.
    static func generate(to path: String) throws {
        var rng = SystemRandomNumberGenerator()
        var lines = ["station,reading,phone,status,note"]
        var emitted: [String] = []
        for i in 0..<28_800 {
            let station = "GZ\(String(format: "%03d", Int.random(in: 0..<400, using: &rng)))"
            let reading = i % 97 == 0 ? "" : i % 89 == 0 ? "n/a" : i % 83 == 0 ? "bad" : String(format: "%.2f", Double.random(in: -20...480, using: &rng))
            let phone = i % 50 == 0 ? "" : i % 41 == 0 ? "1281234\(String(format: "%04d", i % 10_000))" : "13\(Int.random(in: 0...9, using: &rng))\(String(format: "%08d", Int.random(in: 0..<100_000_000, using: &rng)))"
            let status = ["ok", "ok", "ok", "warn", "NULL", "fail"][i % 6]
            let note = i % 13 == 0 ? "\"含,逗号 \(i % 7)\"" : "n\(i % 300)"
            let line = [station, reading, phone, status, note].joined(separator: ",")
            lines.append(line)
            emitted.append(line)
        }
        for i in 0..<1_200 { lines.append(emitted[(i * 7_919) % emitted.count]) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func countsEqualDuckDBs() throws {
        guard let python = Self.python else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI needs a Python with duckdb (Scripts/setup-python.sh)") }
            return
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crosscheck-\(UUID().uuidString.prefix(8)).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.generate(to: path)
        let ours = try TabularProfiler.profile(path: path, format: .csv)
        let reply = try Self.run(python, ["-c", Self.script, path])
        try #require(reply.status == 0, "\(reply.output)")
        let theirs = try JSONValue.parse(reply.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(Double(ours.rows) == theirs["rows"]?.doubleValue)
        #expect(Double(ours.duplicateRows ?? -1) == theirs["duplicates"]?.doubleValue)
        #expect((ours.duplicateRows ?? 0) >= 1_200 - 10)  // the planted duplicates (random rows may add a few)
        for column in ours.columns {
            let duck = try #require(theirs["columns"]?[column.name])
            #expect(Double(column.nulls) == duck["nulls"]?.doubleValue, "\(column.name) nulls")
            if column.distinctExact { #expect(Double(column.distinct) == duck["distinct"]?.doubleValue, "\(column.name) distinct") }
            let numeric = (column.types[.integer] ?? 0) + (column.types[.decimal] ?? 0)
            #expect(Double(numeric) == duck["numeric"]?.doubleValue, "\(column.name) numeric values")
            if numeric == column.nonNull, numeric > 0, case .number(let lo)? = column.minimum, case .number(let hi)? = column.maximum {
                #expect(lo == duck["min"]?.doubleValue && hi == duck["max"]?.doubleValue, "\(column.name) range")
            }
            if numeric > 0, let mean = column.mean, let duckMean = duck["mean"]?.doubleValue {
                #expect(abs(mean - duckMean) <= 1e-9 * max(1, abs(duckMean)), "\(column.name) mean \(mean) vs \(duckMean)")
            }
            let mobiles = column.sensitive.first { $0.kind == .mobile }?.count ?? 0
            #expect(Double(mobiles) == duck["mobiles"]?.doubleValue, "\(column.name) mobiles")
        }
    }
}
