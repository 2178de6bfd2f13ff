import Foundation

extension DatasetRecord {
    /// The record as the management API shows it and as stores keep it: one representation.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "identifier": .string(identifier.description),
            "version": .number(Double(version)),
            "status": .string(status.rawValue),
            "title": .string(title),
            "description": .string(description),
            "keywords": .array(keywords.map { .string($0) }),
            "sector": .string(sector.rawValue),
            "region": .string(region.value),
            "license": .string(license),
            "grade": .string(grade.description),
            "publisher": [
                "name": .string(publisher.name), "did": .string(publisher.did.value),
                "creditCode": .string(publisher.creditCode.value), "region": .string(publisher.region.value),
            ],
            "issued": .string(ISO8601.format(issued)),
            "modified": .string(ISO8601.format(modified)),
            "distribution": distribution.json,
            "offer": offer.json,
        ]
        if let tier { o["tier"] = .string(tier.rawValue) }
        if !protection.isEmpty { o["protection"] = protection.json }
        if profilePublic { o["profilePublic"] = .bool(true) }
        if let rules { o["rules"] = .string(rules) }
        if !impacts.isEmpty { o["impacts"] = .array(impacts.map { .string($0) }) }
        if let quality { o["quality"] = quality.json }
        if let compute { o["compute"] = compute.json }
        if let previousVersion { o["previousVersion"] = .number(Double(previousVersion)) }
        if let temporal {
            var t: [String: JSONValue] = [:]
            if let s = temporal.start { t["start"] = .string(ISO8601.formatDate(s)) }
            if let e = temporal.end { t["end"] = .string(ISO8601.formatDate(e)) }
            o["temporal"] = .object(t)
        }
        return .object(o)
    }

    /// Reads the stored representation back; throws `ValidationError` naming the bad field.
    public init(json: JSONValue) throws(ValidationError) {
        func string(_ key: String, in v: JSONValue? = nil) throws(ValidationError) -> String {
            guard let s = (v ?? json)[key]?.stringValue else {
                throw ValidationError(code: "record.field", field: key, message: "missing or not a string")
            }
            return s
        }
        func number(_ key: String, in v: JSONValue? = nil) throws(ValidationError) -> Int64 {
            guard let n = (v ?? json)[key]?.int64Value, n >= 0 else {
                throw ValidationError(code: "record.field", field: key, message: "missing or not a non-negative whole number")
            }
            return n
        }
        func date(_ key: String) throws(ValidationError) -> Date {
            guard let d = ISO8601.parseDateTime(try string(key)) else {
                throw ValidationError(code: "record.field", field: key, message: "not a date-time")
            }
            return d
        }
        guard let p = json["publisher"], let d = json["distribution"], let offerJSON = json["offer"] else {
            throw ValidationError(code: "record.field", field: "publisher", message: "publisher, distribution and offer are required")
        }
        guard let status = DatasetStatus(rawValue: try string("status")) else {
            throw ValidationError(code: "record.field", field: "status", message: "unknown status")
        }
        guard let format = TabularFormat(rawValue: try string("format", in: d)) else {
            throw ValidationError(code: "record.field", field: "distribution.format", message: "unknown format")
        }
        var temporal: TemporalCoverage?
        if let t = json["temporal"] {
            temporal = TemporalCoverage(start: t["start"]?.stringValue.flatMap(ISO8601.parseDate), end: t["end"]?.stringValue.flatMap(ISO8601.parseDate))
        }
        var tier: KnowledgeTier?
        if let t = json["tier"] {
            guard let parsed = t.stringValue.flatMap(KnowledgeTier.init(rawValue:)) else {
                throw ValidationError(code: "record.field", field: "tier", message: "unknown tier")
            }
            tier = parsed
        }
        let protection = try json["protection"].map { p throws(ValidationError) in try DeliveryProtection(json: p) } ?? DeliveryProtection()
        let quality = try json["quality"].map { q throws(ValidationError) in try QualitySummary(json: q) }
        self.init(
            identifier: try UnifiedIdentifier(parsing: try string("identifier")),
            version: Int(try number("version")),
            title: try string("title"), description: try string("description"),
            keywords: json["keywords"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            sector: try Sector(slug: try string("sector")), region: try RegionCode(try string("region")),
            temporal: temporal, license: try string("license"), grade: try DataGrade(try string("grade")),
            publisher: Publisher(
                name: try string("name", in: p), did: try WebDID(try string("did", in: p)),
                creditCode: try CreditCode(try string("creditCode", in: p)), region: try RegionCode(try string("region", in: p))),
            issued: try date("issued"), modified: try date("modified"),
            distribution: DistributionInfo(
                format: format, byteSize: try number("byteSize", in: d), sha256: try string("sha256", in: d),
                rowCount: try number("rowCount", in: d), columns: d["columns"]?.arrayValue?.compactMap(\.stringValue) ?? []),
            offer: try UsagePolicy.parse(offerJSON, path: "offer"), status: status)
        self.distribution.sourceEncoding = d["sourceEncoding"]?.stringValue
        self.distribution.sourceDelimiter = d["sourceDelimiter"]?.stringValue
        self.tier = tier
        self.protection = protection
        self.quality = quality
        self.profilePublic = json["profilePublic"] == .bool(true)
        self.rules = json["rules"]?.stringValue
        self.impacts = json["impacts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.compute = try json["compute"].map { c throws(ValidationError) in try ComputeSchema(json: c) }
    }
}

extension DatasetRecord {
    /// Members of the record that make its public catalog entry: what anyone may see of a core
    /// or withdrawn product (no file details, offer, protection or quality).
    public static let catalogEntryFields: Set<String> = [
        "identifier", "version", "title", "description", "keywords", "sector", "region", "temporal", "license", "grade",
        "publisher", "issued", "modified", "status", "tier", "previousVersion",
    ]

    /// Members only the publisher sees: its quality rules and declared impacts.
    public static let publisherOnlyFields: Set<String> = ["rules", "impacts"]

    /// Core-grade and withdrawn products show only their catalog entry to the public.
    public var detailsArePublic: Bool { status == .active && grade.level != .core }

    /// The record as the public may see it.
    public var publicJSON: JSONValue {
        guard case .object(let all) = json else { return json }
        // The publisher's own working settings are not part of the public record.
        guard !detailsArePublic else { return .object(all.filter { !Self.publisherOnlyFields.contains($0.key) }) }
        return .object(all.filter { Self.catalogEntryFields.contains($0.key) })
    }
}

extension DistributionInfo {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "mediaType": .string(format.mediaType), "format": .string(format.rawValue), "byteSize": .number(Double(byteSize)),
            "sha256": .string(sha256), "rowCount": .number(Double(rowCount)), "columns": .array(columns.map { .string($0) }),
        ]
        if let sourceEncoding { o["sourceEncoding"] = .string(sourceEncoding) }
        if let sourceDelimiter { o["sourceDelimiter"] = .string(sourceDelimiter) }
        return .object(o)
    }
}
