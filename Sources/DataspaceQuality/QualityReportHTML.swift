import DataspaceCore
import Foundation
import Mustache

/// Renders a quality report document (`QualityAssessment.document`) as one self-contained HTML
/// page with inline SVG charts — score radar, per-column completeness bars, per-column value-type
/// distributions — so `dataspace quality --html` and the portal show the same thing, offline,
/// with no script and no external resource. The page is a Mustache template
/// (`QualityReportTemplate`), which escapes every value; this file computes what it shows.
public enum QualityReportHTML {
    /// The page in `language`: Chinese, English, or both side by side (the default, for files
    /// `dataspace quality --html` writes).
    public static func render(_ report: JSONValue, title: String, language: BilingualText.Choice = .both) -> String {
        guard let template = QualityReportTemplate.parsed[language] else {
            // The template is a constant that `QualityReportHTMLTests` parses; never reached.
            return "<!doctype html><title>quality report</title><p>the report template could not be read</p>"
        }
        var values = context(report, title: title, language: language)
        values["htmlLang"] = language == .english ? "en" : "zh-CN"
        return template.render(values)
    }

    /// What the template shows, every value already formatted as text.
    static func context(_ report: JSONValue, title: String, language: BilingualText.Choice = .both) -> [String: Any] {
        let grade = report["grade"]
        let applied = grade?["applied"]?.stringValue ?? grade?["proposed"]?.stringValue ?? "—"
        let level = applied.split(separator: "-").first.map(String.init) ?? applied
        let profile = report["profile"]
        let columns = profile?["columns"]?.arrayValue ?? []
        let dimensions = report["quality"]?["dimensions"]?.arrayValue ?? []
        var c: [String: Any] = [
            "title": title, "gradeClass": level, "gradeLabel": language == .english ? "" : GradeLevel(rawValue: level)?.chineseLabel ?? "", "grade": applied,
            "overall": report["quality"]?["overall"]?.doubleValue.map { String(format: "%.3f", $0) } ?? "—",
            "dimensions": dimensions.map { d -> [String: Any] in
                let name = d["dimension"]?.stringValue ?? ""
                return [
                    "name": name, "score": d["score"]?.doubleValue.map { String(format: "%.3f", $0) } ?? "—",
                    "weight": report["quality"]?["weights"]?[name]?.doubleValue.map { String(format: "%.2f", $0) } ?? "",
                    "formula": d["formula"]?.stringValue ?? "",
                ]
            },
            "radar": radar(dimensions), "completeness": completenessBars(columns), "types": typeBars(columns),
            "reasons": (grade?["reasons"]?.arrayValue ?? []).map { $0.stringValue ?? "" },
            "status": grade?["status"]?.stringValue ?? "proposed",
            "columns": columns.map(column),
        ]
        var counts: [String] = []
        /// `100 行`, `100 rows`, side by side `100 行 rows`.
        func count(_ n: Int, _ zh: String, _ en: String) -> String {
            switch language {
            case .chinese: "\(n) \(zh)"
            case .english: "\(n) \(en)"
            case .both: "\(n) \(zh) \(en)"
            }
        }
        if let rows = profile?["rows"]?.intValue { counts.append(count(rows, "行", "rows")) }
        if profile?["columns"]?.arrayValue != nil { counts.append(count(columns.count, "列", "columns")) }
        if let duplicates = profile?["duplicateRows"]?.intValue { counts.append(count(duplicates, "重复行", "duplicate rows")) }
        c["counts"] = counts.map { ["text": $0] }
        c["meta"] = meta(report)
        c["hasMeta"] = !meta(report).isEmpty
        c["by"] = grade?["by"]?.stringValue
        c["reason"] = grade?["reason"]?.stringValue
        c["sensitive"] = columns.flatMap { column in
            (column["sensitive"]?.arrayValue ?? []).filter { ($0["count"]?.doubleValue ?? 0) > 0 }.map { d -> [String: Any] in
                [
                    "column": column["name"]?.stringValue ?? "", "kind": d["kind"]?.stringValue ?? "",
                    "count": String(d["count"]?.intValue ?? 0), "checked": String(d["checked"]?.intValue ?? 0),
                    "share": String(format: "%.1f%%", 100 * (d["share"]?.doubleValue ?? 0)),
                ]
            }
        }
        c["hasSensitive"] = !((c["sensitive"] as? [[String: Any]]) ?? []).isEmpty
        let masking = (report["protection"]?["masking"]?.objectValue ?? [:]).sorted { $0.key < $1.key }
        let watermark = report["protection"]?["watermark"] == .bool(true)
        if !masking.isEmpty || watermark {
            c["protection"] = [
                "masking": masking.enumerated().map { i, m in ["column": m.key, "rule": m.value.stringValue ?? "", "first": i == 0] },
                "watermark": watermark ? ["capacity": String(report["watermarkCapacity"]?.intValue ?? 0), "first": masking.isEmpty] : false,
            ] as [String: Any]
        }
        let rules = report["quality"]?["rules"]?.arrayValue ?? []
        if !rules.isEmpty {
            c["rules"] = [
                "implied": report["quality"]?["implied"] == .bool(true),
                "items": rules.map { r -> [String: Any] in
                    let failed = r["failed"]?.intValue ?? 0
                    return [
                        "rule": r["rule"]?.stringValue ?? "", "checked": String(r["checked"]?.intValue ?? 0), "failed": String(failed),
                        "failing": failed > 0,
                        "samples": (r["sampleRows"]?.arrayValue ?? []).compactMap { $0.intValue.map(String.init) }.joined(separator: ", "),
                    ]
                },
            ] as [String: Any]
        }
        return c
    }

