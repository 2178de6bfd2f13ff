import DataspaceCore
import Foundation
import Testing

/// `dataspace quality` on hostile files, as a separate process whose peak resident memory is read
/// from /proc while it runs: a 2 GB file that is one endless record, an unclosed quote, invalid
/// UTF-8, an empty file, a binary gzip — each ends with a clear error naming the problem and
/// exit 64, memory stays far below the file's size; ragged rows and mixed types give a report.
@Suite(.serialized) struct MalformedInputTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var peakRSS: Int
    }

    /// Runs the CLI, reading its VmHWM (the kernel's peak of its resident memory so far) every
    /// 5 ms while it runs. (`wait4`'s ru_maxrss cannot stand in: a spawned child's count starts
    /// from the parent's peak, the whole test process, which it shares until exec.)
    func quality(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(CLITests.binary))
        process.arguments = ["quality"] + arguments
        // Output goes to files, so nothing has to drain pipes while memory is sampled.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("quality-\(UUID().uuidString.prefix(8))").path
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
        process.standardError = FileHandle(forWritingAtPath: base + ".err")
        try process.run()
        var peak = 0
        let status = "/proc/\(process.processIdentifier)/status"
        while process.isRunning {
            if let text = try? String(contentsOfFile: status, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kb = line.split(separator: " ").compactMap({ Int($0) }).first
            {
                peak = max(peak, kb * 1024)
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        let output = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let errors = FileManager.default.contents(atPath: base + ".err") ?? Data()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self), stderr: String(decoding: errors, as: UTF8.self),
            peakRSS: peak)
    }

    func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("malformed-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test(.enabled(if: CLITests.available)) func aTwoGigabyteEndlessRecordIsRefusedInFlatMemory() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 2 GiB with no line break: sparse on disk, instant to make.
        let path = dir + "/endless.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data("a,b\n1,".utf8))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        let outcome = try quality([path])
        #expect(outcome.status == 64, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("longer than 16 MiB starts on line 2"), "\(outcome.stderr)")
        #expect(outcome.peakRSS < 200_000_000, "peak RSS \(outcome.peakRSS)")
    }

    /// Long distinct values stay out of memory: a column names its top values by their first
    /// 256 bytes, so 3,000 distinct values of 50 KB (150 MB) are profiled in the usual memory.
    @Test(.enabled(if: CLITests.available)) func longDistinctValuesAreNotHeldInMemory() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/long-values.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data("id,text\n".utf8))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        for i in 0..<3_000 {
            // "城市" (6 bytes) repeated, so a cut at 256 bytes falls inside a character.
            try handle.write(contentsOf: Data("\(i),\(i)-\(String(repeating: "城市", count: 8_500))\n".utf8))
        }
        try handle.close()
        let outcome = try quality([path, "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.peakRSS < 150_000_000, "peak RSS \(outcome.peakRSS)")
        let column = try #require(try JSONValue.parse(outcome.stdout)["columns"]?.arrayValue?.first { $0["name"]?.stringValue == "text" })
        #expect(column["distinct"]?.doubleValue == 3_000)
        let top = try #require(column["topValues"]?.arrayValue?.first?["value"]?.stringValue)
        #expect(top.hasSuffix("城市…") && top.utf8.count <= 256 + 3, "\(top.prefix(40))… (\(top.utf8.count) bytes)")
    }

    /// A wide file stays within the bound: 10,000 columns each kept a 16 KiB sketch and empty
    /// tables (a 3 MB file peaked at 317 MB); they now share a tenth of the bound, and the
    /// report says their counts are estimates.
    @Test(.enabled(if: CLITests.available)) func wideFilesStayWithinTheMemoryBound() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/wide.csv"
        var csv = (0..<10_000).map { "c\($0)" }.joined(separator: ",") + "\n"
        for row in 0..<60 { csv += (0..<10_000).map { String(row * 10_000 + $0, radix: 16) }.joined(separator: ",") + "\n" }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = try quality([path, "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.peakRSS < 200_000_000, "peak RSS \(outcome.peakRSS)")
        let report = try JSONValue.parse(outcome.stdout)
        #expect(report["columns"]?.arrayValue?.count == 10_000)
        #expect(report["approximations"]?.arrayValue?.contains { $0.stringValue?.hasPrefix("columns: 10000 of 10000") == true } == true)
    }

    @Test(.enabled(if: CLITests.available)) func malformedFilesGetAClearErrorOrAReport() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ bytes: [UInt8]) -> String {
            let path = dir + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            return path
        }
        // An unclosed quote on line 3 of a 20 MB file.
        var unclosed = Array("id,note\n1,ok\n2,\"never closed\n".utf8)
        unclosed += Array(repeating: UInt8(ascii: "x"), count: 20 << 20)
        let refusals: [(String, String)] = [
            (write("unclosed.csv", unclosed), "quoted field opened on line 3"),
            (write("bad-utf8.csv", Array("a,b\n1,".utf8) + [0xC3, 0x28] + Array("\n".utf8)), "invalid UTF-8"),
            (write("empty.csv", []), "empty"),
            (write("header-only-garbage.csv.gz", [0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02]), "gzip"),
        ]
        for (path, message) in refusals {
            let outcome = try quality([path, "--format", "csv"])
            #expect(outcome.status == 64, "\(path): \(outcome.stderr)")
            #expect(outcome.stderr.contains(message), "\(path): \(outcome.stderr)")
            #expect(outcome.peakRSS < 200_000_000)
        }
        // Ragged rows, stray quotes and mixed types are counted in a report, not fatal.
        let messy = write("messy.csv", Array("id,amount,when\n1,12.5,2024-01-01\n2,abc\n3,7,2024-02-30,extra\n4,\"5\"x,\n".utf8))
        let report = try quality([messy, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try JSONValue.parse(report.stdout)
        #expect(json["rows"]?.doubleValue == 4)
        #expect(json["raggedRows"]?.doubleValue == 2)
        #expect(json["firstProblemLine"]?.doubleValue == 3)
        // JSON lines that are not objects are counted and skipped.
        let lines = write("lines.jsonl", Array("{\"a\":1}\n[1,2]\nnot json\n{\"a\":2,\"b\":\"x\"}\n".utf8))
        let jsonl = try quality([lines, "--json"])
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        #expect(try JSONValue.parse(jsonl.stdout)["malformedLines"]?.doubleValue == 2)
    }
}
