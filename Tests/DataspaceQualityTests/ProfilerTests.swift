import DataspaceCore
@testable import DataspaceQuality
import Foundation
import Testing

/// The streaming profiler on small files whose answers were worked out by hand, on malformed
/// input, and on a file large enough to leave the exact distinct bound.
@Suite struct ProfilerTests {
    func profile(_ text: String, _ format: TabularFormat = .csv, chunk: Int = 7, options: ProfileOptions = ProfileOptions()) throws -> DatasetProfile {
        var profiler = TabularProfiler(format: format, options: options)
        let bytes = Array(text.utf8)
        // Small chunks: every state must survive a chunk boundary.
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            try bytes[start..<end].withUnsafeBytes { try profiler.consume($0) }
            start = end
        }
        return try profiler.finish()
    }

    static let people = """
        id,name,amount,date,phone
        1,张伟,10.5,2024-01-01,13812345678
        2,李娜,20,2024-01-02,13912345678
        3,,30.5,2024-13-01,
        2,李娜,20,2024-01-02,13912345678
        4,王芳,x,2024-01-04,020-87654321

        """

    @Test func aHandCheckedFile() throws {
        let p = try profile(Self.people)
        #expect(p.rows == 5)
        #expect(p.duplicateRows == 1)
        #expect(p.raggedRows == 0)
        #expect(p.columns.map(\.name) == ["id", "name", "amount", "date", "phone"])
        let id = p.columns[0], name = p.columns[1], amount = p.columns[2], date = p.columns[3], phone = p.columns[4]
        #expect(id.inferredType == .integer && id.distinct == 4 && id.distinctExact)
        #expect(id.minimum == .number(1) && id.maximum == .number(4))
        #expect(name.nulls == 1 && name.nonNull == 4 && name.distinct == 3)
        #expect(name.sensitive.first { $0.kind == .personName }?.count == 4)
        #expect(amount.types == [.decimal: 2, .integer: 2, .string: 1])
        #expect(amount.inferredType == .string)  // 4 of 5 numeric is not 99.9 %
        #expect(amount.mean == 20.25)
        #expect(abs((amount.standardDeviation ?? 0) - 8.1701) < 0.0001)  // sample s.d. of 10.5, 20, 30.5, 20
        #expect(date.types == [.date: 4, .string: 1])  // 2024-13-01 is no date
        #expect(phone.nulls == 1)
        #expect(phone.sensitive.first { $0.kind == .mobile }?.count == 3)
        #expect(phone.sensitive.first { $0.kind == .landline }?.count == 1)
        #expect(phone.topValues.first == ColumnProfile.ValueCount(value: "13912345678", count: 2))
        #expect(phone.patterns.first?.value == "99999999999")
        #expect(name.minLength == 2 && name.maxLength == 2)
        // Redaction removes values of personal columns, keeps counts.
        #expect(phone.redacted.topValues.isEmpty && phone.redacted.minimum == nil && phone.redacted.nulls == 1)
        #expect(id.redacted == id)
    }

    @Test func quotingCRLFAndEmbeddedNewlines() throws {
        let p = try profile("a,b\r\n\"x, \"\"quoted\"\"\",\"line\nbreak\"\r\n,\r\n")
        #expect(p.rows == 2)
        #expect(p.columns[0].topValues.map(\.value).contains("x, \"quoted\""))
        #expect(p.columns[1].topValues.map(\.value).contains("line\nbreak"))
        #expect(p.columns[0].nulls == 1 && p.columns[1].nulls == 1)
        #expect(p.firstProblemLine == nil)
    }

    @Test func raggedRowsAndStrayQuotesAreCountedNotFatal() throws {
        let p = try profile("a,b\n1\n1,2,3\n\"x\"y,2\nab\"c,3\n")
        #expect(p.rows == 4)
        #expect(p.raggedRows == 2)
        #expect(p.columns[1].nulls == 1)  // the short row's missing field
        #expect(p.firstProblemLine == 2)
        #expect(p.columns[0].topValues.map(\.value).contains("xy"))
    }

    @Test func unreadableFilesAreClearErrors() throws {
        #expect(throws: ProfileError.self) { try profile("") }
        let unterminated = #expect(throws: ProfileError.self) { try profile("a,b\n1,\"open\n2,3\n") }
        #expect(unterminated?.description.contains("line 2") == true)
        var profiler = TabularProfiler(format: .csv)
        let invalid: [UInt8] = Array("a,b\n1,".utf8) + [0xFF, 0x0A]
        let error = #expect(throws: ProfileError.self) { try invalid.withUnsafeBytes { try profiler.consume($0) } }
        #expect(error?.line == 2 && error?.description.contains("UTF-8") == true)
        // A header and nothing else is a profile of no rows.
        let empty = try profile("a,b\n")
        #expect(empty.rows == 0 && empty.columns.count == 2 && empty.columns[0].distinct == 0)
    }

    @Test func jsonLinesWithMixedTypesNewKeysAndBadLines() throws {
        let p = try profile("{\"a\":1}\n{\"a\":\"x\",\"b\":true}\nnot json\n[1,2]\n{\"a\":2.5,\"b\":null}\n", .jsonLines)
        #expect(p.rows == 3)
        #expect(p.malformedLines == 2)
        #expect(p.columns.map(\.name) == ["a", "b"])
        let a = p.columns[0], b = p.columns[1]
        #expect(a.types == [.integer: 1, .string: 1, .decimal: 1])
        #expect(b.nulls == 2 && b.types == [.boolean: 1])  // absent in row 1, null in row 3
    }

    @Test func distinctCountsBeyondTheExactBoundAreCloseAndMemoryIsBounded() throws {
        var text = "n,code\n"
        for i in 0..<50_000 { text += "\(i),C\(i % 500)\n" }
        let p = try profile(text, chunk: 65_536)
        let n = p.columns[0], code = p.columns[1]
        #expect(!n.distinctExact)
        #expect(abs(Double(n.distinct) - 50_000) / 50_000 < 0.03, "HyperLogLog estimate \(n.distinct)")
        #expect(code.distinctExact && code.distinct == 500)
        #expect(code.topValues.first?.count == 100 && code.topValuesExact)
        #expect(n.mean == 24_999.5)
        #expect(p.duplicateRows == 0)
    }
}