    /// The line under the headline: dataset and version, file hash, assessor, time, category.
    static func meta(_ report: JSONValue) -> [[String: Any]] {
        var items: [(text: String, code: String?, after: String)] = []
        if let dataset = report["dataset"]?.stringValue { items.append(("dataset ", dataset, " v\(report["version"]?.intValue ?? 0)")) }
        if let sha = report["sha256"]?.stringValue { items.append(("SHA-256 ", String(sha.prefix(16)), "…")) }
        if let assessor = report["assessor"]?.stringValue { items.append(("assessed by ", assessor, "")) }
        if let at = report["assessedAt"]?.stringValue { items.append((at, nil, "")) }
        if let sector = report["category"]?["sector"]?.stringValue { items.append(("sector \(sector)", nil, "")) }
        if let tier = report["category"]?["tier"]?.stringValue { items.append(("tier \(tier)", nil, "")) }
        return items.enumerated().map { i, item in
            var o: [String: Any] = ["text": item.text, "after": item.after, "first": i == 0]
            o["code"] = item.code
            return o
        }
    }

    static func column(_ c: JSONValue) -> [String: Any] {
        [
            "name": c["name"]?.stringValue ?? "", "type": c["inferredType"]?.stringValue ?? "",
            "distinct": (c["distinctExact"] == .bool(false) ? "≈" : "") + String(c["distinct"]?.intValue ?? 0),
            "min": bound(c["min"]), "max": bound(c["max"]),
            "mean": c["mean"]?.doubleValue.map { String(format: "%.4g", $0) } ?? "",
            "stddev": c["stddev"]?.doubleValue.map { String(format: "%.4g", $0) } ?? "",
            "patterns": (c["patterns"]?.arrayValue ?? []).prefix(3).enumerated().map { i, p -> [String: Any] in
                ["pattern": p["pattern"]?.stringValue ?? "", "count": String(p["count"]?.intValue ?? 0), "first": i == 0]
            },
        ]
    }

    static func bound(_ value: JSONValue?) -> String {
        switch value {
        case .number(let n)?: n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(format: "%.6g", n)
        case .string(let s)?: s
        default: "—"
        }
    }

