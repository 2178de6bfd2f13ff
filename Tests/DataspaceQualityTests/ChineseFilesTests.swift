import DataspaceCore
import Foundation
import Testing

@testable import DataspaceQuality

/// Files as they come from Chinese offices: GBK/GB18030 and BOM-marked UTF-8 from Excel, `;`
/// tab and `|` separators, timestamps without a zone, mistyped identity numbers.
@Suite struct ChineseFilesTests {
    static let utf8Comma = "站点,名称,时间,数值\nGZ001,\"广州,天河\",2026-11-01 08:00,42\nGZ002,越秀区,2026/11/01 09:30:00,57\n"
    static let semicolons = "站点;名称;时间;数值\nGZ001;广州,天河;2026-11-01 08:00;42\nGZ002;越秀区;2026/11/01 09:30:00;57\n"

    /// The text in GB18030, converted by the system's iconv (a peer implementation).
    static func gb18030(_ text: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        process.arguments = ["-f", "UTF-8", "-t", "GB18030"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // Written from another thread: a large text would fill the pipe while nobody reads.
        let data = Data(text.utf8)
        DispatchQueue.global().async {
            input.fileHandleForWriting.write(data)
            try? input.fileHandleForWriting.close()
        }
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(bytes)
    }

    /// Runs the normalizer over `bytes` in chunks of `chunk` bytes.
    static func normalize(_ bytes: [UInt8], chunk: Int, encoding: SourceEncoding? = nil, delimiter: UInt8? = nil) throws -> ([UInt8], SourceForm?) {
        var normalizer = TabularNormalizer(format: .csv, encoding: encoding, delimiter: delimiter)
        var out: [UInt8] = []
        var start = 0
        while start < bytes.count {
            out += try normalizer.feed(Array(bytes[start..<min(bytes.count, start + chunk)]))
            start += chunk
        }
        out += try normalizer.finish()
        return (out, normalizer.form)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1 << 20])
    func gb18030WithSemicolonsBecomesItsUTF8CommaTwinForAnyChunking(_ chunk: Int) throws {
        let source = try Self.gb18030(Self.semicolons)
        #expect(source != Array(Self.semicolons.utf8), "iconv produced GB18030 bytes")
        let (out, form) = try Self.normalize(source, chunk: chunk)
        #expect(String(decoding: out, as: UTF8.self) == Self.utf8Comma)
        #expect(form == SourceForm(encoding: .gb18030, delimiter: UInt8(ascii: ";")))
    }

    @Test func canonicalFilesPassThroughUntouchedAndMarksAreRemoved() throws {
        let (same, form) = try Self.normalize(Array(Self.utf8Comma.utf8), chunk: 5)
        #expect(same == Array(Self.utf8Comma.utf8) && form?.isCanonical == true)
        let (unmarked, marked) = try Self.normalize([0xEF, 0xBB, 0xBF] + Array(Self.utf8Comma.utf8), chunk: 2)
        #expect(unmarked == Array(Self.utf8Comma.utf8) && marked?.encoding == .utf8BOM)
        // Excel's "Unicode text": UTF-16LE with a mark, tab-separated.
        let tabbed = Self.semicolons.replacingOccurrences(of: ";", with: "\t")
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in tabbed.utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let (converted, utf16Form) = try Self.normalize(utf16, chunk: 3)
        #expect(String(decoding: converted, as: UTF8.self) == Self.utf8Comma)
        #expect(utf16Form == SourceForm(encoding: .utf16LE, delimiter: 0x09))
    }

    @Test func delimitersAreFoundByConsistentSplitsAndQuotesAreKept() throws {
        #expect(TabularNormalizer.detectDelimiter(Array("a|b|c\n1|2|3\n".utf8)) == UInt8(ascii: "|"))
        #expect(TabularNormalizer.detectDelimiter(Array("a,b\n\"x;y\",2\n".utf8)) == UInt8(ascii: ","))
        // Decimal commas inside a semicolon file do not fool it.
        #expect(TabularNormalizer.detectDelimiter(Array("a;b;c\n1,5;2,5;x\n3,0;4,0;y\n".utf8)) == UInt8(ascii: ";"))
        #expect(TabularNormalizer.detectDelimiter(Array("only\n1\n".utf8)) == UInt8(ascii: ","))
        let quoted = "a;b\n\"x;\"\"y\"\";z\";2\nplain,comma;3\n"
        let (out, _) = try Self.normalize(Array(quoted.utf8), chunk: 4)
        #expect(String(decoding: out, as: UTF8.self) == "a,b\n\"x;\"\"y\"\";z\",2\n\"plain,comma\",3\n")
        // A stray quote inside an unquoted field that now needs quotes is doubled.
        let (stray, _) = try Self.normalize(Array("a;b\n5\"x,y;2\n".utf8), chunk: 2, delimiter: UInt8(ascii: ";"))
        #expect(String(decoding: stray, as: UTF8.self) == "a,b\n\"5\"\"x,y\",2\n")
        // Given explicitly, the delimiter is not guessed.
        let (given, form) = try Self.normalize(Array("a|b\n1|2\n".utf8), chunk: 3, delimiter: UInt8(ascii: ";"))
        #expect(String(decoding: given, as: UTF8.self) == "a|b\n1|2\n" && form?.delimiter == UInt8(ascii: ";"))
    }

