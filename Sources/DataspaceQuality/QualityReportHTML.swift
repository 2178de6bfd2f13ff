import DataspaceCore
import Foundation

/// Renders a quality report document (`QualityAssessment.document`) as one self-contained HTML
/// page with inline SVG charts — score radar, per-column completeness bars, per-column value-type
/// distributions — so `dataspace quality --html` and the portal show the same thing, offline,
/// with no script and no external resource.
public enum QualityReportHTML {
    public static func render(_ report: JSONValue, title: String) -> String {
        var html = """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) — 质量报告 Quality report</title>
            <style>
            body{font:14px/1.5 system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:2rem auto;max-width:1000px;padding:0 1rem;color:#1d2430}
            h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde3ea;padding-bottom:.3rem}
            table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eef1f4;padding:.3rem .5rem;text-align:left;vertical-align:top}
            th{background:#f5f7fa}.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#66707c}
            .grade{display:inline-block;padding:.2rem .6rem;border-radius:4px;background:#eef4ff;font-weight:600}
            .grade.important{background:#fff1e0}.grade.core{background:#ffe3e3}code{font-size:.9em}
            .charts{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
            </style></head><body>
            <h1>\(escape(title))</h1>
            """
        let overall = report["quality"]?["overall"]?.doubleValue
        let grade = report["grade"]
        let applied = grade?["applied"]?.stringValue ?? grade?["proposed"]?.stringValue ?? "—"
        let level = applied.split(separator: "-").first.map(String.init) ?? applied
        html += "<p><span class=\"grade \(escape(level))\">\(escape(GradeLevel(rawValue: level)?.chineseLabel ?? "")) \(escape(applied))</span> "
        html += "质量总分 overall score <strong>\(overall.map { String(format: "%.3f", $0) } ?? "—")</strong>"
        if let rows = report["profile"]?["rows"]?.doubleValue { html += " · \(Int(rows)) 行 rows" }
        if let columns = report["profile"]?["columns"]?.arrayValue { html += " · \(columns.count) 列 columns" }
        if let d = report["profile"]?["duplicateRows"]?.doubleValue { html += " · \(Int(d)) 重复行 duplicate rows" }
        html += "</p>"
        var meta: [String] = []
        if let dataset = report["dataset"]?.stringValue { meta.append("dataset <code>\(escape(dataset))</code> v\((report["version"]?.intValue ?? 0))") }
        if let sha = report["sha256"]?.stringValue { meta.append("SHA-256 <code>\(escape(String(sha.prefix(16))))…</code>") }
        if let assessor = report["assessor"]?.stringValue { meta.append("assessed by <code>\(escape(assessor))</code>") }
        if let at = report["assessedAt"]?.stringValue { meta.append(escape(at)) }
        if let sector = report["category"]?["sector"]?.stringValue { meta.append("sector \(escape(sector))") }
        if let tier = report["category"]?["tier"]?.stringValue { meta.append("tier \(escape(tier))") }
        if !meta.isEmpty { html += "<p class=\"muted\">\(meta.joined(separator: " · "))</p>" }

        let dimensions = report["quality"]?["dimensions"]?.arrayValue ?? []
        let columns = report["profile"]?["columns"]?.arrayValue ?? []
        html += "<h2>质量维度 Quality dimensions</h2><div class=\"charts\">"
        html += radar(dimensions)
        html += "<table style=\"flex:1;min-width:420px\"><tr><th>dimension</th><th class=\"num\">score</th><th class=\"num\">weight</th><th>formula (ISO/IEC 25024, X = A/B)</th></tr>"
        for d in dimensions {
            let name = d["dimension"]?.stringValue ?? ""
            let weight = report["quality"]?["weights"]?[name]?.doubleValue
            html += "<tr><td>\(escape(name))</td><td class=\"num\">\(d["score"]?.doubleValue.map { String(format: "%.3f", $0) } ?? "—")</td>"
            html += "<td class=\"num\">\(weight.map { String(format: "%.2f", $0) } ?? "")</td><td><code>\(escape(d["formula"]?.stringValue ?? ""))</code></td></tr>"
        }
        html += "</table></div>"

        html += "<h2>完整性 Completeness per column</h2>" + completenessBars(columns)
        html += "<h2>值类型分布 Value types per column</h2>" + typeBars(columns)

        html += "<h2>敏感数据 Sensitive data (counts only, never values)</h2>"
        var sensitiveRows = ""
        for column in columns {
            for d in column["sensitive"]?.arrayValue ?? [] where (d["count"]?.doubleValue ?? 0) > 0 {
                sensitiveRows += "<tr><td>\(escape(column["name"]?.stringValue ?? ""))</td><td>\(escape(d["kind"]?.stringValue ?? ""))</td>"
                sensitiveRows += "<td class=\"num\">\((d["count"]?.intValue ?? 0))</td><td class=\"num\">\((d["checked"]?.intValue ?? 0))</td>"
                sensitiveRows += "<td class=\"num\">\(String(format: "%.1f%%", 100 * (d["share"]?.doubleValue ?? 0)))</td></tr>"
            }
        }
        html += sensitiveRows.isEmpty
            ? "<p class=\"muted\">none detected</p>"
            : "<table><tr><th>column</th><th>kind</th><th class=\"num\">values</th><th class=\"num\">checked</th><th class=\"num\">share</th></tr>\(sensitiveRows)</table>"

        html += "<h2>分级 Grade (GB/T 43697-2024)</h2><ul>"
        for reason in grade?["reasons"]?.arrayValue ?? [] { html += "<li>\(escape(reason.stringValue ?? ""))</li>" }
        html += "</ul><p>status: <strong>\(escape(grade?["status"]?.stringValue ?? "proposed"))</strong>"
        if let by = grade?["by"]?.stringValue { html += " by \(escape(by))" }
        if let reason = grade?["reason"]?.stringValue { html += " — \(escape(reason))" }
        html += "</p>"
        if let masking = report["protection"]?["masking"]?.objectValue, !masking.isEmpty || report["protection"]?["watermark"] == .bool(true) {
            html += "<p>delivery protection: "
            html += masking.sorted { $0.key < $1.key }.map { "<code>\(escape($0.key))</code> → \(escape($0.value.stringValue ?? ""))" }.joined(separator: ", ")
            if report["protection"]?["watermark"] == .bool(true) {
                html += "\(masking.isEmpty ? "" : "; ")watermark (capacity \((report["watermarkCapacity"]?.intValue ?? 0)) values)"
            }
            html += "</p>"
        }

        let rules = report["quality"]?["rules"]?.arrayValue ?? []
        if !rules.isEmpty {
            html += "<h2>规则 Rules\(report["quality"]?["implied"] == .bool(true) ? " (implied by the profile)" : "")</h2>"
            html += "<table><tr><th>rule</th><th class=\"num\">checked</th><th class=\"num\">failed</th><th>sample rows</th></tr>"
            for r in rules {
                let failed = (r["failed"]?.intValue ?? 0)
                html += "<tr><td><code>\(escape(r["rule"]?.stringValue ?? ""))</code></td><td class=\"num\">\((r["checked"]?.intValue ?? 0))</td>"
                html += "<td class=\"num\"\(failed > 0 ? " style=\"color:#b3261e\"" : "")>\(failed)</td>"
                html += "<td>\((r["sampleRows"]?.arrayValue ?? []).compactMap { $0.intValue.map { String($0) } }.joined(separator: ", "))</td></tr>"
            }
            html += "</table>"
        }

