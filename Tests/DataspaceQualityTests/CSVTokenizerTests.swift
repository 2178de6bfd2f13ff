import Foundation
import Testing

@testable import DataspaceQuality

/// The word-at-a-time CSV tokenizer against two references: Python's `csv` module on the same
/// file (every column's values, distinct values, byte-order minimum and maximum, character
/// lengths), and itself fed one byte at a time and in random pieces (every profile equal, so
/// a run never depends on where a chunk ends). The files are random and hostile: quoted
/// commas, quotes and line ends, CRLF and LF mixed, fields longer than the read chunks,
/// multi-byte UTF-8, a text-after-quote problem row.
@Suite("CSV tokenizer")
struct CSVTokenizerTests {
    static func randomField(_ random: inout SeededGenerator) -> String {
        let words = ["alpha", "b", "城市", "Ωmega", "x y", "q", "𝄞clef", "zz"]
        var text = "f" + words[Int(random.next() % UInt64(words.count))]
        switch random.next() % 10 {
        case 0: text += ", with comma"
        case 1: text += " \"quoted\" word"
        case 2: text += "\nsecond line"
        case 3: text += "\r\nwindows line"
        case 4: text += "\r"
        case 5: text += String(repeating: "long-", count: Int(random.next() % 3_000))
        case 6: text += "\(random.next() % 1_000)"
        default: break
        }
        return text
    }

