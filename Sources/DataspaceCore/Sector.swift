/// The 19 sectors and 5 innovation areas of the 2026 national high-quality dataset plan.
/// Slugs are the shared vocabulary of CLI, APIs and stored data.
public enum Sector: String, Sendable, Codable, CaseIterable, Hashable {
    case scientificResearch = "scientific-research"
    case industrialManufacturing = "industrial-manufacturing"
    case agriculture
    case smartEnergy = "smart-energy"
    case transport
    case financialServices = "financial-services"
    case healthcare
    case education
    case eCommerce = "e-commerce"
    case humanResources = "human-resources"
    case cultureTourism = "culture-tourism"
    case emergencyManagement = "emergency-management"
    case meteorology
    case greenLowCarbon = "green-low-carbon"
    case publicSecurity = "public-security"
    case urbanGovernance = "urban-governance"
    case housingConstruction = "housing-construction"
    case naturalResources = "natural-resources"
    case socialCredit = "social-credit"
    case lowAltitudeEconomy = "low-altitude-economy"
    case embodiedIntelligence = "embodied-intelligence"
    case autonomousDriving = "autonomous-driving"
    case smartOcean = "smart-ocean"
    case bioManufacturing = "bio-manufacturing"

    public init(slug: String) throws(ValidationError) {
        guard let sector = Sector(rawValue: slug) else {
            throw ValidationError(
                code: "sector.unknown", field: "sector",
                message: "unknown sector '\(slug)'; expected one of: \(Sector.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = sector
    }

    public var isInnovationArea: Bool {
        switch self {
        case .lowAltitudeEconomy, .embodiedIntelligence, .autonomousDriving, .smartOcean, .bioManufacturing: true
        default: false
        }
    }

    public var chineseLabel: String {
        switch self {
        case .scientificResearch: "科学研究"
        case .industrialManufacturing: "工业制造"
        case .agriculture: "农业农村"
        case .smartEnergy: "智慧能源"
        case .transport: "交通运输"
        case .financialServices: "金融服务"
        case .healthcare: "医疗健康"
        case .education: "教育"
        case .eCommerce: "电子商务"
        case .humanResources: "人力资源"
        case .cultureTourism: "文化旅游"
        case .emergencyManagement: "应急管理"
        case .meteorology: "气象服务"
        case .greenLowCarbon: "绿色低碳"
        case .publicSecurity: "公共安全"
        case .urbanGovernance: "城市治理"
        case .housingConstruction: "住房建设"
        case .naturalResources: "自然资源"
        case .socialCredit: "社会信用"
        case .lowAltitudeEconomy: "低空经济"
        case .embodiedIntelligence: "具身智能"
        case .autonomousDriving: "自动驾驶"
        case .smartOcean: "智慧海洋"
        case .bioManufacturing: "生物制造"
        }
    }

    public var englishLabel: String {
        rawValue.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }
}

/// GB/T 43697-2024 data grade. General data may carry a sub-level 1–4 (see `DataGrade`).
public enum GradeLevel: String, Sendable, Codable, CaseIterable, Hashable {
    case core, important, general

    public var chineseLabel: String {
        switch self {
        case .core: "核心数据"
        case .important: "重要数据"
        case .general: "一般数据"
        }
    }
}

/// A grade with its optional general sub-level, written `general`, `general-2`, `important`, `core`.
public struct DataGrade: Sendable, Hashable, Codable, CustomStringConvertible {
    public let level: GradeLevel
    public let subLevel: Int?

    public static let general = DataGrade(level: .general, subLevel: nil)

    public init(level: GradeLevel, subLevel: Int? = nil) {
        self.level = level
        self.subLevel = level == .general ? subLevel : nil
    }

    public init(_ text: String) throws(ValidationError) {
        let parts = text.split(separator: "-", maxSplits: 1).map(String.init)
        guard let first = parts.first, let level = GradeLevel(rawValue: first) else {
            throw ValidationError(
                code: "grade.unknown", field: "grade",
                message: "unknown grade '\(text)'; expected core, important, general or general-1…general-4")
        }
        if parts.count == 2 {
            guard level == .general, let n = Int(parts[1]), (1...4).contains(n) else {
                throw ValidationError(
                    code: "grade.sublevel", field: "grade",
                    message: "only general data has a sub-level, 1 to 4; got '\(text)'")
            }
            self.init(level: level, subLevel: n)
        } else {
            self.init(level: level)
        }
    }

    public var description: String {
        if let subLevel { return "\(level.rawValue)-\(subLevel)" }
        return level.rawValue
    }

    /// Orders grades by the harm their leak would do: core, then important, then general 4 down
    /// to general 1 (GB/T 43697-2024 counts general sub-levels upward with sensitivity), then
    /// general without a sub-level.
    public var severity: Int {
        switch level {
        case .core: 6
        case .important: 5
        case .general: subLevel ?? 0
        }
    }

    /// The stricter of two grades (this one on a tie).
    public func stricter(_ other: DataGrade) -> DataGrade { other.severity > severity ? other : self }

    public init(from decoder: any Decoder) throws {
        self = try DataGrade(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// TC609 high-quality dataset tiers.
public enum KnowledgeTier: String, Sendable, Codable, CaseIterable, Hashable {
    case generalKnowledge = "general-knowledge"
    case industryGeneralKnowledge = "industry-general-knowledge"
    case industryProfessionalKnowledge = "industry-professional-knowledge"
}
