import DataspaceCore
import DataspaceQuality
import Foundation
import Testing

/// The trace's value sample, read as the leaked file arrives: the same values as splitting the
/// whole text into lines and fields (the reference below, as the trace did before, at about 25
/// bytes of memory per input byte), whatever the chunks; it stops at its limit.
@Suite struct WatermarkSampleTests {
    /// The reference: the whole text read into records and fields at once (RFC 4180: a field
    /// opening with a quote runs to the closing quote, "" being one quote, text after it kept),
    /// the first record that is not blank being the header.
    static func referenceValues(csv: String) -> [String] {
        let bytes = Array(csv.utf8)
        // Each record, and whether it is blank (one unquoted field of nothing but carriage returns).
        var records: [(fields: [[UInt8]], blank: Bool)] = []
        var record: [[UInt8]] = []
        var blank = true
        var i = 0
        while i < bytes.count {
            var field: [UInt8] = []
            if bytes[i] == 0x22 {
                blank = false
                i += 1
                while i < bytes.count {
                    if bytes[i] == 0x22 {
                        if i + 1 < bytes.count, bytes[i + 1] == 0x22 {
                            field.append(0x22)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    field.append(bytes[i])
                    i += 1
                }
            }
            while i < bytes.count, bytes[i] != 0x2C, bytes[i] != 0x0A {
                field.append(bytes[i])
                i += 1
            }
            record.append(field)
            blank = blank && field.allSatisfy { $0 == 0x0D }
            if i < bytes.count, bytes[i] == 0x2C { blank = false }
            if i == bytes.count || bytes[i] == 0x0A {
                records.append((record, blank))
                record = []
                blank = true
            }
            i += 1
        }
        // A text ending in a comma: its last record ends with an empty field.
        if !record.isEmpty { records.append((record + [[]], false)) }
        var out: [String] = []
        for line in records.drop(while: { $0.blank }).dropFirst() {
            for field in line.fields {
                var f = field[...]
                while let c = f.first, c == 0x22 || c == 0x20 { f = f.dropFirst() }
                while let c = f.last, c == 0x22 || c == 0x20 || c == 0x0D { f = f.dropLast() }
                let text = String(decoding: f, as: UTF8.self)
                if isDecimal(text[...]) { out.append(text) }
            }
        }
        return out
    }

    /// The reference for JSON lines: string contents (to their closing quote or the line's end)
    /// blotted out, then the text split at punctuation and white space.
    static func referenceValues(jsonLines: String) -> [String] {
        var bytes = Array(jsonLines.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x22 {
                i += 1
                while i < bytes.count, bytes[i] != 0x22, bytes[i] != 0x0A {
                    let escape = bytes[i] == 0x5C && i + 1 < bytes.count && bytes[i + 1] != 0x0A
                    bytes[i] = 0x78
                    if escape { bytes[i + 1] = 0x78; i += 1 }
                    i += 1
                }
            }
            i += 1
        }
        return bytes.split(whereSeparator: { Array(",:{}[] \t\r\n".utf8).contains($0) })
            .map { String(decoding: $0, as: UTF8.self) }.filter { isDecimal($0[...]) }
    }

    /// The first of each group of values sharing their text before the last digit (one trial).
    static func distinct(_ values: [String]) -> [String] {
        var seen = Set<Substring>()
        return values.filter { seen.insert($0.dropLast()).inserted }
    }

    /// Sign, digits, a point, digits — as the watermark marks.
    static func isDecimal(_ text: Substring) -> Bool {
        let body = text.first == "-" || text.first == "+" ? text.dropFirst() : text
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// The values of `text` fed in pieces cut at random places (inside tokens, between CR and LF).
    static func sampled(_ text: String, format: TabularFormat, limit: Int = .max, generator: inout SeededRandom) -> [String] {
        sample(text, format: format, limit: limit, generator: &generator).values.map(String.init)
    }

    static func randomText(_ generator: inout SeededRandom, json: Bool) -> String {
        let pieces =
            json
            ? [
                "{", "}", "[", "]", ":", ",", " ", "\t", "\r", "\n", "\"a\"", "\"1.5\"", "12.5", "-0.25", "+3.0", "7", "1.2.3", ".5", "5.", "x",
                "\"", "\"b 2.5, 3.5\"", "\\", "\\\"", "\"c\\\" 4.5\"",
            ]
            : [
                ",", "\n", "\r\n", "\"", " ", "12.5", "-0.25", "+3.0", "7", "1.2.3", ".5", "5.", "name", "\"4.75\"", " 8.125 ", "", "\n\n",
                "\"a, 2.5\"", "\"\"", "\"x\"\"1.5\"", "\"6.5\n7.5\"",
            ]
        return (0..<Int.random(in: 0...300, using: &generator)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &generator)] }.joined()
    }

    @Test func matchesTheWholeTextSplitWhateverTheChunks() {
        var generator = SeededRandom(seed: 7)
        for _ in 0..<2_000 {
            let csv = Self.randomText(&generator, json: false)
            #expect(Self.sampled(csv, format: .csv, generator: &generator) == Self.distinct(Self.referenceValues(csv: csv)), "\(csv.debugDescription)")
            let jsonl = Self.randomText(&generator, json: true)
            #expect(
                Self.sampled(jsonl, format: .jsonLines, generator: &generator) == Self.distinct(Self.referenceValues(jsonLines: jsonl)), "\(jsonl.debugDescription)")
        }
    }

