import DataspaceCore
import Foundation

/// Everything the node learns about a file at publish time — profile, quality scores, sensitive
/// data, category and the proposed grade — and the report document it signs and keeps with the
/// product version. Values that could identify people never enter the report: columns where a
/// personal-data detector fired lose their top values and min/max.
public struct QualityAssessment: Sendable {
    public let profile: DatasetProfile
    public let grade: GradeDecision
    public let declared: [DeclaredImpact]
    public let importantScale: Int

    public init(profile: DatasetProfile, declared: [DeclaredImpact], importantScale: Int = GradeAssessment.defaultImportantScale) {
        self.profile = profile
        self.declared = declared
        self.importantScale = importantScale
        grade = GradeAssessment.assess(declared: declared, profile: profile, importantScale: importantScale)
    }

    /// Profiles a stored file against optional rules and grades it.
    public static func assess(
        path: String, format: TabularFormat, rules: QualityRules?, declared: [DeclaredImpact], importantScale: Int,
        options: ProfileOptions = ProfileOptions()
    ) throws -> QualityAssessment {
        let profile = try TabularProfiler.profile(path: path, format: format, options: options, rules: rules)
        return QualityAssessment(profile: profile, declared: declared, importantScale: importantScale)
    }

    /// The quality report, or the implied one when no rules were declared.
    public var report: QualityReport { profile.quality ?? QualityReport.implied(by: profile) }

    /// Sensitive kind → values found, over columns where the kind is at least `share` of the values.
    public func sensitiveCounts(share: Double = 0.5) -> [String: Int] {
        var counts: [String: Int] = [:]
        for column in profile.columns {
            for d in column.sensitive where d.share >= share && d.count > 0 { counts[d.kind.rawValue, default: 0] += d.count }
        }
        return counts
    }

    /// The masking the node adds for sensitive columns the publisher left without a rule.
    public func defaultMasking(share: Double = 0.5) -> [String: MaskingRule] {
        var rules: [String: MaskingRule] = [:]
        for column in profile.columns {
            guard let top = column.sensitive.filter({ $0.share >= share }).max(by: { $0.count < $1.count }),
                let rule = ValueMasker.defaultRule(for: top.kind)
            else { continue }
            rules[column.name] = rule
        }
        return rules
    }

    /// Decimal values able to carry a watermark bit, outside columns the masking empties or hashes.
    public func watermarkCapacity(masking: [String: MaskingRule]) -> Int {
        profile.columns.reduce(0) { sum, column in
            switch masking[column.name] {
            case .hide?, .hash?, .partial?, .generalizeDate?, .generalizeRegion?: return sum
            case .round(let decimals)? where decimals <= 0: return sum
            default: return sum + (column.types[.decimal] ?? 0)
            }
        }
    }

    /// The report document: what the node signs (RFC 8785 canonical JSON) and stores.
    public func document(
        dataset: String, version: Int, sha256: String, assessor: String, at: Date, sector: Sector?, tier: KnowledgeTier?,
        decision: GradeDecisionRecord, grade applied: DataGrade, protection: DeliveryProtection
    ) -> JSONValue {
        var profileJSON = profile.json.objectValue ?? [:]
        profileJSON["columns"] = .array(profile.columns.map(\.redacted.json))
        profileJSON["quality"] = nil
        var category: [String: JSONValue] = [:]
        if let sector { category["sector"] = .string(sector.rawValue) }
        if let tier { category["tier"] = .string(tier.rawValue) }
        var gradeJSON: [String: JSONValue] = [
            "proposed": .string(grade.grade.description),
            "reasons": .array(grade.reasons.map { .string($0) }),
            "declaredImpacts": .array(declared.map { ["object": .string($0.object.rawValue), "degree": .string($0.degree.rawValue)] }),
            "importantScale": .number(Double(importantScale)),
            "applied": .string(applied.description),
            "status": .string(decision.status.rawValue),
        ]
        if let by = decision.by { gradeJSON["by"] = .string(by) }
        if let reason = decision.reason { gradeJSON["reason"] = .string(reason) }
        return [
            "type": "dataspace-quality-report/v1",
            "dataset": .string(dataset), "version": .number(Double(version)), "sha256": .string(sha256),
            "assessor": .string(assessor), "assessedAt": .string(ISO8601.format(at)),
            "category": .object(category),
            "grade": .object(gradeJSON),
            "profile": .object(profileJSON),
            "quality": report.json,
            "sensitive": .object(sensitiveCounts().mapValues { .number(Double($0)) }),
            "protection": protection.json,
            "suggestedMasking": .object(defaultMasking().mapValues { .string($0.description) }),
            "watermarkCapacity": .number(Double(watermarkCapacity(masking: protection.masking))),
        ]
    }
}
