import Foundation

/// Lifecycle of one version of a data product.
public enum DatasetStatus: String, Sendable, Codable, CaseIterable {
    /// The current version, visible in the catalog.
    case active
    /// An earlier version, kept and linked from its successor.
    case superseded
    /// The product was withdrawn; it no longer appears in the catalog or search.
    case withdrawn
}

/// The organisation that publishes a product (DCAT `dct:publisher`).
public struct Publisher: Sendable, Hashable, Codable {
    public var name: String
    public var did: WebDID
    public var creditCode: CreditCode
    public var region: RegionCode

    public init(name: String, did: WebDID, creditCode: CreditCode, region: RegionCode) {
        self.name = name
        self.did = did
        self.creditCode = creditCode
        self.region = region
    }
}

/// Tabular media types a product may be published in.
public enum TabularFormat: String, Sendable, Codable, CaseIterable {
    case csv
    case jsonLines = "jsonl"

    public var mediaType: String {
        switch self {
        case .csv: "text/csv"
        case .jsonLines: "application/jsonl"
        }
    }

    public init(mediaType: String) throws(ValidationError) {
        let base = mediaType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch base {
        case "text/csv": self = .csv
        case "application/jsonl", "application/x-ndjson", "application/jsonlines", "application/x-jsonlines": self = .jsonLines
        default:
            throw ValidationError(code: "format.unsupported", field: "format", message: "unsupported media type '\(mediaType)'; use text/csv or application/jsonl")
        }
    }

    /// Guesses the format from a file name.
    public static func fromFileName(_ name: String) -> TabularFormat? {
        let lower = name.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonLines }
        return nil
    }
}

/// The file of a product version as stored (DCAT `dcat:Distribution`).
public struct DistributionInfo: Sendable, Hashable, Codable {
    public var format: TabularFormat
    public var byteSize: Int64
    /// Lowercase hex SHA-256 of the bytes; also the blob's key in the content-addressed store.
    public var sha256: String
    public var rowCount: Int64
    public var columns: [String]
    /// How the publisher's file was written when it was not UTF-8 comma-separated (the stored
    /// file is): its encoding (`GB18030`, `UTF-8 (BOM)`, `UTF-16LE`) and CSV delimiter.
    public var sourceEncoding: String?
    public var sourceDelimiter: String?

    public init(format: TabularFormat, byteSize: Int64, sha256: String, rowCount: Int64, columns: [String]) {
        self.format = format
        self.byteSize = byteSize
        self.sha256 = sha256
        self.rowCount = rowCount
        self.columns = columns
    }
}

/// Period the data covers (DCAT `dct:temporal`).
public struct TemporalCoverage: Sendable, Hashable, Codable {
    public var start: Date?
    public var end: Date?

    public init(start: Date?, end: Date?) {
        self.start = start
        self.end = end
    }
}

/// One version of a data product: DCAT-AP 3 metadata, its file and its ODRL offer.
public struct DatasetRecord: Sendable, Hashable {
    public var identifier: UnifiedIdentifier
    public var version: Int
    public var title: String
    public var description: String
    public var keywords: [String]
    public var sector: Sector
    public var region: RegionCode
    public var temporal: TemporalCoverage?
    public var license: String
    public var grade: DataGrade
    public var publisher: Publisher
    /// When the product (version 1) was first issued.
    public var issued: Date
    /// When this version was recorded.
    public var modified: Date
    public var distribution: DistributionInfo
    public var offer: UsagePolicy
    public var status: DatasetStatus
    /// TC609 tier of the dataset's knowledge, when the publisher declared it.
    public var tier: KnowledgeTier?
    /// Masking and watermarking every delivery applies.
    public var protection = DeliveryProtection()
    /// The publisher lets the public quality page show the profile's values, not only scores
    /// and structure.
    public var profilePublic = false
    /// The signed quality report's summary (nil for versions published before assessment).
    public var quality: QualitySummary?
    /// What the publisher declared for computation in place (privacy unit, bounds, public keys,
    /// contribution limits; docs/privacy.md); nil when the product is not computed on.
    public var compute: ComputeSchema?
    /// The publisher's quality rules (`quality.yaml` text) and declared impacts, kept so a new
    /// version assesses by the same ones unless they are given anew.
    public var rules: String?
    public var impacts: [String] = []

    public init(
        identifier: UnifiedIdentifier, version: Int, title: String, description: String, keywords: [String],
        sector: Sector, region: RegionCode, temporal: TemporalCoverage?, license: String, grade: DataGrade,
        publisher: Publisher, issued: Date, modified: Date, distribution: DistributionInfo, offer: UsagePolicy,
        status: DatasetStatus
    ) {
        self.identifier = identifier
        self.version = version
        self.title = title
        self.description = description
        self.keywords = keywords
        self.sector = sector
        self.region = region
        self.temporal = temporal
        self.license = license
        self.grade = grade
        self.publisher = publisher
        self.issued = issued
        self.modified = modified
        self.distribution = distribution
        self.offer = offer
        self.status = status
    }

    /// The version this one replaced, if any.
    public var previousVersion: Int? { version > 1 ? version - 1 : nil }
}
