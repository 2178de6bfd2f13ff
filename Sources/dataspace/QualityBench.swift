import ArgumentParser
import DataspaceCore
import DataspaceServer
import Foundation

/// `dataspace bench quality`: profile plus six rules plus duplicate rows on a generated 1 GB CSV
/// (10M rows, 12 columns), ours and the peers in one run on the same file — DuckDB `SUMMARIZE`,
/// DuckDB's rules in one scan (with and without duplicate rows), Great Expectations on pandas
/// (on the first `--ge-rows` rows, reported per million rows) — with peak memory, and every
/// engine's failure counts checked against ours.
struct QualityBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quality", abstract: "Profiling and rules vs DuckDB and Great Expectations (BENCHMARKS.md).")

    @Option(help: "Data rows in the main file.") var rows = 10_000_000
    @Option(name: .customLong("ge-rows"), help: "Rows Great Expectations validates (pandas holds them all in memory).") var geRows = 1_000_000
    @Option(help: "Directory for the generated files (kept for reruns).") var dir = NSTemporaryDirectory() + "dataspace-quality-bench"
    @Option(help: "Python with duckdb, pandas, pyarrow and great-expectations (Benchmarks/quality-peer.sh makes one).") var python: String?
    @Flag(name: .customLong("skip-ge"), help: "Leave Great Expectations out.") var skipGE = false
    @Option(help: "Times ours and DuckDB's one-scan rules run, taking turns, and ours and Great Expectations on the small file; medians are compared (1, 3, 5, 7 or 9).") var runs = 1

    func validate() throws {
        guard (1...9).contains(runs), runs % 2 == 1 else {
            throw ValidationError("--runs takes 1, 3, 5, 7 or 9: an odd count has one middle run, whose figures are compared (each run of the pair takes about 20 s)")
        }
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let big = dir + "/bench-\(rows).csv", small = dir + "/bench-\(geRows).csv", rulesPath = dir + "/quality.yaml"
        try QualityBenchData.rules.write(toFile: rulesPath, atomically: true, encoding: .utf8)
        for (path, n) in [(big, rows), (small, geRows)] where !FileManager.default.fileExists(atPath: path) {
            print("generating \(path) (\(n) rows) …")
            let bar = ProgressBar(label: "rows")
            try QualityBenchData.write(rows: n, to: path + ".tmp") { bar.update(Int64($0), Int64(n)) }
            try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        }
        let bytes = (try FileManager.default.attributesOfItem(atPath: big)[.size] as? NSNumber)?.int64Value ?? 0
        let mb = Double(bytes) / 1_000_000
        print("file: \(big), \(String(format: "%.0f", mb)) MB, \(rows) rows + duplicates, 12 columns")

        // Warm the page cache so every engine reads from memory (the small file too: read cold,
        // ours paid the disk — 4 s for 110 MB here — and Great Expectations, after it, did not).
        _ = try Self.capture("/bin/cat", [big], discard: true)
        _ = try Self.capture("/bin/cat", [small], discard: true)
        // Ours and the closest peer take turns, so that a slow spell of the machine falls on both.
        var oursRuns: [Run] = [], duckRuns: [JSONValue] = []
        for turn in 1...runs {
            print("running ours: dataspace quality --rules (profile, six rules, duplicate rows)\(runs > 1 ? ", run \(turn) of \(runs)" : "") …")
            oursRuns.append(try Self.ours(big, rules: rulesPath))
            if let python {
                duckRuns.append(try PythonPeer.run(python: python, script: "quality_peers.py", arguments: ["rules", big], label: "DuckDB six rules + duplicate rows, one scan"))
            }
        }
        let ours = Self.median(oursRuns, by: \.seconds)
        // Ours on the small file as often, its median against Great Expectations' (below).
        var smallRuns: [Run] = []
        for _ in 1...runs { smallRuns.append(try Self.ours(small, rules: rulesPath)) }
        let oursSmall = Self.median(smallRuns, by: \.seconds)

        var rowsOut: [[String]] = [
            ["dataspace quality (profile + 6 rules + duplicates)", Self.s(ours.seconds) + Self.spread(oursRuns.map(\.seconds)), Self.mbps(mb, ours.seconds), Self.mem(ours.peak), "1.00"]
        ]
        var duck: JSONValue?
        if let python {
            let summarize = try PythonPeer.run(python: python, script: "quality_peers.py", arguments: ["summarize", big], label: "DuckDB SUMMARIZE")
            let rules = Self.median(duckRuns) { $0["seconds"]?.doubleValue ?? 0 }
            let rulesNoDup = try PythonPeer.run(python: python, script: "quality_peers.py", arguments: ["rules", big, "--no-duplicates"], label: "DuckDB six rules")
            duck = rules["counts"]
            for (label, r) in [("DuckDB SUMMARIZE", summarize), ("DuckDB 6 rules + duplicates (one scan)", rules), ("DuckDB 6 rules, no duplicates", rulesNoDup)] {
                let seconds = r["seconds"]?.doubleValue ?? 0
                let spread = label.contains("one scan") ? Self.spread(duckRuns.map { $0["seconds"]?.doubleValue ?? 0 }) : ""
                rowsOut.append([label, Self.s(seconds) + spread, Self.mbps(mb, seconds), Self.mem((r["peakBytes"]?.intValue ?? 0)), String(format: "%.2f", seconds / ours.seconds)])
            }
            if !skipGE {
                var geRuns: [JSONValue] = []
                for turn in 1...runs {
                    geRuns.append(try PythonPeer.run(python: python, script: "quality_peers.py", arguments: ["ge", small],
                        label: "Great Expectations \(geRows) rows\(runs > 1 ? ", run \(turn) of \(runs)" : "")"))
                }
                let ge = Self.median(geRuns) { $0["seconds"]?.doubleValue ?? 0 }
                let perMillion = (ge["seconds"]?.doubleValue ?? 0) / Double(geRows) * 1_000_000
                let oursPerMillion = oursSmall.seconds / Double(geRows) * 1_000_000
                rowsOut.append([
                    "Great Expectations \(ge["version"]?.stringValue ?? ""), pandas \(ge["pandas"]?.stringValue ?? "") (\(ge["strings"]?.stringValue ?? "?") text), per 1M rows",
                    Self.s(perMillion) + "/1M" + Self.spread(geRuns.map { ($0["seconds"]?.doubleValue ?? 0) / Double(geRows) * 1_000_000 }),
                    "", Self.mem((ge["peakBytes"]?.intValue ?? 0)), String(format: "%.1f", perMillion / oursPerMillion),
                ])
                rowsOut.append([
                    "dataspace quality on the same \(geRows) rows, per 1M rows",
                    Self.s(oursPerMillion) + "/1M" + Self.spread(smallRuns.map { $0.seconds / Double(geRows) * 1_000_000 }), "", Self.mem(oursSmall.peak), "",
                ])
                try Self.compareGE(ge["counts"], ours: oursSmall.report)
            }
        } else {
            print("(no --python: peers skipped; Benchmarks/quality-peer.sh installs them)")
        }
        if runs > 1 { print("ours and DuckDB's one scan ran \(runs) times each, taking turns, and ours and Great Expectations \(runs) times each on the small file: medians, (fastest–slowest)") }
        printTable(["engine", "seconds", "MB/s", "peak memory", "time ÷ ours"], rowsOut, maxWidth: 72)
        if let duck { try Self.compareDuckDB(duck, ours: ours.report) }
    }

    struct Run {
        var seconds: Double
        var peak: Int
        var report: JSONValue
    }

    static func ours(_ file: String, rules: String) throws -> Run {
        let started = ContinuousClock.now
        let output = try capture(CommandLine.arguments[0], ["quality", file, "--rules", rules, "--json"])
        let seconds = (ContinuousClock.now - started).milliseconds / 1_000
        let json = try JSONValue.parse(output)
        return Run(seconds: seconds, peak: (json["peakMemoryBytes"]?.intValue ?? 0), report: json)
    }

    /// Our failure counts in the peers' names.
    static func ourCounts(_ report: JSONValue) -> [String: Int] {
        var counts: [String: Int] = ["rows": (report["rows"]?.intValue ?? 0), "duplicate_rows": (report["duplicateRows"]?.intValue ?? -1)]
        let names = [
            "reading: min 0": "reading_min", "reading: max 500": "reading_max", "city: enum": "city_enum", "station: regex": "station_regex",
            "unique (id)": "id_unique", "end_ts >= start_ts": "check_end_after_start",
        ]
        for rule in report["quality"]?["rules"]?.arrayValue ?? [] {
            if let name = rule["rule"]?.stringValue, let key = names[name] { counts[key] = (rule["failed"]?.intValue ?? 0) }
        }
        let reading = report["columns"]?.arrayValue?.first { $0["name"]?.stringValue == "reading" }
        counts["reading_required"] = (reading?["nulls"]?.intValue ?? -1)
        return counts
    }

    static func compareDuckDB(_ duck: JSONValue, ours report: JSONValue) throws {
        let ours = ourCounts(report)
        var rows: [[String]] = []
        var mismatches = 0
        for key in ["rows", "reading_required", "reading_min", "reading_max", "city_enum", "station_regex", "id_unique", "check_end_after_start", "duplicate_rows"] {
            let theirs = (duck[key]?.intValue ?? -1)
            let mine = ours[key] ?? -1
            if theirs != mine { mismatches += 1 }
            rows.append([key, String(mine), String(theirs), theirs == mine ? "=" : "DIFFERENT"])
        }
        print("\nfailure counts, ours vs DuckDB:")
        printTable(["count", "ours", "DuckDB", ""], rows)
        if mismatches > 0 { throw PeerError("\(mismatches) counts differ from DuckDB's") }
    }

    static func compareGE(_ ge: JSONValue?, ours report: JSONValue) throws {
        let ours = ourCounts(report)
        let pairs: [(String, String, Int)] = [
            ("expect_column_values_to_not_be_null:reading", "reading nulls", ours["reading_required"] ?? -1),
            ("expect_column_values_to_be_between:reading", "reading outside 0…500", (ours["reading_min"] ?? 0) + (ours["reading_max"] ?? 0)),
            ("expect_column_values_to_be_in_set:city", "city not in set", ours["city_enum"] ?? -1),
            ("expect_column_values_to_match_regex:station", "station not matching", ours["station_regex"] ?? -1),
            ("expect_column_pair_values_a_to_be_greater_than_b:end_ts", "end before start", ours["check_end_after_start"] ?? -1),
        ]
        var rows: [[String]] = []
        for (key, label, mine) in pairs {
            let theirs = ge?[key]?.doubleValue.map { Int($0) } ?? -1
            rows.append([label, String(mine), String(theirs), theirs == mine ? "=" : "DIFFERENT"])
        }
        // GE counts every row of a repeated key or compound key as unexpected, not the repeats.
        let uniqueGE = ge?["expect_column_values_to_be_unique:id"]?.doubleValue.map { Int($0) } ?? -1
        rows.append(["id repeated (GE counts both rows of a pair)", String(ours["id_unique"] ?? -1), String(uniqueGE), uniqueGE == 2 * (ours["id_unique"] ?? 0) ? "= (×2)" : "DIFFERENT"])
        print("\nfailure counts on the \((report["rows"]?.intValue ?? 0))-row file, ours vs Great Expectations:")
        printTable(["count", "ours", "GE", ""], rows)
    }

    static func capture(_ executable: String, _ arguments: [String], discard: Bool = false) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = discard ? FileHandle.nullDevice : pipe
        try process.run()
        let data = discard ? Data() : pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PeerError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)") }
        return data
    }

    static func s(_ seconds: Double) -> String { String(format: "%.2f", seconds) }

    /// The middle run by `key` (`--runs` is odd, so there is one: an upper middle of an even
    /// count would have reported the slower of two middle runs, a lower middle the faster).
    static func median<T>(_ runs: [T], by key: (T) -> Double) -> T {
        let sorted = runs.sorted { key($0) < key($1) }
        return sorted[sorted.count / 2]
    }

    /// " (fastest–slowest)" of several runs; nothing for one.
    static func spread(_ seconds: [Double]) -> String {
        guard seconds.count > 1, let low = seconds.min(), let high = seconds.max() else { return "" }
        return " (\(s(low))–\(s(high)))"
    }
    static func mbps(_ mb: Double, _ seconds: Double) -> String { String(format: "%.0f", mb / seconds) }
    static func mem(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1_000_000) }
}
