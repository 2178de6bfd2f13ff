import Crypto
import DataspaceCore
@testable import DataspaceQuality
import Foundation
import Testing

/// Masking rules one by one, and the streaming transformer over CSV and JSON lines: quoting,
/// line endings and key order survive; every chunk boundary gives the same bytes; ragged rows
/// and non-object lines never leak; watermarked output is traced from a 10 % subset.
@Suite struct DeliveryTransformerTests {
    static let secret = SymmetricKey(data: Data(repeating: 7, count: 32))
    static let masker = ValueMasker(hashKey: ValueMasker.hashKey(secret: secret, agreement: "urn:uuid:a1"))

    static func transform(_ text: String, plan: DeliveryPlan, chunk: Int = 1 << 16) -> (String, DeliveryStatistics) {
        var transformer = DeliveryTransformer(plan: plan)
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + chunk)
            bytes[i..<end].withUnsafeBytes { transformer.consume($0, into: &out) }
            i = end
        }
        transformer.finish(into: &out)
        return (String(decoding: out, as: UTF8.self), transformer.statistics)
    }

    static func plan(_ format: TabularFormat, _ masking: [String: String], watermark: Bool = false, agreement: String = "urn:uuid:a1") throws -> DeliveryPlan {
        var rules: [String: MaskingRule] = [:]
        for (k, v) in masking { rules[k] = try MaskingRule(parsing: v) }
        return DeliveryPlan.forAgreement(agreement, format: format, protection: DeliveryProtection(masking: rules, watermark: watermark), secret: secret)
    }

    @Test(arguments: [
        ("partial:3,4", "440103199001011234", "440***********1234"),
        ("partial:3,4", "13812345678", "138****5678"),
        ("partial:1,0", "张三丰", "张**"),
        ("partial:1,0", "李", "*"),
        ("partial:3,4", "12345", "1****"),
        ("hide", "anything", ""),
        ("generalize:year", "2024-03-15", "2024"),
        ("generalize:month", "2024-03-15T10:00:00Z", "2024-03"),
        ("generalize:month", "not a date", "*"),
        ("generalize:province", "440305", "440000"),
        ("generalize:city", "440305", "440300"),
        ("generalize:city", "4403", "*"),
        ("round:0", "1234.56", "1235"),
        ("round:1", "22.5431", "22.5"),
        ("round:-3", "123456", "123000"),
        ("round:2", "22.543096,114.057865", "22.54,114.06"),
        ("round:2", "abc", "*"),
        ("hash", "", ""),
    ])
    func maskingRules(rule: String, value: String, expected: String) throws {
        #expect(Self.masker.apply(try MaskingRule(parsing: rule), to: value) == expected)
    }

    @Test func keyedHashIsStableWithinAnAgreementAndDiffersAcrossAgreements() {
        let other = ValueMasker(hashKey: ValueMasker.hashKey(secret: Self.secret, agreement: "urn:uuid:a2"))
        let a = Self.masker.apply(.hash, to: "13812345678")
        #expect(a.count == 32 && a.allSatisfy(\.isHexDigit))
        #expect(a == Self.masker.apply(.hash, to: "13812345678"))
        #expect(a != other.apply(.hash, to: "13812345678"))
        #expect(a != Self.masker.apply(.hash, to: "13812345679"))
    }

    @Test(arguments: ["", "hide:1", "partial:3", "partial:a,b", "partial:-1,2", "generalize:week", "round:x", "round:12", "mask"])
    func malformedRulesAreRefusedWithTheirText(text: String) {
        #expect(throws: ValidationError.self) { try MaskingRule(parsing: text, field: "masking.phone") }
        do { _ = try MaskingRule(parsing: text, field: "masking.phone") } catch {
            #expect(error.field == "masking.phone")
            #expect(error.message.contains("'\(text)'"))
        }
    }

    @Test func protectionJSONIsCheckedFieldByField() throws {
        let ok = try DeliveryProtection(json: ["masking": ["phone": "partial:3,4"], "watermark": true])
        #expect(ok.masking["phone"] == .partial(keepStart: 3, keepEnd: 4) && ok.watermark)
        #expect(try DeliveryProtection(json: ok.json) == ok)
        for (bad, field) in [
            (JSONValue.array([]), "protection"), (["masking": "phone"], "protection.masking"), (["masking": ["phone": 3]], "protection.masking.phone"),
            (["watermark": "yes"], "protection.watermark"), (["mask": [:]], "protection.mask"),
        ] as [(JSONValue, String)] {
            do {
                _ = try DeliveryProtection(json: bad)
                Issue.record("accepted \(bad)")
            } catch { #expect(error.field == field) }
        }
    }

    @Test func csvKeepsQuotingLineEndingsAndUntouchedColumns() throws {
        let input = "name,phone,note,amount\r\n\"王, 小明\",13812345678,\"said \"\"hi\"\"\",12.50\r\n李四,,plain,3.00\r\n"
        let (out, stats) = Self.transform(input, plan: try Self.plan(.csv, ["name": "partial:1,0", "phone": "partial:3,4"]))
        #expect(out == "name,phone,note,amount\r\n\"王****\",138****5678,\"said \"\"hi\"\"\",12.50\r\n李*,,plain,3.00\r\n")
        #expect(stats.rows == 2 && stats.maskedValues == 3)
    }

    @Test func everyChunkBoundaryGivesTheSameBytes() throws {
        let input = SyntheticPeople.csv(rows: 40, seed: 5)
        let plan = try Self.plan(.csv, ["id_number": "partial:3,4", "phone": "hash", "visit_date": "generalize:month"], watermark: true)
        let (whole, _) = Self.transform(input, plan: plan)
        for chunk in [1, 2, 3, 7, 64, 1000] {
            #expect(Self.transform(input, plan: plan, chunk: chunk).0 == whole, "chunk \(chunk)")
        }
        // No identity number or phone survives.
        for line in input.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            #expect(!whole.contains(String(f[2])) && !whole.contains(String(f[3])))
        }
    }

    @Test func raggedRowsLoseTheFieldsNoRuleCovers() throws {
        let input = "a,phone\n1,13812345678,13900000000,extra\n2\n"
        let (out, stats) = Self.transform(input, plan: try Self.plan(.csv, ["phone": "partial:3,4"]))
        #expect(out == "a,phone\n1,138****5678,,\n2\n")
        #expect(stats.suppressed == 2)
    }

    @Test func jsonLinesKeepKeyOrderAndTypesAndDropNonObjects() throws {
        let input = """
            {"phone": "13812345678", "n": 5, "amount": 12.25, "nested": {"phone": "x"}, "name": "张三"}
            not json at all
            {"phone": null, "amount": 7, "name": "李\\u56db"}

            """
        let (out, stats) = Self.transform(input, plan: try Self.plan(.jsonLines, ["phone": "partial:3,4", "amount": "round:0", "name": "hash"]))
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count == 3)  // the non-object line is gone, newline and all
        #expect(lines[0].hasPrefix(#"{"phone": "138****5678", "n": 5, "amount": 12, "nested": {"phone": "x"}, "name": ""#))
        #expect(lines[1].hasPrefix(#"{"phone": null, "amount": 7, "name": ""#))
        #expect(lines[2] == "")
        #expect(stats.rows == 2 && stats.suppressed == 1)
        // The name was hashed from its unescaped text: the same as hashing 李四 directly.
        #expect(lines[1].contains(Self.masker.apply(.hash, to: "李四")))
        // Lines split across reads (down to a byte at a time) come out the same.
        for chunk in [1, 2, 7, 50] {
            let (split, splitStats) = Self.transform(input, plan: try Self.plan(.jsonLines, ["phone": "partial:3,4", "amount": "round:0", "name": "hash"]), chunk: chunk)
            #expect(split == out, "chunk \(chunk)")
            #expect(splitStats.rows == 2 && splitStats.suppressed == 1)
        }
    }

    @Test func watermarkedDeliveryIsTracedFromATenPercentSubsetWithColumnsDropped() throws {
        let input = SyntheticPeople.csv(rows: 2_000, seed: 11)
        let agreements = (0..<20).map { "urn:uuid:agreement-\($0)" }
        let candidates = agreements.map { (id: $0, key: Watermark.key(secret: Self.secret, agreement: $0)) }
        let masking = ["id_number": "partial:3,4", "phone": "partial:3,4", "name": "partial:1,0"]
        let (delivered, stats) = Self.transform(input, plan: try Self.plan(.csv, masking, watermark: true, agreement: agreements[13]))
        #expect(stats.markedValues == 4_000)  // amount and copay in every row
        // Values move by at most one unit in the last place.
        for (a, b) in zip(input.split(separator: "\n").dropFirst(), delivered.split(separator: "\n").dropFirst()) {
            let x = a.split(separator: ","), y = b.split(separator: ",")
            for i in [6, 7] { #expect(abs((Double(x[i]) ?? 0) - (Double(y[i]) ?? 0)) <= 0.0100001) }
        }
        var generator = SeededRandom(seed: 3)
        let subset = delivered.split(separator: "\n").dropFirst().shuffled(using: &generator).prefix(200)
        let leaked = "amount\n" + subset.map { String($0.split(separator: ",")[6]) }.joined(separator: "\n")
        let trace = Watermark.trace(values: Watermark.values(csv: leaked), candidates: candidates)
        #expect(trace.attributed == agreements[13])
        // Scored in lanes (every candidate count and lane split), the scores are the same, all
        // values together and column by column (the whole delivery, its columns kept).
        let whole = Watermark.sample(csv: delivered)
        for count in [1, 2, 3, 20] {
            let some = Array(candidates.prefix(count))
            let alone = Watermark.trace(values: Watermark.values(csv: leaked), candidates: some, lanes: 1)
            let aloneByColumn = Watermark.trace(values: whole.values, columns: whole.columns, candidates: some, lanes: 1)
            for lanes in [2, 3, 7] {
                let spread = Watermark.trace(values: Watermark.values(csv: leaked), candidates: some, lanes: lanes)
                #expect(spread.evidence == alone.evidence && spread.attributed == alone.attributed)
                #expect(Set(spread.evidence.map(\.candidate)) == Set(some.map(\.id)))
                let byColumn = Watermark.trace(values: whole.values, columns: whole.columns, candidates: some, lanes: lanes)
                #expect(byColumn.evidence == aloneByColumn.evidence && byColumn.column == aloneByColumn.column)
            }
        }
        // Another agreement's delivery of the same rows is not attributed to agreement 13.
        let (other, _) = Self.transform(input, plan: try Self.plan(.csv, masking, watermark: true, agreement: agreements[4]))
        #expect(Watermark.trace(values: Watermark.values(csv: other), candidates: candidates).attributed == agreements[4])
        // JSON lines values are read too.
        let jsonl = subset.map { #"{"amount": \#($0.split(separator: ",")[6])}"# }.joined(separator: "\n")
        #expect(Watermark.trace(values: Watermark.values(jsonLines: jsonl), candidates: candidates).attributed == agreements[13])
    }

    @Test func dottedIdentifiersAreNeverMarked() {
        let key = Watermark.key(secret: Self.secret, agreement: "x")
        for value in ["10.0.0.1", "1.2.3", "v1.5", "-", ".5", "5.", "2024-05-01", "1e5", "12"] {
            var bytes = Array(value.utf8)
            #expect(!Watermark.markInPlace(&bytes, key: key), "\(value)")
            #expect(bytes == Array(value.utf8))
        }
    }
}

extension DeliveryTransformerTests {
    /// Random CSV files — quoted fields holding commas, quotes, CR and LF, empty fields, CRLF or LF
    /// rows, decimals quoted or not, with and without a last line end — cut at random: the rewrite
    /// keeps every byte except each decimal's last digit, which becomes the marked one
    /// (`Watermark.markInPlace` on that field alone). The model is the generator's own fields.
    @Test func randomFilesKeepEveryByteButTheMarkedDigits() throws {
        let plan = try Self.plan(.csv, [:], watermark: true)
        let key = WatermarkKey(Watermark.key(secret: Self.secret, agreement: "urn:uuid:a1"))
        let bare = try Self.plan(.csv, [:])
        var generator = SeededRandom(seed: 23)
        let alphabet = Array("ab,\"\r\n 1.-王")
        for round in 0..<400 {
            let columns = Int.random(in: 1...5, using: &generator)
            let crlf = Bool.random(using: &generator)
            var input = "", expected = ""
            let rows = Int.random(in: 1...12, using: &generator)
            for row in 0...rows {
                var inFields: [String] = [], outFields: [String] = []
                for _ in 0..<columns {
                    var text: String
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0: text = String(format: "%.\(Int.random(in: 1...4, using: &generator))f", Double.random(in: -999...999, using: &generator))
                    case 1: text = String((0..<Int.random(in: 0...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
                    case 2: text = ""
                    default: text = "GZ\(Int.random(in: 0...99, using: &generator))"
                    }
                    if row == 0 { text = "c\(inFields.count)" }
                    let special = text.contains { ",\"\r\n".contains($0) }
                    // Fields with a trailing CR are quoted: unquoted, a CR before the comma is read as the line's.
                    let quote = special || Bool.random(using: &generator) && row > 0
                    func written(_ t: String) -> String { quote ? "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : t }
                    var marked = Array(text.utf8)
                    if row > 0 { _ = Watermark.markInPlace(&marked, key: key) }
                    inFields.append(written(text))
                    outFields.append(written(String(decoding: marked, as: UTF8.self)))
                }
                let ending = row == rows && Bool.random(using: &generator) ? "" : (crlf ? "\r\n" : "\n")
                input += inFields.joined(separator: ",") + ending
                expected += outFields.joined(separator: ",") + ending
            }
            let chunk = Int.random(in: 1...64, using: &generator)
            #expect(Self.transform(input, plan: plan, chunk: chunk).0 == expected, "round \(round), chunk \(chunk): \(input.debugDescription)")
            #expect(Self.transform(input, plan: bare, chunk: chunk).0 == input, "round \(round), chunk \(chunk): \(input.debugDescription)")
        }
    }
}
