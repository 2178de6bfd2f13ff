@testable import DataspaceQuality
import Foundation
import Testing

/// The profiler holds records in blocks (`TabularProfiler.blockRows`, or fewer when their bytes
/// pass `blockBytes`) and profiles each block column by column; every count, extreme and rule
/// outcome must still be what a row-by-row reading gives. The reference here is computed in the
/// test from the rows it writes, over a file that crosses many blocks, flushes some early on
/// long fields, and has ragged, null and repeated rows.
@Suite("Profiling in blocks")
struct BlockProfilingTests {
    struct Row {
        var fields: [String]
    }

    /// 5,000 rows of id,v,code,big; ragged rows (a field short, or one extra), nulls, repeated ids,
    /// duplicated rows, and a 300 KB field every 200 rows (four of them fill a block's bytes).
    static func rows() -> [Row] {
        var rows: [Row] = []
        for k in 1...5_000 {
            if k % 401 == 0, let last = rows.last {
                rows.append(last)
                continue
            }
            let id = k % 97 == 0 ? k - 1 : k
            let v = k % 13 == 0 ? "" : k % 11 == 0 ? "NULL" : String(k % 50)
            let code = k % 31 == 0 ? "X" : "C\(k % 7)"
            let big = k % 200 == 0 ? String(repeating: "x", count: 300_000) : "b\(k % 3)"
            var fields = [String(id), v, code, big]
            if k % 211 == 0 { fields.removeLast() }
            if k % 307 == 0 { fields.append("extra") }
            rows.append(Row(fields: fields))
        }
        return rows
    }

