import DataspaceCore
import Foundation
import Testing

@testable import DataspaceQuality

/// The quality report page: what it shows, and that text from an uploaded file (column names,
/// patterns, rule texts, grade reasons) is escaped, never markup.
@Suite struct QualityReportHTMLTests {
    static let hostile = "<script>alert(1)</script>"

    static let report: JSONValue = [
        "dataset": "86.440100.11440100MB2C921900/01M84W5371DMRUC", "version": 3, "sha256": "ab12cd34ef56ab12cd34ef56",
        "assessor": "did:web:127.0.0.1%3A9001", "assessedAt": "2026-12-01T10:00:00Z",
        "category": ["sector": "healthcare", "tier": "industry-general-knowledge"],
        "grade": ["proposed": "important", "status": "confirmed", "by": "clerk \"Li\"", "reasons": ["resident-id in column id", .string(hostile)]],
        "quality": [
            "overall": .number(0.8766),
            "weights": ["completeness": .number(0.3), "timeliness": .number(0.2)],
            "dimensions": [
                ["dimension": "completeness", "score": .number(0.95), "formula": "X = A/B where A < B"],
                ["dimension": "timeliness", "formula": "no time column"],
                ["dimension": "accuracy", "score": .number(0.5), "formula": "x"],
            ],
            "rules": [["rule": .string("amount > 0 && " + hostile), "checked": 100, "failed": 2, "sampleRows": [3, 7]]],
        ],
        "profile": [
            "rows": 100, "duplicateRows": 1,
            "columns": [
                [
                    "name": .string(hostile), "inferredType": "string", "values": 100, "nulls": 5, "distinct": 90, "distinctExact": false,
                    "types": ["string": 95], "patterns": [["pattern": "<a>", "count": 60], ["pattern": "9", "count": 30]],
                    "sensitive": [["kind": "resident-id", "count": 40, "checked": 95, "share": .number(0.42)]],
                ],
                ["name": "amount", "inferredType": "decimal", "values": 100, "nulls": 0, "distinct": 100, "min": 1, "max": .number(12.5), "mean": .number(5.25),
                 "types": ["decimal": 80, "integer": 20]],
            ],
        ],
        "protection": ["masking": .object([hostile: "partial:3,4"]), "watermark": true], "watermarkCapacity": 64,
    ]

    @Test func theTemplateParses() {
        #expect(QualityReportTemplate.parsed.count == BilingualText.Choice.allCases.count, "the template parses in every language")
    }

    @Test func showsTheReport() {
        let html = QualityReportHTML.render(Self.report, title: "医院就诊 visits")
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains("<h1>医院就诊 visits</h1>"))
        #expect(html.contains("<strong>0.877</strong> · 100 行 rows · 2 列 columns · 1 重复行 duplicate rows"))
        #expect(html.contains("<span class=\"grade important\">重要数据 important</span>") || html.contains("class=\"grade important\""))
        #expect(html.contains("dataset <code>86.440100.11440100MB2C921900/01M84W5371DMRUC</code> v3 · SHA-256 <code>ab12cd34ef56ab12</code>…"))
        // An unscored dimension is labelled n/a in the radar and — in the table, not drawn as zero.
        #expect(html.contains("timeliness n/a"))
        #expect(html.contains("<td>timeliness</td><td class=\"num\">—</td>"))
        #expect(html.contains("completeness 0.95"))
        // Three axes, four rings, one score polygon.
        #expect(html.components(separatedBy: "<line ").count - 1 == 3)
        #expect(html.components(separatedBy: "fill=\"none\" stroke=\"#dde3ea\"").count - 1 == 4)
        // Completeness 95% (amber), 100% (green); the type bars and their legend.
        #expect(html.contains(">95.0%</text>") && html.contains(">100.0%</text>") && html.contains("fill=\"#ca8a04\""))
        #expect(html.contains("<title>decimal: 80</title>") && html.contains("<title>integer: 20</title>"))
        #expect(html.contains(">datetime</text>"))
        #expect(html.contains("<td class=\"num\">40</td><td class=\"num\">95</td><td class=\"num\">42.0%</td>"))
        #expect(html.contains("<td class=\"num failed\">2</td><td>3, 7</td>"))
        #expect(html.contains("watermark (capacity 64 values)"))
        #expect(html.contains("<td class=\"num\">≈90</td>") && html.contains("<td>1</td><td>12.5</td>"))
        #expect(html.contains("状态 status: <strong>confirmed</strong> 决定人 by clerk &quot;Li&quot;"))
    }

    @Test func showsTheReportInOneLanguageWhenAsked() {
        let english = QualityReportHTML.render(Self.report, title: "visits", language: .english)
        #expect(english.contains("<html lang=\"en\">") && english.contains("status: <strong>confirmed</strong> by clerk"))
        #expect(english.contains("100 rows · 2 columns · 1 duplicate rows"))
        let chinese = QualityReportHTML.render(Self.report, title: "visits", language: .chinese)
        #expect(chinese.contains("<html lang=\"zh-CN\">") && chinese.contains("状态： <strong>confirmed</strong> 决定人 clerk"))
        #expect(chinese.contains("<h2>质量维度</h2>") && !chinese.contains("Quality dimensions"))
    }

    @Test func uploadedTextIsEscaped() {
        let html = QualityReportHTML.render(Self.report, title: Self.hostile)
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<a>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("<code>&lt;a&gt;</code> 60<br><code>9</code> 30"))
    }

    /// Counts beyond Int's range (a corrupted or hostile stored report) render; they do not trap.
    @Test func hugeCountsRenderWithoutTrapping() {
        let report: JSONValue = ["profile": ["columns": [["name": "x", "values": .number(1e300), "nulls": 0, "types": ["string": .number(1e300)]]]]]
        let html = QualityReportHTML.render(report, title: "huge")
        #expect(html.contains("<title>string: 1"))
    }

    @Test func anEmptyReportStillRenders() {
        let html = QualityReportHTML.render([:], title: "empty")
        #expect(html.contains("none detected"))
        #expect(html.contains("<strong>—</strong>"))
        #expect(!html.contains("<h2>规则 Rules"))
        #expect(!html.contains("delivery protection"))
    }
}