/// Profiling a file in parallel parts gives the same answers as one sequential pass: quoted
/// newlines near the cuts, duplicates across parts, JSON keys that appear only late.
@Suite struct ParallelProfileTests {
    func write(_ text: String, _ name: String) throws -> String { try Self.write(text, name) }

    static func write(_ text: String, _ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString.prefix(8))-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func compare(_ path: String, _ format: TabularFormat, rules: QualityRules? = nil) throws {
        var sequential = ProfileOptions()
        sequential.parallelThreshold = .max
        let one = try TabularProfiler.profile(path: path, format: format, options: sequential, rules: rules)
        for parts in [2, 3, 7] {
            var parallel = ProfileOptions()
            parallel.parallelThreshold = 0
            parallel.parts = parts
            let many = try TabularProfiler.profile(path: path, format: format, options: parallel, rules: rules)
            Self.expectSameAnswers(many, one, "parts \(parts)")
        }
    }

    /// A profile made in parts agrees with one sequential pass.
    static func expectSameAnswers(_ many: DatasetProfile, _ one: DatasetProfile, _ label: String) {
        // Scores and counts agree; only sample rows of keys repeated across parts are lost
        // (the merged key tables say how many, not which rows).
        #expect(many.quality?.dimensions == one.quality?.dimensions && many.quality?.overall == one.quality?.overall, "quality, \(label)")
        #expect(many.quality?.rules.map { [$0.rule, "\($0.checked)", "\($0.failed)"] } == one.quality?.rules.map { [$0.rule, "\($0.checked)", "\($0.failed)"] })
        #expect(many.quality?.rules.filter { !$0.rule.hasPrefix("unique") } == one.quality?.rules.filter { !$0.rule.hasPrefix("unique") })
        #expect(many.rows == one.rows && many.bytes == one.bytes && many.duplicateRows == one.duplicateRows, "\(label)")
        #expect(many.raggedRows == one.raggedRows && many.malformedLines == one.malformedLines && many.firstProblemLine == one.firstProblemLine)
        #expect(many.columns.map(\.name) == one.columns.map(\.name))
        for (a, b) in zip(many.columns, one.columns) {
            #expect(a.values == b.values && a.nulls == b.nulls && a.types == b.types && a.distinct == b.distinct, "\(a.name) \(label)")
            #expect(a.minimum == b.minimum && a.maximum == b.maximum && a.patterns == b.patterns && a.sensitive == b.sensitive)
            // Top values past the exact bound are approximate (flagged) and depend on the split.
            #expect(a.topValuesExact == b.topValuesExact && (!b.topValuesExact || a.topValues == b.topValues))
            // Pairwise merging of moments rounds differently; the error scales with the values'
            // magnitude (phone numbers ~1e10 around a spread of ~30).
            let scale = max(1, abs(b.mean ?? 0))
            #expect(abs((a.mean ?? 0) - (b.mean ?? 0)) <= 1e-12 * scale)
            #expect(abs((a.standardDeviation ?? 0) - (b.standardDeviation ?? 0)) <= 1e-9 * scale, "\(a.name): \(a.standardDeviation ?? 0) vs \(b.standardDeviation ?? 0)")
        }
    }

