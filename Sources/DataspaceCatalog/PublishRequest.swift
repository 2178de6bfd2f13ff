import DataspaceCore
import DataspaceQuality
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
    /// TC609 tier: general-knowledge, industry-general-knowledge, industry-professional-knowledge.
    public var tier: String?
    /// Declared impacts `OBJECT:DEGREE` (GB/T 43697-2024 §6.4), e.g. `public-interest:serious`.
    public var impacts: [String]
    /// Quality rules as `quality.yaml` text (docs/quality.md); without them the profile implies rules.
    public var rules: String?
    /// Delivery masking and watermarking: `{"masking": {"column": "partial:3,4"}, "watermark": true}`.
    public var protection: JSONValue?
    /// Why the publisher's `grade` differs from the assessment's proposal (required when lower).
    public var gradeReason: String?
    /// Who decided the grade (recorded with the decision); the node's administrator by default.
    public var decidedBy: String?
    /// Show the profile's values (min/max, means, top values, patterns) on the public quality
    /// page; by default the public page shows scores and structure only.
    public var profilePublic: Bool?
    /// Computation in place: `{"privacyUnit": …, "bounds": {"age": "0:120"}, "publicKeys": […],
    /// "maxRowsPerUnit": 1, "maxGroupsPerUnit": 1}` (docs/privacy.md).
    public var compute: JSONValue?

    public init(
        title: String, description: String, keywords: [String] = [], sector: String, region: String? = nil,
        license: String? = nil, grade: String? = nil, temporalStart: String? = nil, temporalEnd: String? = nil,
        policy: JSONValue? = nil, tier: String? = nil, impacts: [String] = [], rules: String? = nil, protection: JSONValue? = nil,
        gradeReason: String? = nil, decidedBy: String? = nil
    ) {
        self.tier = tier
        self.impacts = impacts
        self.rules = rules
        self.protection = protection
        self.gradeReason = gradeReason
        self.decidedBy = decidedBy
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
    public struct Validated: Sendable {
        public var title: String
        public var description: String
        public var keywords: [String]
        public var sector: Sector
        public var region: RegionCode?
        public var license: String
        /// The grade the publisher set; nil accepts the assessment's proposal.
        public var grade: DataGrade?
        public var temporal: TemporalCoverage?
        public var policy: UsagePolicy?
        public var tier: KnowledgeTier?
        public var impacts: [DeclaredImpact]
        public var rules: QualityRules?
        public var protection: DeliveryProtection
        public var gradeReason: String?
        public var decidedBy: String?
        public var profilePublic: Bool?
        public var compute: ComputeSchema?
        /// A grade a person decided on the current version, kept for the next one unless the
        /// new assessment is stricter (set by `CatalogService.update`).
        public var keptGrade: (grade: DataGrade, decision: GradeDecisionRecord)?
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
        let grade = try self.grade.map { g throws(ValidationError) in try DataGrade(g) }
        let tier = try self.tier.map { t throws(ValidationError) in
            guard let tier = KnowledgeTier(rawValue: t) else {
                throw ValidationError(
                    code: "tier.unknown", field: "tier",
                    message: "unknown tier '\(t)'; expected \(KnowledgeTier.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return tier
        }
        let impacts = try self.impacts.enumerated().map { i, text throws(ValidationError) in try DeclaredImpact(parsing: text, field: "impacts[\(i)]") }
        let rules = try self.rules.map { yaml throws(ValidationError) in
            do throws(ValidationError) { return try QualityRules.parse(yaml: yaml) } catch {
                throw ValidationError(code: error.code, field: "rules\(error.field.map { "." + $0 } ?? "")", message: error.message)
            }
        }
        let protection = try self.protection.map { p throws(ValidationError) in try DeliveryProtection(json: p) } ?? DeliveryProtection()
        let compute = try self.compute.map { c throws(ValidationError) in try ComputeSchema(json: c) }
        let gradeReason = self.gradeReason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let gradeReason, gradeReason.count > 2_000 {
            throw ValidationError(code: "gradeReason.length", field: "gradeReason", message: "gradeReason is longer than 2000 characters")
        }
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
            grade: grade, temporal: temporal, policy: policy, tier: tier, impacts: impacts, rules: rules, protection: protection,
            gradeReason: gradeReason?.isEmpty == true ? nil : gradeReason, decidedBy: decidedBy, profilePublic: profilePublic, compute: compute)
    }
}

/// What an update of a product changes. Every field is optional: what is absent carries over
/// from the current version — metadata, keywords, rules, impacts, masking, the offer, and a
/// grade a person confirmed (docs/quality.md, "Updating a product").
public struct ProductChanges: Sendable, Hashable {
    public var title: String?
    public var description: String?
    public var keywords: [String]?
    public var sector: String?
    public var region: String?
    public var license: String?
    public var grade: String?
    public var gradeReason: String?
    public var temporalStart: String?
    public var temporalEnd: String?
    public var policy: JSONValue?
    public var tier: String?
    public var impacts: [String]?
    public var rules: String?
    public var protection: JSONValue?
    public var decidedBy: String?
    public var profilePublic: Bool?
    public var compute: JSONValue?

    public init() {}

    /// The full request for the next version: these changes over `current`.
    public func request(over current: DatasetRecord) -> PublishRequest {
        var r = PublishRequest(
            title: title ?? current.title, description: description ?? current.description, keywords: keywords ?? current.keywords,
            sector: sector ?? current.sector.rawValue, region: region ?? current.region.value, license: license ?? current.license,
            grade: grade, temporalStart: temporalStart, temporalEnd: temporalEnd, policy: policy, tier: tier ?? current.tier?.rawValue,
            impacts: impacts ?? current.impacts, rules: rules ?? current.rules, protection: protection ?? current.protection.json,
            gradeReason: gradeReason, decidedBy: decidedBy)
        r.profilePublic = profilePublic ?? current.profilePublic
        r.compute = compute ?? current.compute?.json
        return r
    }

    /// The request for a first version: title, description and sector are required.
    public func firstVersion() throws(ValidationError) -> PublishRequest {
        guard let title else { throw ValidationError(code: "title.missing", field: "title", message: "title is required") }
        guard let description else { throw ValidationError(code: "description.missing", field: "description", message: "description is required") }
        guard let sector else { throw ValidationError(code: "sector.missing", field: "sector", message: "sector is required") }
        var r = PublishRequest(
            title: title, description: description, keywords: keywords ?? [], sector: sector, region: region, license: license, grade: grade,
            temporalStart: temporalStart, temporalEnd: temporalEnd, policy: policy, tier: tier, impacts: impacts ?? [], rules: rules,
            protection: protection, gradeReason: gradeReason, decidedBy: decidedBy)
        r.profilePublic = profilePublic
        r.compute = compute
        return r
    }
}
