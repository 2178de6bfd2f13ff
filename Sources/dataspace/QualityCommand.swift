import ArgumentParser
import Crypto
import DataspaceCore
import DataspaceQuality
import Foundation

/// `dataspace quality FILE`: profile a CSV or JSON-lines file before publishing — types, nulls,
/// distinct values, ranges, patterns, duplicate rows and sensitive-data detections (counts only).
struct QualityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality", abstract: "Profile a CSV or JSON-lines file (gzip too): types, nulls, distinct values, duplicates, rules, sensitive data, grade.")

    @Argument(help: "The file to profile.") var file: String
    @Option(help: "csv or jsonl (default: from the file name).") var format: String?
    @Option(help: "Quality rules (quality.yaml, see docs/quality.md); without it the profile implies them.") var rules: String?
    @Flag(help: "Print machine-readable JSON.") var json = false
    @Flag(name: .customLong("no-duplicates"), help: "Skip counting duplicate rows (saves 8 bytes per row of memory).") var noDuplicates = false
    @Option(help: "Declared impact OBJECT:DEGREE (repeatable), e.g. public-interest:serious. Objects: \(ImpactObject.allCases.map(\.rawValue).joined(separator: ", ")); degrees: \(ImpactDegree.allCases.map(\.rawValue).joined(separator: ", ")).")
    var impact: [String] = []
    @Option(help: "Sensitive personal records from which the data counts as important data.") var importantScale = GradeAssessment.defaultImportantScale
    @Option(help: "Also write the report as one HTML page with charts.") var html: String?

    static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return Hex.encode(hasher.finalize())
    }

    func run() async throws {
        try await runReporting {
            let tabular = try resolvedFormat()
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ValidationError(code: "file.unreadable", field: "file", message: "cannot read \(file)")
            }
            let declared = try impact.map { text in try DeclaredImpact(parsing: text, field: "impact") }
            var declaredRules: QualityRules?
            if let rules {
                guard let text = try? String(contentsOfFile: rules, encoding: .utf8) else {
                    throw ValidationError(code: "rules", field: "rules", message: "cannot read \(rules)")
                }
                do { declaredRules = try QualityRules.parse(yaml: text) } catch let error as DataspaceCore.ValidationError {
                    throw ValidationError(code: error.code, field: "\(rules): \(error.field ?? "")", message: error.message)
                }
            }
            var options = ProfileOptions()
            options.duplicateRows = !noDuplicates
            let started = ContinuousClock.now
            let profile: DatasetProfile
            do {
                profile = try TabularProfiler.profile(path: file, format: tabular, options: options, rules: declaredRules)
            } catch let error as ProfileError {
                throw ValidationError(code: "file.unreadable", field: error.line.map { "file:line \($0)" } ?? "file", message: error.description)
            }
            let seconds = (ContinuousClock.now - started).milliseconds / 1_000
            let columns = profile.columns.map(\.redacted)
            let assessment = QualityAssessment(profile: profile, declared: declared, importantScale: importantScale)
            let decision = assessment.grade
            if let html {
                let document = assessment.document(
                    dataset: file, version: 0, sha256: try Self.sha256(of: file), assessor: "dataspace quality (local)", at: Date(), sector: nil,
                    tier: nil, decision: GradeDecisionRecord(status: .proposed, proposed: decision.grade), grade: decision.grade,
                    protection: DeliveryProtection(masking: assessment.defaultMasking(), watermark: decision.grade.level != .general))
                do {
                    try QualityReportHTML.render(document, title: (file as NSString).lastPathComponent).write(toFile: html, atomically: true, encoding: .utf8)
                } catch {
                    throw ValidationError(code: "html.write", field: "html", message: "cannot write \(html): \(error.localizedDescription)")
                }
                if !json { print("HTML report written to \(html)") }
            }
            if json {
                var body = profile.json.objectValue ?? [:]
                body["columns"] = .array(columns.map(\.json))
                body["seconds"] = .number(seconds)
                body["peakMemoryBytes"] = .number(Double(processMemory().peak))
                body["grade"] = ["proposed": .string(decision.grade.description), "reasons": .array(decision.reasons.map { .string($0) })]
                return printJSON(.object(body))
            }
            print("\(file): \(profile.rows) rows, \(columns.count) columns, \(profile.bytes) bytes (\(profile.format.rawValue)) in \(String(format: "%.2f", seconds)) s")
            if let duplicates = profile.duplicateRows { print("duplicate rows: \(duplicates)") }
            if profile.raggedRows > 0 { print("rows with the wrong number of fields: \(profile.raggedRows)") }
            if profile.malformedLines > 0 { print("lines that are not JSON objects (skipped): \(profile.malformedLines)") }
            if let line = profile.firstProblemLine { print("first problem on line \(line)") }
            let rows = columns.map { c -> [String] in
                let nullShare = c.values == 0 ? 0 : 100 * Double(c.nulls) / Double(c.values)
                let sensitive = c.sensitive.filter { $0.share >= 0.05 }.map { "\($0.kind.rawValue) \(Int(($0.share * 100).rounded()))%" }.joined(separator: ", ")
                return [
                    c.name, c.inferredType.rawValue, String(format: "%.1f%%", nullShare), (c.distinctExact ? "" : "≈") + String(c.distinct),
                    Self.text(c.minimum), Self.text(c.maximum), [.integer, .decimal].contains(c.inferredType) ? c.mean.map { String(format: "%.4g", $0) } ?? "" : "", sensitive,
                ]
            }
            printTable(["COLUMN", "TYPE", "NULL", "DISTINCT", "MIN", "MAX", "MEAN", "SENSITIVE"], rows, maxWidth: 32)
            if let quality = profile.quality {
                print("quality\(quality.implied ? " (rules implied by the profile)" : ""): overall \(quality.overall.map { String(format: "%.3f", $0) } ?? "—")")
                for d in quality.dimensions {
                    print("  \(d.dimension.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(d.score.map { String(format: "%.3f", $0) } ?? "  —  ")  \(d.formula)")
                }
                for r in quality.rules where r.failed > 0 {
                    print("  ✗ \(r.rule): \(r.failed) of \(r.checked) failed\(r.sampleRows.isEmpty ? "" : " (rows \(r.sampleRows.map(String.init).joined(separator: ", "))…)")")
                }
                if !quality.missingColumns.isEmpty { print("  rules name columns the file lacks: \(quality.missingColumns.joined(separator: ", "))") }
            }
            print("proposed grade (GB/T 43697-2024): \(decision.grade) \(decision.grade.level.chineseLabel)")
            for reason in decision.reasons { print("  - \(reason)") }
        }
    }

    static func text(_ bound: ColumnProfile.Bound?) -> String {
        switch bound {
        case .number(let n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(format: "%.6g", n)
        case .text(let t): t
        case nil: "—"
        }
    }

    func resolvedFormat() throws -> TabularFormat {
        if let chosen = try tabularFormat(option: format) { return chosen }
        var lower = file.lowercased()
        if lower.hasSuffix(".gz") { lower = String(lower.dropLast(3)) }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonLines }
        if lower.hasSuffix(".csv") || lower.hasSuffix(".txt") { return .csv }
        throw ValidationError(code: "format", field: "format", message: "cannot tell the format of \(file) from its name; pass --format csv or jsonl")
    }
}