    @Test func csvPartsMatchOnePass() throws {
        var text = "id,note,phone\n"
        for i in 0..<3_000 {
            let note = i % 7 == 0 ? "\"line\nbreak, \"\"quoted\"\" \(i % 13)\"" : "n\(i % 50)"
            text += "\(i % 2_000),\(note),1381234\(String(format: "%04d", i % 100))\n"
        }
        text += "1,2\n"  // ragged, near the end
        let path = try write(text, "a.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try compare(path, .csv)
        let rules = try QualityRules.parse(yaml: "columns:\n  id: { type: integer, unique: true, max: 1500 }\n  phone: { regex: '1[3-9][0-9]{9}' }\nchecks: ['id >= phone']\n")
        try compare(path, .csv, rules: rules)
    }

    /// Past the exact bound the distinct count is HyperLogLog's: each part makes its sketch from
    /// its exact table when that fills (or at the merge, if it never did), and the union of the
    /// sketches is the sketch of the whole, so every split gives the sequential estimate.
    @Test func sketchesMadeLateMergeToTheSameEstimate() throws {
        var text = "wide,narrow,edge\n"
        // wide: 30,000 distinct (every part past the bound); edge: 14,000 distinct, so a part
        // of it may stay exact while the merged column is not.
        for i in 0..<30_000 { text += "w\(i * 7_919 % 30_000),n\(i % 40),e\(i % 14_000)\n" }
        let path = try write(text, "wide.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var sequential = ProfileOptions()
        sequential.parallelThreshold = .max
        let one = try TabularProfiler.profile(path: path, format: .csv, options: sequential)
        #expect(one.columns.map(\.distinctExact) == [false, true, false])
        #expect(abs(Double(one.columns[0].distinct) - 30_000) / 30_000 < 0.03)
        #expect(abs(Double(one.columns[2].distinct) - 14_000) / 14_000 < 0.03)
        try compare(path, .csv)
    }

    /// The detectors look at a sample of rows chosen by their content's hash: within the limit,
    /// drawn from the whole file rather than its start, and the same sample — so the same counts —
    /// however many parts the file is cut into, CSV or JSON lines.
    @Test func theDetectorSampleSpansTheFileAndIsTheSameInAnyParts() async throws {
        try await onOwnThread { try Self.detectorSampleSpansTheFile() }
    }

    static func detectorSampleSpansTheFile() throws {
        // 40,000 rows; phone numbers only in the second half.
        var csv = "contact,n\n", jsonl = ""
        for i in 0..<40_000 {
            let contact = i < 20_000 ? "none-\(i)" : "1381234\(String(format: "%04d", i % 10_000))"
            csv += "\(contact),\(i)\n"
            jsonl += "{\"contact\": \"\(contact)\", \"n\": \(i)}\n"
        }
        for (text, format) in [(csv, TabularFormat.csv), (jsonl, .jsonLines)] {
            let path = try write(text, format == .csv ? "detect.csv" : "detect.jsonl")
            defer { try? FileManager.default.removeItem(atPath: path) }
            var options = ProfileOptions()
            options.parallelThreshold = .max
            options.sensitiveCheckLimit = 10_000
            let one = try TabularProfiler.profile(path: path, format: format, options: options)
            let contact = try #require(one.columns.first { $0.name == "contact" })
            let detection = try #require(contact.sensitive.first)
            #expect(detection.kind == .mobile && contact.sensitive.count == 1)
            #expect(detection.checked <= 10_000 && detection.checked >= 2_500, "\(format): \(detection.checked)")
            // The first 10,000 values hold no phone number; the sample finds them in about half.
            #expect(abs(detection.share - 0.5) < 0.05, "\(format): \(detection.share)")
            for parts in [2, 3, 5] {
                options.parallelThreshold = 0
                options.parts = parts
                let many = try TabularProfiler.profile(path: path, format: format, options: options)
                #expect(many.columns.first { $0.name == "contact" }?.sensitive == contact.sensitive, "\(format), \(parts) parts")
            }
        }
    }

    /// Rows that repeat so often that the sample within the limit would be empty are checked at
    /// the level below, past the limit: 30,000 identical rows of a phone number are all checked.
    @Test func heavilyRepeatedRowsStillReachTheDetectors() async throws {
        try await onOwnThread { try Self.heavilyRepeatedRows() }
    }

    static func heavilyRepeatedRows() throws {
        let path = try write("phone,note\n" + String(repeating: "13812345678,same\n", count: 30_000), "repeated.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = ProfileOptions()
        options.sensitiveCheckLimit = 10_000
        for (threshold, parts) in [(Int64.max, 1), (0, 3)] {
            options.parallelThreshold = threshold
            options.parts = parts
            let profile = try TabularProfiler.profile(path: path, format: .csv, options: options)
            let detection = try #require(profile.columns[0].sensitive.first, "\(parts) parts")
            #expect(detection.kind == .mobile && detection.count == 30_000 && detection.checked == 30_000)
        }
    }

    /// Without quoted newlines in its first MiB, a file's cuts are guessed at the next LF after
    /// each target (no read from the start). Here every guess is tested: most of each record is
    /// a quoted field of several lines, so guesses land inside one; the part ending there finds
    /// it, the file is cut again exactly, and the answers are one pass's.
    @Test func guessedCutsInsideQuotedFieldsAreCutAgain() throws {
        var text = "id,note,n\n"
        for i in 0..<2_000 {
            text += "\(i),\"\(String(repeating: "x", count: 60 + i % 40))\nsecond, \"\"quoted\"\"\nthird \(i % 17)\",\(i % 50)\n"
        }
        let path = try write(text, "multiline.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ReadOnlyFile(path: path)
        #expect(try FileSplitter.hasQuotedNewline(in: file, sample: 1 << 20))
        var missed = 0
        for parts in [2, 3, 7] {
            let targets = (1..<parts).map { file.size * Int64($0) / Int64(parts) }
            let guessed = try FileSplitter.newlineCuts(in: file, after: targets, maximumRecord: 1 << 20)
            let exact = try FileSplitter.boundaries(in: file, after: targets, quoted: true, maximumRecord: 1 << 20)
            #expect(guessed?.count == exact?.count)
            if guessed != exact { missed += 1 }
        }
        #expect(missed == 3, "every split guesses at least one cut inside a quoted field")

        let rules = try QualityRules.parse(yaml: "columns:\n  id: { type: integer, unique: true }\n  n: { max: 40 }\n")
        var sequential = ProfileOptions()
        sequential.parallelThreshold = .max
        let one = try TabularProfiler.profile(path: path, format: .csv, options: sequential, rules: rules)
        #expect(one.rows == 2_000 && one.raggedRows == 0)
        for parts in [2, 3, 7] {
            var parallel = ProfileOptions()
            parallel.parallelThreshold = 0
            parallel.parts = parts
            let many = try TabularProfiler.profile(path: path, format: .csv, options: parallel, rules: rules, quoteSample: 0)
            Self.expectSameAnswers(many, one, "guessed cuts, parts \(parts)")
        }
    }

    /// A file whose first MiB has quotes but no newline inside them gets guessed cuts; its
    /// answers are one pass's for every split.
    @Test func guessedCutsOnRecordBoundariesAreKept() throws {
        var text = "id,label\n"
        for i in 0..<3_000 { text += "\(i),\"a, \"\"b\"\" \(i % 90)\"\n" }
        let path = try write(text, "quoted.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try !FileSplitter.hasQuotedNewline(in: ReadOnlyFile(path: path), sample: 1 << 20))
        try compare(path, .csv)
    }

    @Test func jsonLinesPartsMatchOnePass() throws {
        var text = ""
        for i in 0..<2_000 { text += i < 1_500 ? "{\"a\":\(i % 300)}\n" : "{\"a\":\(i % 300),\"late\":\"x\(i % 3)\"}\n" }
        text += "oops\n"
        let path = try write(text, "b.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try compare(path, .jsonLines)
    }
}
