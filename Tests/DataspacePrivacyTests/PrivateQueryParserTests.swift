import DataspaceCore
import Testing

@testable import DataspacePrivacy

@Suite("Restricted SQL for private queries")
struct PrivateQueryParserTests {
    @Test("the grammar it accepts")
    func accepted() throws {
        let q = try PrivateQueryParser.parse(
            "select region, count(*) as n, SUM(income), avg(\"年龄\") FROM data WHERE (age >= 18 AND sex IN ('F','M')) OR NOT city = 'x' GROUP BY region;")
        #expect(q.groupBy == ["region"])
        #expect(q.outputs.map(\.name) == ["region", "n", "SUM(income)", "avg(\"年龄\")"])
        #expect(q.outputs[2].kind == .aggregate(.sum(column: "income")))
        #expect(q.outputs[3].kind == .aggregate(.average(column: "年龄")))
        guard case .or(.and(.compare("age", .greaterOrEqual, .number("18")), .among("sex", [.text("F"), .text("M")], negated: false)), .not(.compare("city", .equal, .text("x")))) = q.filter else {
            Issue.record("filter parsed as \(String(describing: q.filter))")
            return
        }
        let between = try PrivateQueryParser.parse("SELECT COUNT(age) FROM data WHERE age NOT BETWEEN -5 AND 10.5 AND name IS NOT NULL AND x <> 'it''s'")
        #expect(between.filter?.columns == ["age", "name", "x"])
        #expect(between.outputs.first?.kind == .aggregate(.count(column: "age")))
    }

    @Test("refusals name the part of the query", arguments: [
        ("SELECT MIN(age) FROM data", "MIN("),
        ("SELECT max(age) FROM data", "max("),
        ("SELECT * FROM data", "*"),
        ("SELECT name, COUNT(*) FROM data", "name"),
        ("SELECT COUNT(*) FROM data JOIN other", "JOIN"),
        ("SELECT COUNT(*) FROM data, other", ","),
        ("SELECT COUNT(*) FROM people", "people"),
        ("SELECT COUNT(*) FROM (SELECT * FROM data)", "FROM ("),
        ("SELECT COUNT(*) FROM data WHERE id IN (SELECT id FROM data)", "IN (SELECT"),
        ("SELECT COUNT(DISTINCT id) FROM data", "COUNT(DISTINCT"),
        ("SELECT COUNT(*) FROM data LIMIT 1", "LIMIT"),
        ("SELECT COUNT(*) FROM data ORDER BY 1", "ORDER"),
        ("SELECT SUM(a) + 1 FROM data", "+"),
        ("SELECT SUM(a * 2) FROM data", "*"),
        ("SELECT median(a) FROM data", "median("),
        ("SELECT foo(a) FROM data", "foo("),
        ("SELECT COUNT(*) FROM data WHERE name = 'x", "'x"),
        ("SELECT COUNT(*) FROM data -- hi", "--"),
        ("SELECT COUNT(*) FROM data WHERE a = b", "b"),
        ("SELECT COUNT(*) FROM data WHERE a LIKE 'x%'", "LIKE"),
        ("SELECT COUNT(*) FROM data WHERE lower(a) = 'x'", "lower("),
        ("SELECT COUNT(*) FROM data GROUP BY a, a", "a"),
        ("SELECT COUNT(*) AS n, SUM(x) AS n FROM data", "n"),
        ("SELECT region FROM data GROUP BY region", "SELECT"),
        ("DELETE FROM data", "DELETE"),
        ("SELECT COUNT(*) FROM data; DROP TABLE data", "DROP"),
        ("SELECT COUNT(*) FROM data HAVING COUNT(*) > 5", "HAVING"),
        ("SELECT COUNT(*) FROM data d", "d"),
        ("SELECT COUNT(*) FROM data WHERE a = 1 @", "@"),
        ("", "SELECT"),
    ])
    func refused(text: String, part: String) {
        #expect(throws: PrivateQueryError.self) { try PrivateQueryParser.parse(text) }
        do {
            _ = try PrivateQueryParser.parse(text)
        } catch {
            #expect(error.part.hasPrefix(part) || error.part == "end of query" && part == "SELECT", "'\(text)': part '\(error.part)', reason \(error.message)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test("limits: length, nesting and lists are bounded")
    func limits() {
        let long = "SELECT COUNT(*) FROM data WHERE a = '" + String(repeating: "x", count: 9_000) + "'"
        #expect(throws: PrivateQueryError.self) { try PrivateQueryParser.parse(long) }
        let deep = "SELECT COUNT(*) FROM data WHERE " + String(repeating: "(", count: 40) + "a = 1" + String(repeating: ")", count: 40)
        do {
            _ = try PrivateQueryParser.parse(deep)
            Issue.record("40 levels of parentheses were accepted")
        } catch {
            #expect(error.message.contains("deeper"))
        }
        let list = "SELECT COUNT(*) FROM data WHERE a IN (" + (0..<1_001).map(String.init).joined(separator: ",") + ")"
        do {
            _ = try PrivateQueryParser.parse(list)
            Issue.record("1,001 values were accepted")
        } catch {
            #expect(error.message.contains("1000"))
        }
    }

    @Test("mutated queries never trap")
    func mutations() {
        let seeds = [
            "SELECT region, COUNT(*) AS n, SUM(income) FROM data WHERE age BETWEEN 1 AND 2 AND (x IN ('a','b') OR y IS NULL) GROUP BY region",
        ]
        var state: UInt64 = 42
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let alphabet = Array("()',*=<>;. -\"aZ09é\u{0}\n")
        for seed in seeds {
            for _ in 0..<2_000 {
                var chars = Array(seed)
                for _ in 0..<(1 + next() % 4) {
                    let i = next() % chars.count
                    switch next() % 3 {
                    case 0: chars.remove(at: i)
                    case 1: chars.insert(alphabet[next() % alphabet.count], at: i)
                    default: chars[i] = alphabet[next() % alphabet.count]
                    }
                    if chars.isEmpty { chars = ["x"] }
                }
                _ = try? PrivateQueryParser.parse(String(chars))
            }
        }
    }
}