        html += "<h2>列 Columns</h2><table><tr><th>column</th><th>type</th><th class=\"num\">distinct</th><th>min</th><th>max</th><th class=\"num\">mean</th><th class=\"num\">stddev</th><th>top patterns</th></tr>"
        for c in columns {
            let patterns = (c["patterns"]?.arrayValue ?? []).prefix(3).map { "<code>\(escape($0["pattern"]?.stringValue ?? ""))</code> \(($0["count"]?.intValue ?? 0))" }
            html += "<tr><td>\(escape(c["name"]?.stringValue ?? ""))</td><td>\(escape(c["inferredType"]?.stringValue ?? ""))</td>"
            html += "<td class=\"num\">\(c["distinctExact"] == .bool(false) ? "≈" : "")\((c["distinct"]?.intValue ?? 0))</td>"
            html += "<td>\(escape(bound(c["min"])))</td><td>\(escape(bound(c["max"])))</td>"
            html += "<td class=\"num\">\(c["mean"]?.doubleValue.map { String(format: "%.4g", $0) } ?? "")</td>"
            html += "<td class=\"num\">\(c["stddev"]?.doubleValue.map { String(format: "%.4g", $0) } ?? "")</td><td>\(patterns.joined(separator: "<br>"))</td></tr>"
        }
        html += "</table></body></html>\n"
        return html
    }

    static func bound(_ value: JSONValue?) -> String {
        switch value {
        case .number(let n)?: n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(format: "%.6g", n)
        case .string(let s)?: s
        default: "—"
        }
    }

    /// A pentagon radar of the five dimension scores; an unscored dimension sits at the centre
    /// and is labelled "n/a".
    static func radar(_ dimensions: [JSONValue]) -> String {
        let size = 300.0, center = 150.0, radius = 100.0
        let n = max(dimensions.count, 3)
        func point(_ i: Int, _ r: Double) -> (Double, Double) {
            let angle = -Double.pi / 2 + 2 * Double.pi * Double(i) / Double(n)
            return (center + r * cos(angle), center + r * sin(angle))
        }
        var svg = "<svg role=\"img\" aria-label=\"score radar\" width=\"\(Int(size))\" height=\"\(Int(size))\" viewBox=\"0 0 \(Int(size)) \(Int(size))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for ring in [0.25, 0.5, 0.75, 1.0] {
            let pts = (0..<n).map { point($0, radius * ring) }.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
            svg += "<polygon points=\"\(pts)\" fill=\"none\" stroke=\"#dde3ea\"/>"
        }
        var shape: [String] = []
        for (i, d) in dimensions.enumerated() {
            let (x, y) = point(i, radius)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dde3ea\"/>", center, center, x, y)
            let score = d["score"]?.doubleValue
            let (px, py) = point(i, radius * (score ?? 0))
            shape.append(String(format: "%.1f,%.1f", px, py))
            let (lx, ly) = point(i, radius + 22)
            let label = "\(d["dimension"]?.stringValue ?? "") \(score.map { String(format: "%.2f", $0) } ?? "n/a")"
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">", lx, ly) + escape(label) + "</text>"
        }
        svg += "<polygon points=\"\(shape.joined(separator: " "))\" fill=\"rgba(37,99,235,.25)\" stroke=\"#2563eb\" stroke-width=\"2\"/>"
        return svg + "</svg>"
    }

    static func completenessBars(_ columns: [JSONValue]) -> String {
        let rowHeight = 20, labelWidth = 180, barWidth = 420
        let height = max(1, columns.count) * rowHeight + 10
        var svg = "<svg role=\"img\" aria-label=\"completeness per column\" width=\"\(labelWidth + barWidth + 70)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, c) in columns.enumerated() {
            let values = c["values"]?.doubleValue ?? 0
            let nulls = c["nulls"]?.doubleValue ?? 0
            let share = values > 0 ? (values - nulls) / values : 0
            let y = i * rowHeight + 5
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 13)\" font-size=\"12\" text-anchor=\"end\">\(escape(String((c["name"]?.stringValue ?? "").prefix(28))))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(barWidth)\" height=\"14\" fill=\"#eef1f4\"/>"
            let color = share >= 0.99 ? "#16a34a" : share >= 0.9 ? "#ca8a04" : "#dc2626"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(String(format: "%.1f", Double(barWidth) * share))\" height=\"14\" fill=\"\(color)\"/>"
            svg += String(format: "<text x=\"%d\" y=\"%d\" font-size=\"12\">%.1f%%</text>", labelWidth + barWidth + 6, y + 13, share * 100)
        }
        return svg + "</svg>"
    }

    static let typeColors: [(String, String)] = [
        ("integer", "#2563eb"), ("decimal", "#7c3aed"), ("boolean", "#0891b2"), ("date", "#16a34a"), ("datetime", "#65a30d"),
        ("string", "#94a3b8"), ("null", "#e2e8f0"),
    ]

    static func typeBars(_ columns: [JSONValue]) -> String {
        let rowHeight = 20, labelWidth = 180, barWidth = 420
        let height = max(1, columns.count) * rowHeight + 34
        var svg = "<svg role=\"img\" aria-label=\"value types per column\" width=\"\(labelWidth + barWidth + 10)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, c) in columns.enumerated() {
            let values = c["values"]?.doubleValue ?? 0
            let y = i * rowHeight + 5
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 13)\" font-size=\"12\" text-anchor=\"end\">\(escape(String((c["name"]?.stringValue ?? "").prefix(28))))</text>"
            guard values > 0 else { continue }
            var x = Double(labelWidth)
            var counts = (c["types"]?.objectValue ?? [:]).compactMapValues(\.doubleValue)
            counts["null"] = (counts["null"] ?? 0) + (c["nulls"]?.doubleValue ?? 0)
            for (type, color) in typeColors {
                guard let count = counts[type], count > 0 else { continue }
                let w = Double(barWidth) * count / values
                svg += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(y + 2)\" width=\"\(String(format: "%.1f", w))\" height=\"14\" fill=\"\(color)\"><title>\(type): \(Int(count))</title></rect>"
                x += w
            }
        }
        var lx = labelWidth
        let ly = columns.count * rowHeight + 20
        for (type, color) in typeColors {
            svg += "<rect x=\"\(lx)\" y=\"\(ly)\" width=\"10\" height=\"10\" fill=\"\(color)\"/><text x=\"\(lx + 14)\" y=\"\(ly + 9)\" font-size=\"11\">\(type)</text>"
            lx += 60
        }
        return svg + "</svg>"
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
