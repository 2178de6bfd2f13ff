import DataspaceCore
import Foundation

/// Metadata a publisher supplies for a product version, as received (strings), validated by
/// `validate` into typed values with the field at fault named on error.
public struct PublishRequest: Sendable, Hashable, Codable {
    public var title: String
    public var description: String
    public var keywords: [String]
    public var sector: String
    public var region: String?
    public var license: String?
    public var grade: String?
    public var temporalStart: String?
    public var temporalEnd: String?
    public var policy: JSONValue?

    public init(
        title: String, description: String, keywords: [String] = [], sector: String, region: String? = nil,
        license: String? = nil, grade: String? = nil, temporalStart: String? = nil, temporalEnd: String? = nil,
        policy: JSONValue? = nil
    ) {
        self.title = title
        self.description = description
        self.keywords = keywords
        self.sector = sector
        self.region = region
        self.license = license
        self.grade = grade
        self.temporalStart = temporalStart
        self.temporalEnd = temporalEnd
        self.policy = policy
    }

    public static let defaultLicense = "https://creativecommons.org/licenses/by/4.0/"

    /// Typed, checked metadata.
    public struct Validated: Sendable, Hashable {
        public var title: String
        public var description: String
        public var keywords: [String]
        public var sector: Sector
        public var region: RegionCode?
        public var license: String
        public var grade: DataGrade
        public var temporal: TemporalCoverage?
        public var policy: UsagePolicy?
    }

    public func validate() throws(ValidationError) -> Validated {
        let title = self.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw ValidationError(code: "title.empty", field: "title", message: "title must not be empty") }
        guard title.count <= 300 else { throw ValidationError(code: "title.length", field: "title", message: "title is longer than 300 characters") }
        let description = self.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !description.isEmpty else {
            throw ValidationError(code: "description.empty", field: "description", message: "description must not be empty (DCAT-AP requires it)")
        }
        guard description.count <= 10_000 else {
            throw ValidationError(code: "description.length", field: "description", message: "description is longer than 10000 characters")
        }
        var keywords: [String] = []
        for (i, k) in self.keywords.enumerated() {
            let t = k.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !t.isEmpty, t.count <= 100 else {
                throw ValidationError(code: "keywords.item", field: "keywords[\(i)]", message: "keywords must be 1–100 characters")
            }
            if !keywords.contains(t) { keywords.append(t) }
        }
        guard keywords.count <= 50 else { throw ValidationError(code: "keywords.count", field: "keywords", message: "at most 50 keywords") }
        let sector = try Sector(slug: self.sector)
        let region = try self.region.map { r throws(ValidationError) in try RegionCode(r) }
        let license = (self.license?.trimmingCharacters(in: .whitespaces)).flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultLicense
        guard license.hasPrefix("http://") || license.hasPrefix("https://") || license.hasPrefix("urn:") else {
            throw ValidationError(code: "license.format", field: "license", message: "license must be an IRI (https://… or urn:…)")
        }
        let grade = try self.grade.map { g throws(ValidationError) in try DataGrade(g) } ?? .general
        var temporal: TemporalCoverage?
        if temporalStart != nil || temporalEnd != nil {
            func date(_ s: String?, _ field: String) throws(ValidationError) -> Date? {
                guard let s else { return nil }
                guard let d = ISO8601.parseDate(s) ?? ISO8601.parseDateTime(s) else {
                    throw ValidationError(code: "temporal.format", field: field, message: "'\(s)' is not an ISO 8601 date (YYYY-MM-DD)")
                }
                return d
            }
            let start = try date(temporalStart, "temporalStart")
            let end = try date(temporalEnd, "temporalEnd")
            if let start, let end, end < start {
                throw ValidationError(code: "temporal.order", field: "temporalEnd", message: "temporal end is before its start")
            }
            temporal = TemporalCoverage(start: start, end: end)
        }
        // Compiling at publish time rejects operator/operand pairs that have no meaning, so an offer
        // that could not be enforced never reaches the catalog.
        let policy = try self.policy.map { p throws(ValidationError) in try CompiledPolicy.parse(p, path: "policy").source }
        return Validated(
            title: title, description: description, keywords: keywords, sector: sector, region: region, license: license,
            grade: grade, temporal: temporal, policy: policy)
    }
}