    static func coordinate(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A pentagon radar of the five dimension scores; an unscored dimension sits at the centre
    /// and is labelled "n/a" (not drawn as a score of zero).
    static func radar(_ dimensions: [JSONValue]) -> [String: Any] {
        let center = 150.0, radius = 100.0
        let n = max(dimensions.count, 3)
        func point(_ i: Int, _ r: Double) -> (x: Double, y: Double) {
            let angle = -Double.pi / 2 + 2 * Double.pi * Double(i) / Double(n)
            return (center + r * cos(angle), center + r * sin(angle))
        }
        func points(_ list: [(x: Double, y: Double)]) -> String { list.map { coordinate($0.x) + "," + coordinate($0.y) }.joined(separator: " ") }
        var axes: [[String: Any]] = [], labels: [[String: Any]] = [], shape: [(x: Double, y: Double)] = []
        for (i, d) in dimensions.enumerated() {
            let end = point(i, radius)
            axes.append(["x1": coordinate(center), "y1": coordinate(center), "x2": coordinate(end.x), "y2": coordinate(end.y)])
            let score = d["score"]?.doubleValue
            shape.append(point(i, radius * (score ?? 0)))
            let label = point(i, radius + 22)
            labels.append([
                "x": coordinate(label.x), "y": coordinate(label.y),
                "text": "\(d["dimension"]?.stringValue ?? "") \(score.map { String(format: "%.2f", $0) } ?? "n/a")",
            ])
        }
        return [
            "rings": [0.25, 0.5, 0.75, 1.0].map { ring in ["points": points((0..<n).map { point($0, radius * ring) })] },
            "axes": axes, "labels": labels, "shape": points(shape),
        ]
    }

    static let rowHeight = 20, labelWidth = 180, barWidth = 420

    static func completenessBars(_ columns: [JSONValue]) -> [String: Any] {
        let rows = columns.enumerated().map { i, c -> [String: Any] in
            let values = c["values"]?.doubleValue ?? 0
            let nulls = c["nulls"]?.doubleValue ?? 0
            let share = values > 0 ? (values - nulls) / values : 0
            let y = i * rowHeight + 5
            return [
                "name": String((c["name"]?.stringValue ?? "").prefix(28)), "textY": String(y + 13), "barY": String(y + 2),
                "fill": coordinate(Double(barWidth) * share), "color": share >= 0.99 ? "#16a34a" : share >= 0.9 ? "#ca8a04" : "#dc2626",
                "percent": String(format: "%.1f%%", share * 100),
            ]
        }
        return [
            "width": String(labelWidth + barWidth + 70), "height": String(max(1, columns.count) * rowHeight + 10), "rows": rows,
            "labelX": String(labelWidth - 6), "barX": String(labelWidth), "barWidth": String(barWidth), "percentX": String(labelWidth + barWidth + 6),
        ]
    }

    static let typeColors: [(String, String)] = [
        ("integer", "#2563eb"), ("decimal", "#7c3aed"), ("boolean", "#0891b2"), ("date", "#16a34a"), ("datetime", "#65a30d"),
        ("string", "#94a3b8"), ("null", "#e2e8f0"),
    ]

    static func typeBars(_ columns: [JSONValue]) -> [String: Any] {
        let rows = columns.enumerated().map { i, c -> [String: Any] in
            let values = c["values"]?.doubleValue ?? 0
            let y = i * rowHeight + 5
            var segments: [[String: Any]] = []
            if values > 0 {
                var x = Double(labelWidth)
                var counts = (c["types"]?.objectValue ?? [:]).compactMapValues(\.doubleValue)
                counts["null"] = (counts["null"] ?? 0) + (c["nulls"]?.doubleValue ?? 0)
                for (type, color) in typeColors {
                    guard let count = counts[type], count > 0 else { continue }
                    let w = Double(barWidth) * count / values
                    segments.append(["x": coordinate(x), "width": coordinate(w), "color": color, "type": type, "count": String(format: "%.0f", count)])
                    x += w
                }
            }
            return ["name": String((c["name"]?.stringValue ?? "").prefix(28)), "textY": String(y + 13), "barY": String(y + 2), "segments": segments]
        }
        let legendY = columns.count * rowHeight + 20
        return [
            "width": String(labelWidth + barWidth + 10), "height": String(max(1, columns.count) * rowHeight + 34), "rows": rows,
            "labelX": String(labelWidth - 6),
            "legend": typeColors.enumerated().map { i, t -> [String: Any] in
                ["x": String(labelWidth + 60 * i), "textX": String(labelWidth + 60 * i + 14), "y": String(legendY), "textY": String(legendY + 9),
                 "color": t.1, "type": t.0]
            },
        ]
    }
}