    @Test func theHeaderIsTheFirstLineThatIsNotBlankAndTheLastLineNeedsNoLineEnd() {
        var generator = SeededRandom(seed: 8)
        #expect(Self.sampled("\n\r\n1.5,2.5\n3.5,4.5", format: .csv, generator: &generator) == ["3.5", "4.5"])
        #expect(Self.sampled("1.5,2.5", format: .csv, generator: &generator) == [])
        #expect(Self.sampled("{\"a\":1.5}\n{\"a\":2.5}", format: .jsonLines, generator: &generator) == ["1.5", "2.5"])
        // A file saved with Windows line ends (as Excel writes CSV) is traced like any other.
        #expect(Self.sampled("pm25,no2\r\n1.5,2.5\r\n3.5,4.5\r\n", format: .csv, generator: &generator) == ["1.5", "2.5", "3.5", "4.5"])
        #expect(Watermark.values(csv: "pm25\r\n1.5\r\n").map(String.init) == ["1.5"])
    }

    @Test func stopsAtItsLimitAndIgnoresOverlongTokens() {
        var generator = SeededRandom(seed: 9)
        let csv = "v\n" + (0..<1_000).map { "\($0).5" }.joined(separator: "\n") + "\n"
        let first = Self.sampled(csv, format: .csv, limit: 10, generator: &generator)
        #expect(first == (0..<10).map { "\($0).5" })
        // Copies of a value are one trial and do not use up the limit; so are values sharing
        // their text before the last digit (1.23 with 1.25: "1.2"; 1.2 with 1.5: "1.").
        let repeated = "v\n" + String(repeating: "1.5\n", count: 100) + "1.25\n1.23\n1.2\n" + (2..<20).map { "\($0).5" }.joined(separator: "\n")
        #expect(Self.sampled(repeated, format: .csv, limit: 5, generator: &generator) == ["1.5", "1.25", "2.5", "3.5", "4.5"])
        // Reading stops after 64 values per value wanted, copies included: a body of one value
        // repeated costs a bounded number of look-ups.
        let copies = { (count: Int) in "v\n" + String(repeating: "1.5\n", count: count) + "2.5\n" }
        #expect(Self.sampled(copies(5 * 64 - 1), format: .csv, limit: 5, generator: &generator) == ["1.5", "2.5"])
        #expect(Self.sampled(copies(5 * 64), format: .csv, limit: 5, generator: &generator) == ["1.5"])
        // A 2,000-digit number is no marked value; the short ones around it still count.
        let long = "1." + String(repeating: "7", count: 2_000)
        #expect(Self.sampled("v\n0.5," + long + ",2.5\n", format: .csv, generator: &generator) == ["0.5", "2.5"])
        #expect(Self.referenceValues(csv: "v\n" + long + "\n") == [long], "the reference would keep it")
        var full = WatermarkSample(format: .csv, limit: 0)
        #expect(full.isFull)
        Array("v\n1.5\n".utf8).withUnsafeBytes { full.feed($0) }
        full.finish()
        #expect(full.values.isEmpty)
    }