    @Test func bytesThatAreNeitherUTF8NorGB18030AreRefusedWithTheirOffset() throws {
        // 0xFF never occurs in GB18030.
        let bad: [UInt8] = Array("a,b\n".utf8) + [0xB9, 0xE3, 0xFF, 0x0A]
        #expect(TabularNormalizer.detectEncoding(bad, complete: true) == .gb18030)
        do {
            _ = try Self.normalize(bad, chunk: 2)
            Issue.record("invalid GB18030 accepted")
        } catch let error as SourceFormError {
            #expect(error.byteOffset == 4 && error.message.contains("invalid UTF-8 at byte offset 4, and not GB18030 either (byte offset 6)"), "\(error)")
            #expect(error.message.contains("--encoding"), "\(error.message)")
        }
    }

    @Test func zonelessTimestampsAreReadInTheConfiguredZone() throws {
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let expected = try #require(ISO8601.parseDateTime("2026-11-01T00:00:00Z"))
        for text in ["2026-11-01 08:00", "2026/11/01 08:00:00", "2026-11-01T08:00:00", "2026.11.01 08:00", "202611010800", "20261101080000", "2026-11-01 08:00:00.250"] {
            let parsed = LocalTimestamp.parse(text, zone: shanghai)
            #expect(parsed.map { abs($0.timeIntervalSince(expected)) < 1 } == true, "\(text) → \(String(describing: parsed))")
        }
        #expect(LocalTimestamp.parse("20261101", zone: shanghai) == ISO8601.parseDateTime("2026-10-31T16:00:00Z"))
        #expect(LocalTimestamp.parse("2026-11-01T08:00:00+00:00", zone: shanghai) == ISO8601.parseDateTime("2026-11-01T08:00:00Z"))
        for bad in ["2026-13-01 08:00", "2026-02-30", "2026-11-01 25:00", "2026-11-01x08:00", "1e300", "2026-11-01 08", ""] {
            #expect(LocalTimestamp.parse(bad, zone: shanghai) == nil, "\(bad)")
        }
    }

    @Test func freshnessReadsZonelessTimestamps() throws {
        var rules = try QualityRules.parse(yaml: "freshness: { column: 时间, interval: PT2H }\n")
        rules.implied = false
        var options = ProfileOptions()
        options.now = ISO8601.parseDateTime("2026-11-01T02:00:00Z")  // 10:00 in Shanghai
        var profiler = TabularProfiler(format: .csv, options: options, rules: rules)
        try Array(Self.utf8Comma.utf8).withUnsafeBytes { try profiler.consume($0) }
        let report = try #require(try profiler.finish().quality)
        // The newest reading, 09:30 Shanghai time, is half an hour old: fresh.
        #expect(report.score(.timeliness) == 1, "\(report.dimensions)")
    }

    @Test func mistypedIdentityNumbersAreValidityFailuresNotOtherIdentifiers() throws {
        let valid = ["11010519491231002X", "440106198001010019", "110105197001010011", "440103199001011236", "440305199203056786"]
        // The same numbers with the check character changed: they still look like ID numbers.
        let mistyped = ["110105194912310021", "440106198001010010"]
        let csv = "name,id_number\n" + (valid + mistyped).enumerated().map { "p\($0.offset),\($0.element)" }.joined(separator: "\n") + "\n"
        var profiler = TabularProfiler(format: .csv)
        try Array(csv.utf8).withUnsafeBytes { try profiler.consume($0) }
        let profile = try profiler.finish()
        let column = try #require(profile.columns.first { $0.name == "id_number" })
        #expect(column.mistypedResidentIDs == 2)
        #expect(column.sensitive.map(\.kind) == [.residentID], "\(column.sensitive)")
        let report = try #require(profile.quality)
        let rule = try #require(report.rules.first { $0.rule == "id_number: resident-id check character" })
        #expect(rule.checked == 7 && rule.failed == 2)
        #expect((report.score(.validity) ?? 1) < 1)
    }
}