    static func encode(_ field: String) -> String {
        field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    /// Fields of 0–4 bytes: several to a word, so that a word holds commas, an empty field, a
    /// quoted field's opening quote or a line end after a comma at any of its offsets.
    static func shortField(_ random: inout SeededGenerator) -> String {
        let fields = ["", "a", "12", "abc", "d,e", "q\"", "\r\n", "\n", "城", "wxyz"]
        return fields[Int(random.next() % UInt64(fields.count))]
    }

    static func randomFile(seed: UInt64, rows: Int, field: (inout SeededGenerator) -> String = randomField) -> String {
        var random = SeededGenerator(seed: seed)
        var text = "a,b,c,d\r\n"
        for _ in 0..<rows {
            text += (0..<4).map { _ in encode(field(&random)) }.joined(separator: ",")
            text += random.next() % 2 == 0 ? "\n" : "\r\n"
        }
        return text
    }

    static func profile(_ bytes: [UInt8], pieces: (inout SeededGenerator) -> Int, seed: UInt64 = 1) throws -> DatasetProfile {
        var profiler = TabularProfiler(format: .csv)
        var random = SeededGenerator(seed: seed)
        var start = 0
        try bytes.withUnsafeBytes { all in
            while start < all.count {
                let end = min(all.count, start + max(1, pieces(&random)))
                try profiler.consume(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
        return try profiler.finish()
    }

    @Test("a chunk longer than the profiler tokenizes at once is taken in pieces, with the same profile")
    func longChunkInPieces() throws {
        let bytes = Array(Self.randomFile(seed: 9, rows: 300).utf8)
        let whole = try Self.profile(bytes) { _ in bytes.count }
        for largest in [1, 5, 64] {
            var profiler = TabularProfiler(format: .csv)
            profiler.largestChunk = largest
            try bytes.withUnsafeBytes { try profiler.consume($0) }
            #expect(try profiler.finish() == whole, "pieces of \(largest) bytes")
        }
    }

    @Test("fed whole, byte by byte, or in random pieces, a file gives the same profile", arguments: [3 as UInt64, 4, 5])
    func chunkingDoesNotMatter(seed: UInt64) throws {
        var text = Self.randomFile(seed: seed, rows: 400)
        text += "fplain,\"closed\"tail,fx,fy\n"  // text after a closing quote: kept, counted
        text += "fend,\"\",\"a\"\"\",\"\"\"\""  // no final newline; empty and quote-only fields
        let bytes = Array(text.utf8)
        let whole = try Self.profile(bytes) { _ in bytes.count }
        #expect(whole.rows == 402)
        #expect(whole.firstProblemLine != nil)
        #expect(try Self.profile(bytes) { _ in 1 } == whole)
        #expect(try Self.profile(bytes) { _ in 7 } == whole)
        #expect(try Self.profile(bytes, pieces: { Int($0.next() % 300) + 1 }, seed: seed) == whole)
        #expect(try Self.profile(bytes, pieces: { Int($0.next() % 9) + 1 }, seed: seed + 10) == whole)
    }

    @Test("short fields, many to a word, give the same profile fed whole or a byte at a time", arguments: [21 as UInt64, 22, 23])
    func shortFieldsAtEveryOffset(seed: UInt64) throws {
        var text = Self.randomFile(seed: seed, rows: 600, field: Self.shortField)
        // Quoted line ends count as lines: the last line's number.
        let lastLine = text.utf8.filter { $0 == 0x0A }.count + 1
        // A stray quote inside an unquoted field right after a comma, within one word: a problem.
        text += "a,b\"c,,\n"
        let bytes = Array(text.utf8)
        let whole = try Self.profile(bytes) { _ in bytes.count }
        #expect(whole.rows == 601 && whole.raggedRows == 0)
        #expect(whole.firstProblemLine == lastLine)
        #expect(whole.columns.map(\.values) == [601, 601, 601, 601])
        // One byte at a time never takes the word path: the byte-by-byte state machine is the reference.
        #expect(try Self.profile(bytes) { _ in 1 } == whole)
        #expect(try Self.profile(bytes, pieces: { Int($0.next() % 20) + 1 }, seed: seed) == whole)
    }

    static let reference = """
        import csv, json, sys
        with open(sys.argv[1], newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        out = {"rows": len(body), "columns": []}
        for i, name in enumerate(header):
            values = [r[i] for r in body]
            ordered = sorted(values, key=lambda v: v.encode('utf-8'))
            out["columns"].append({"name": name, "values": len(values), "distinct": len(set(values)),
                "min": ordered[0], "max": ordered[-1],
                "minLength": min(len(v) for v in values), "maxLength": max(len(v) for v in values)})
        print(json.dumps(out))
        """

    @Test("fields equal Python's csv module on random hostile files", arguments: [11 as UInt64, 12, 13])
    func matchesPythonCSV(seed: UInt64) throws {
        guard let python = DuckDBCrossCheckTests.python else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI needs Python (Scripts/setup-python.sh)") }
            return
        }
        // Seed 13: short fields, several to a word (none empty: ours counts an empty value as null).
        let text =
            seed == 13
            ? Self.randomFile(seed: seed, rows: 3_000) { random in
                let field = Self.shortField(&random)
                return field.isEmpty ? "e" : field
            } : Self.randomFile(seed: seed, rows: 3_000)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(seed)-\(UUID().uuidString.prefix(8)).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString.prefix(8)).py").path
        try Self.reference.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let (status, output) = try DuckDBCrossCheckTests.run(python, [script, path])
        #expect(status == 0, "\(output)")
        let expected = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        // Read in 1 MiB chunks like a stored file, and with 4 KiB reads so long fields span them.
        for chunk in [1 << 20, 4_096] {
            let profile = try Self.profile(Array(text.utf8)) { _ in chunk }
            #expect(profile.rows == expected?["rows"] as? Int)
            #expect(profile.raggedRows == 0 && profile.firstProblemLine == nil)
            let columns = expected?["columns"] as? [[String: Any]] ?? []
            #expect(columns.count == 4)
            for (ours, theirs) in zip(profile.columns, columns) {
                #expect(ours.name == theirs["name"] as? String)
                #expect(ours.values == theirs["values"] as? Int && ours.nulls == 0)
                #expect(ours.distinct == theirs["distinct"] as? Int && ours.distinctExact, "\(ours.name)")
                // An extreme longer than 256 bytes is reported by its first characters and "…".
                #expect(ours.minimum == .text(keptExtreme(theirs["min"] as? String ?? "")), "\(ours.name) minimum")
                #expect(ours.maximum == .text(keptExtreme(theirs["max"] as? String ?? "")), "\(ours.name) maximum")
                #expect(ours.minLength == theirs["minLength"] as? Int && ours.maxLength == theirs["maxLength"] as? Int, "\(ours.name) lengths")
            }
        }
    }

    @Test("the word search finds the first comma, line end or quote at every offset and alignment")
    func wordSearch() {
        var random = SeededGenerator(seed: 99)
        let alphabet: [UInt8] = [0x2C, 0x0A, 0x0D, 0x22, 0x61, 0x62, 0xE5, 0x80, 0x00, 0xFF, 0x2B, 0x2D, 0x09, 0x21, 0x23]
        for _ in 0..<5_000 {
            let bytes = (0..<Int(random.next() % 40)).map { _ in random.next() % 4 == 0 ? alphabet[Int(random.next() % 15)] : UInt8(truncatingIfNeeded: random.next() % 0x7F + 0x30) }
            bytes.withUnsafeBytes { p in
                for start in 0...bytes.count {
                    guard let base = p.baseAddress else { continue }
                    let field = bytes[start...].firstIndex { [0x2C, 0x0A, 0x0D, 0x22].contains($0) } ?? bytes.count
                    let quoted = bytes[start...].firstIndex { [0x0A, 0x22].contains($0) } ?? bytes.count
                    #expect(ByteScan.fieldEnd(base, from: start, to: bytes.count) == field, "\(bytes) from \(start)")
                    #expect(ByteScan.quotedEnd(base, from: start, to: bytes.count) == quoted, "\(bytes) from \(start)")
                }
            }
        }
    }

    @Test("invalid UTF-8 is refused at its offset and line, also after ASCII runs longer than a word")
    func invalidUTF8() {
        for prefix in ["", "a,b\n", "a,b\nxxxxxxxxxxxxxxxxxxxx,yyyyyyyyyyyyyyyyy\n12345678,"] {
            var bytes = Array(prefix.utf8)
            let offset = bytes.count
            bytes += [0xE5, 0x9F, 0x8E, 0xFF, 0x0A]  // 城's bytes, then a byte UTF-8 never has
            var profiler = TabularProfiler(format: .csv)
            do {
                try bytes.withUnsafeBytes { try profiler.consume($0) }
                Issue.record("accepted invalid UTF-8 after \(prefix.debugDescription)")
            } catch let error as ProfileError {
                #expect(error.description.hasPrefix("invalid UTF-8 at byte offset \(offset + 3)"), "\(error.description)")
                #expect(error.line == 1 + prefix.filter { $0 == "\n" }.count)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