    @Test("counts, extremes and rule outcomes equal a row-by-row reference across blocks")
    func blocksMatchTheReference() throws {
        let rows = Self.rows()
        let csv = "id,v,code,big\n" + rows.map { $0.fields.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let rules = try QualityRules.parse(
            yaml: """
                columns:
                  id: {unique: true}
                  v: {min: 0, max: 40, required: true}
                  code: {regex: 'C[0-9]', enum: [C0, C1, C2, C3, C4, C5, C6]}
                checks:
                  - id >= v
                  - code >= big
                """)
        var profiler = TabularProfiler(format: .csv, rules: rules)
        // Pieces of 64 KiB: blocks end in the middle of chunks, chunks in the middle of records.
        let bytes = Array(csv.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(start + 65_536, bytes.count)
            try bytes[start..<end].withUnsafeBytes { try profiler.consume($0) }
            start = end
        }
        let profile = try profiler.finish()

        // The reference, row by row. A field the row lacks is null; extra fields are ignored.
        func field(_ row: Row, _ i: Int) -> String { i < row.fields.count ? row.fields[i] : "" }
        func isNull(_ s: String) -> Bool { s.isEmpty || s == "NULL" }
        #expect(profile.rows == rows.count)
        #expect(profile.raggedRows == rows.filter { $0.fields.count != 4 }.count)
        var seenRows = Set<[String]>(), duplicates = 0
        for row in rows where !seenRows.insert((0..<4).map { i in i < row.fields.count ? row.fields[i] : "\u{0}missing" }).inserted { duplicates += 1 }
        #expect(profile.duplicateRows == duplicates)
        for (i, column) in profile.columns.enumerated() {
            let values = rows.map { field($0, i) }
            let present = values.filter { !isNull($0) }
            #expect(column.nulls == values.count - present.count, "\(column.name)")
            #expect(column.distinct == Set(present).count && column.distinctExact, "\(column.name)")
            #expect(column.maxLength == present.map(\.count).max(), "\(column.name)")
            if column.name == "code" || column.name == "big" {
                #expect(column.minimum == .text(keptExtreme(present.min() ?? "")), "\(column.name)")
                #expect(column.maximum == .text(keptExtreme(present.max() ?? "")), "\(column.name)")
            } else {
                let numbers = present.compactMap(Double.init)
                #expect(column.minimum == .number(numbers.min() ?? 0) && column.maximum == .number(numbers.max() ?? 0), "\(column.name)")
            }
        }

        let report = try #require(profile.quality)
        func outcome(_ rule: String) -> QualityReport.RuleOutcome? { report.rules.first { $0.rule == rule } }
        var seenIDs = Set<String>(), repeats: [Int] = []
        var tooLarge: [Int] = [], badCodes: [Int] = [], inconsistent: [Int] = []
        var vChecked = 0, codeChecked = 0, consistencyChecked = 0, textChecked = 0, judgedRows = 0, vNulls = 0, inconsistentRows = 0
        var textFailed: [Int] = []
        for (r, row) in rows.enumerated() {
            let number = r + 1
            let id = field(row, 0), v = field(row, 1), code = field(row, 2), big = field(row, 3)
            if !seenIDs.insert(id).inserted { repeats.append(number) }
            if isNull(v) { vNulls += 1 }
            // A row is judged when either check can be, inconsistent when either fails.
            let textJudged = !isNull(big) && !isNull(code)
            let textFails = textJudged && Array(code.utf8).lexicographicallyPrecedes(Array(big.utf8))
            if textJudged { textChecked += 1 }
            if textFails { textFailed.append(number) }
            if textJudged || (!isNull(id) && !isNull(v)) { judgedRows += 1 }
            if textFails || (!isNull(id) && !isNull(v) && (Double(id) ?? 0) < (Double(v) ?? 0)) { inconsistentRows += 1 }
            if !isNull(v) {
                vChecked += 1
                if let value = Double(v), value > 40 { tooLarge.append(number) }
            }
            if !isNull(code) {
                codeChecked += 1
                if code.count != 2 || !code.hasPrefix("C") { badCodes.append(number) }
            }
            if !isNull(id), !isNull(v), let a = Double(id), let b = Double(v) {
                consistencyChecked += 1
                if a < b { inconsistent.append(number) }
            }
        }
        #expect(outcome("unique (id)")?.failed == repeats.count && outcome("unique (id)")?.sampleRows == Array(repeats.prefix(5)))
        #expect(outcome("v: max 40")?.checked == vChecked && outcome("v: max 40")?.failed == tooLarge.count)
        #expect(outcome("v: max 40")?.sampleRows == Array(tooLarge.prefix(5)))
        #expect(outcome("v: min 0")?.failed == 0)
        #expect(outcome("code: regex")?.checked == codeChecked && outcome("code: regex")?.failed == badCodes.count)
        #expect(outcome("code: regex")?.sampleRows == Array(badCodes.prefix(5)))
        #expect(outcome("code: enum")?.checked == codeChecked && outcome("code: enum")?.failed == badCodes.count)
        #expect(outcome("code: enum")?.sampleRows == Array(badCodes.prefix(5)))
        #expect(outcome("id >= v")?.checked == consistencyChecked && outcome("id >= v")?.failed == inconsistent.count)
        #expect(outcome("id >= v")?.sampleRows == Array(inconsistent.prefix(5)))
        #expect(outcome("code >= big")?.checked == textChecked && outcome("code >= big")?.failed == textFailed.count)
        #expect(outcome("code >= big")?.sampleRows == Array(textFailed.prefix(5)))
        #expect(report.score(.consistency) == 1 - Double(inconsistentRows) / Double(judgedRows))
        #expect(report.score(.completeness) == 1 - Double(vNulls) / Double(rows.count))
        // Some rows are judged by one check only and pass: the two checks' rows are merged.
        #expect(!textFailed.isEmpty && inconsistentRows < judgedRows && vNulls > 0 && judgedRows > textChecked)
        // The file crosses the block limits both ways, so the test covers what it claims.
        #expect(rows.count > 4 * TabularProfiler.blockRows)
        let lengths = rows.map { $0.fields.reduce(0) { $0 + $1.utf8.count } }
        #expect(lengths.prefix(TabularProfiler.blockRows).reduce(0, +) > TabularProfiler.blockBytes)
    }
}