    /// The sample of `text` fed in pieces cut at random places.
    static func sample(_ text: String, format: TabularFormat, limit: Int = .max, generator: inout SeededRandom) -> WatermarkSample {
        var sample = WatermarkSample(format: format, limit: limit)
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Int.random(in: 1...64, using: &generator))
            bytes[start..<end].withUnsafeBytes { sample.feed($0) }
            start = end
        }
        sample.finish()
        return sample
    }

    @Test func eachValueKeepsItsColumn() {
        var generator = SeededRandom(seed: 10)
        // CSV: the field's place in its line, named by the header (quotes, spaces, CR trimmed);
        // a copy keeps the column it was first seen in; a field past the header has no name.
        let csv = Self.sample("station, \"pm25\" ,no2\r\nGZ1,1.5,2.25\r\nGZ2,3.5,1.5\r\nGZ3,4.75,5.5,6.25\r\n", format: .csv, generator: &generator)
        #expect(csv.values == ["1.5", "2.25", "3.5", "4.75", "5.5", "6.25"])
        #expect(csv.columns == [1, 2, 1, 1, 2, 3])
        #expect(csv.columnNames == ["station", "pm25", "no2"])
        // Past maxColumns fields a value has no column (it is still scored with all values).
        let wide = Self.sample(
            (0..<70).map { "c\($0)" }.joined(separator: ",") + "\n" + (0..<70).map { "\($0).5" }.joined(separator: ",") + "\n", format: .csv,
            generator: &generator)
        #expect(wide.values.count == 70 && wide.columns.prefix(64) == ArraySlice((0..<64).map { Optional($0) }))
        #expect(wide.columns.suffix(6).allSatisfy { $0 == nil } && wide.columnNames.count == WatermarkSample.maxColumns)
        // Long header names are cut (each read from its first 1,024 bytes); the values still count.
        let longNames = Self.sample(
            (0..<40).map { _ in String(repeating: "n", count: 2_000) }.joined(separator: ",") + "\n1.5,2.5\n", format: .csv, generator: &generator)
        #expect(longNames.columnNames.count == 40 && longNames.columnNames.allSatisfy { $0.count == WatermarkSample.longestName })
        // Names are shown to people: a terminal escape in a header or key is dropped.
        let escape = "\u{1B}[2J\u{9B}31m"
        let hostile = Self.sample("am\(escape)ount\n1.5\n", format: .csv, generator: &generator)
        #expect(hostile.columnNames == ["am[2J31mount"])
        let hostileKey = Self.sample("{\"k\u{1B}c\u{9B}x\": 1.5}\n", format: .jsonLines, generator: &generator)
        #expect(hostileKey.columnNames == ["kcx"])
        // A bidi override (a format character) would reorder the name a person reads.
        #expect(Self.sample("a\u{202E}mount\n1.5\n", format: .csv, generator: &generator).columnNames == ["amount"])
        #expect(longNames.values == ["1.5", "2.5"] && longNames.columns == [0, 1])

        // JSON lines: the last quoted key before the value on its line; a time inside a string
        // names nothing; a line without keys gives no column.
        let json = Self.sample(
            "{\"t\": \"12:30\", \"x\": 1.5, \"y\": [2.25, 3.5]}\n[4.5]\n{\"y\":5.5,\"x\":6.5}\n", format: .jsonLines, generator: &generator)
        #expect(json.values == ["1.5", "2.25", "3.5", "4.5", "5.5", "6.5"])
        #expect(json.columns == [1, 2, 2, nil, 2, 1])
        #expect(json.columnNames == ["t", "x", "y"])
        // A file inventing keys has the first 64 told apart, the rest scored with all values.
        let keys = Self.sample((0..<70).map { "{\"k\($0)\": \($0).5}" }.joined(separator: "\n"), format: .jsonLines, generator: &generator)
        #expect(keys.columnNames.count == WatermarkSample.maxColumns && keys.columns.last == .some(nil) && keys.columns[63] == 63)
    }

    /// A quoted field holding a comma or a line end is one field: the values after it stay in
    /// their columns (the pooled values were the same, but the columns behind it shifted).
    @Test func quotedFieldsKeepTheColumnsAfterThem() {
        var generator = SeededRandom(seed: 11)
        let csv = Self.sample(
            "\"station, name\",pm25,\"no2\"\r\n\"Tianhe, GZ\",1.5,2.25\r\n\"Line\none\",3.5,\"4.75\"\r\n\"say \"\"9.5\"\"\",5.5,6.25\r\n",
            format: .csv, generator: &generator)
        #expect(csv.columnNames == ["station, name", "pm25", "no2"])
        #expect(csv.values == ["1.5", "2.25", "3.5", "4.75", "5.5", "6.25"])
        #expect(csv.columns == [1, 2, 1, 2, 1, 2])
        // A quoted header name may hold a line end; it is one name (the control dropped).
        let header = Self.sample("\"a\nb\",c\n1.5,2.5\n", format: .csv, generator: &generator)
        #expect(header.columnNames == ["ab", "c"] && header.columns == [0, 1])
    }

    /// A file saved by Excel as "CSV UTF-8" begins with a byte order mark: the first header name
    /// (quoted or not) is read as without it, in whatever pieces the bytes arrive; bytes that
    /// only begin like a mark are the file's.
    @Test func aByteOrderMarkAtTheStartIsNotRead() {
        var generator = SeededRandom(seed: 13)
        let mark = "\u{FEFF}"
        let texts = ["\"pm25\",no2\r\n1.5,2.25\r\n", "pm25,no2\n1.5,2.25\n", "\n\"pm25\",no2\n1.5,2.25", "\"pm25, µg\",no2\n1.5,2.25\n"]
        for text in texts {
            let plain = Self.sample(text, format: .csv, generator: &generator)
            #expect(plain.columnNames.count == 2 && plain.columnNames[1] == "no2", "\(text.debugDescription)")
            for _ in 0..<20 {
                let marked = Self.sample(mark + text, format: .csv, generator: &generator)
                #expect(marked.columnNames == plain.columnNames && marked.values == plain.values && marked.columns == plain.columns)
            }
        }
        let json = Self.sample(mark + "{\"x\":1.5}\n", format: .jsonLines, generator: &generator)
        #expect(json.columnNames == ["x"] && json.values == ["1.5"] && json.columns == [0])
        // Only the whole mark at the very start is dropped: elsewhere it is part of a name.
        #expect(Self.sample("a," + mark + "b\n1.5,2.5\n", format: .csv, generator: &generator).columnNames.count == 2)
        for start in [[0xEF], [0xEF, 0xBB], [0xEF, 0xBB, 0x41]] as [[UInt8]] {
            var sample = WatermarkSample(format: .csv)
            (start + Array(",b\n1.5,2.5\n".utf8)).withUnsafeBytes { sample.feed($0) }
            sample.finish()
            #expect(sample.values == ["1.5", "2.5"] && sample.columnNames.count == 2, "\(start)")
        }
        var onlyMarkStart = WatermarkSample(format: .jsonLines)
        [0xEF, 0xBB].withUnsafeBytes { onlyMarkStart.feed($0) }
        onlyMarkStart.finish()
        #expect(onlyMarkStart.values.isEmpty)
    }

    /// JSON lines: a key may have white space before its colon; numbers inside strings are text,
    /// not values, and their commas and colons split nothing.
    @Test func jsonKeysWithSpaceAndNumbersInsideStrings() {
        var generator = SeededRandom(seed: 12)
        let json = Self.sample(
            "{\"note\" : \"at 12:30, 9.5 fell\", \"x\"\t: 1.5, \"q\\\" 8.5\" : 2.5}\n{\"x\" :3.5, \"y\": \"unterminated 7.5\n{\"y\":4.5}\n",
            format: .jsonLines, generator: &generator)
        #expect(json.values == ["1.5", "2.5", "3.5", "4.5"])
        #expect(json.columnNames == ["note", "x", "q\\\" 8.5", "y"])
        #expect(json.columns == [1, 2, 1, 3])
        // Only white space may stand between a key and its colon: a string before a comma is no key.
        let notKey = Self.sample("{\"a\": \"v\" , : 1.5}\n", format: .jsonLines, generator: &generator)
        #expect(notKey.columnNames == ["a"] && notKey.columns == [0])
    }
}
