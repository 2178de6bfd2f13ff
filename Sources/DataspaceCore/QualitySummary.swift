import Foundation

/// Whether a product's grade is what the assessment proposed, confirmed by the publisher, or
/// overridden by them (GB/T 43697-2024 leaves the decision to the data handler; the node records
/// who decided and why).
public enum GradeStatus: String, Sendable, Hashable, CaseIterable {
    case proposed, confirmed, overridden
}

/// Who set a grade, when, and why.
public struct GradeDecisionRecord: Sendable, Hashable {
    public var status: GradeStatus
    /// The grade the assessment proposed from declared impact and detected data.
    public var proposed: DataGrade
    public var by: String?
    public var reason: String?
    public var at: Date?
    /// Set when a new version's assessment came out stricter than the grade a person had
    /// confirmed: the stricter one applies and the publisher should review it.
    public var review: String?

    public init(status: GradeStatus, proposed: DataGrade, by: String? = nil, reason: String? = nil, at: Date? = nil, review: String? = nil) {
        self.status = status
        self.proposed = proposed
        self.by = by
        self.reason = reason
        self.at = at
        self.review = review
    }
}

/// What the catalog keeps of a version's signed quality report: enough to list, filter and
/// facet by score and grade; the full report is stored beside the record.
public struct QualitySummary: Sendable, Hashable {
    /// Overall score 0…1 (weighted dimensions), nil when nothing could be scored.
    public var score: Double?
    /// Dimension name → score.
    public var dimensions: [String: Double]
    /// Sensitive kinds found, with the number of values (never the values).
    public var sensitive: [String: Int]
    public var grade: GradeDecisionRecord
    /// SHA-256 of the report's canonical JSON, which the node's signature covers.
    public var reportSHA256: String

    public init(score: Double?, dimensions: [String: Double], sensitive: [String: Int], grade: GradeDecisionRecord, reportSHA256: String) {
        self.score = score
        self.dimensions = dimensions
        self.sensitive = sensitive
        self.grade = grade
        self.reportSHA256 = reportSHA256
    }

    public var json: JSONValue {
        var g: [String: JSONValue] = ["status": .string(grade.status.rawValue), "proposed": .string(grade.proposed.description)]
        if let by = grade.by { g["by"] = .string(by) }
        if let reason = grade.reason { g["reason"] = .string(reason) }
        if let at = grade.at { g["at"] = .string(ISO8601.format(at)) }
        if let review = grade.review { g["review"] = .string(review) }
        var o: [String: JSONValue] = [
            "dimensions": .object(dimensions.mapValues { .number($0) }),
            "sensitive": .object(sensitive.mapValues { .number(Double($0)) }),
            "grade": .object(g),
            "reportSha256": .string(reportSHA256),
        ]
        if let score { o["score"] = .number(score) }
        return .object(o)
    }

    public init(json: JSONValue) throws(ValidationError) {
        guard let g = json["grade"], let statusText = g["status"]?.stringValue, let status = GradeStatus(rawValue: statusText),
            let proposed = g["proposed"]?.stringValue, let sha = json["reportSha256"]?.stringValue
        else {
            throw ValidationError(code: "record.field", field: "quality", message: "quality needs grade.status, grade.proposed and reportSha256")
        }
        self.init(
            score: json["score"]?.doubleValue,
            dimensions: (json["dimensions"]?.objectValue ?? [:]).compactMapValues(\.doubleValue),
            sensitive: (json["sensitive"]?.objectValue ?? [:]).compactMapValues { $0.doubleValue.map { Int($0) } },
            grade: GradeDecisionRecord(
                status: status, proposed: try DataGrade(proposed), by: g["by"]?.stringValue, reason: g["reason"]?.stringValue,
                at: g["at"]?.stringValue.flatMap(ISO8601.parseDateTime), review: g["review"]?.stringValue),
            reportSHA256: sha)
    }
}
