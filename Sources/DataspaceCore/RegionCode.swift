/// A GB/T 2260 administrative division code: six digits, province (xx0000), city (xxxx00) or
/// county. The first two digits must name a province-level division; the full national table is
/// not shipped, so a well-formed code under a real province is accepted.
public struct RegionCode: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public let value: String

    public enum Level: String, Sendable { case province, city, county }

    /// Province-level prefixes of GB/T 2260 (31 provinces, Taiwan, Hong Kong, Macao).
    static let provinces: [String: (en: String, zh: String)] = [
        "11": ("Beijing", "北京市"), "12": ("Tianjin", "天津市"), "13": ("Hebei", "河北省"),
        "14": ("Shanxi", "山西省"), "15": ("Inner Mongolia", "内蒙古自治区"), "21": ("Liaoning", "辽宁省"),
        "22": ("Jilin", "吉林省"), "23": ("Heilongjiang", "黑龙江省"), "31": ("Shanghai", "上海市"),
        "32": ("Jiangsu", "江苏省"), "33": ("Zhejiang", "浙江省"), "34": ("Anhui", "安徽省"),
        "35": ("Fujian", "福建省"), "36": ("Jiangxi", "江西省"), "37": ("Shandong", "山东省"),
        "41": ("Henan", "河南省"), "42": ("Hubei", "湖北省"), "43": ("Hunan", "湖南省"),
        "44": ("Guangdong", "广东省"), "45": ("Guangxi", "广西壮族自治区"), "46": ("Hainan", "海南省"),
        "50": ("Chongqing", "重庆市"), "51": ("Sichuan", "四川省"), "52": ("Guizhou", "贵州省"),
        "53": ("Yunnan", "云南省"), "54": ("Tibet", "西藏自治区"), "61": ("Shaanxi", "陕西省"),
        "62": ("Gansu", "甘肃省"), "63": ("Qinghai", "青海省"), "64": ("Ningxia", "宁夏回族自治区"),
        "65": ("Xinjiang", "新疆维吾尔自治区"), "71": ("Taiwan", "台湾省"), "81": ("Hong Kong", "香港特别行政区"),
        "82": ("Macao", "澳门特别行政区"),
    ]

    /// A few well-known cities and districts, for labels in the portal and demo.
    static let knownNames: [String: (en: String, zh: String)] = [
        "440100": ("Guangzhou", "广州市"), "440300": ("Shenzhen", "深圳市"), "440106": ("Tianhe District", "天河区"),
        "440104": ("Yuexiu District", "越秀区"), "110108": ("Haidian District", "海淀区"), "310115": ("Pudong New Area", "浦东新区"),
        "330100": ("Hangzhou", "杭州市"), "510100": ("Chengdu", "成都市"), "320100": ("Nanjing", "南京市"),
        "420100": ("Wuhan", "武汉市"),
    ]

    public init(_ text: String) throws(ValidationError) {
        guard text.count == 6, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ValidationError(
                code: "region.format", field: "region",
                message: "a GB/T 2260 region code is 6 digits, got '\(text)'")
        }
        let province = String(text.prefix(2))
        guard Self.provinces[province] != nil else {
            throw ValidationError(
                code: "region.province", field: "region",
                message: "'\(province)' is not a province-level division code (GB/T 2260)")
        }
        let digits = Array(text)
        if String(digits[2..<4]) == "00" && String(digits[4..<6]) != "00" {
            throw ValidationError(
                code: "region.structure", field: "region",
                message: "'\(text)' names a county under city 00, which does not exist")
        }
        self.value = text
    }

    public var level: Level {
        if value.hasSuffix("0000") { return .province }
        if value.hasSuffix("00") { return .city }
        return .county
    }

    public var province: RegionCode { RegionCode(unchecked: String(value.prefix(2)) + "0000") }

    public var city: RegionCode? {
        level == .province ? nil : RegionCode(unchecked: String(value.prefix(4)) + "00")
    }

    /// True when `self` lies within `other` (a county is within its city and province).
    public func isWithin(_ other: RegionCode) -> Bool {
        switch other.level {
        case .province: value.prefix(2) == other.value.prefix(2)
        case .city: value.prefix(4) == other.value.prefix(4)
        case .county: value == other.value
        }
    }

    public var englishName: String {
        if let known = Self.knownNames[value] { return known.en }
        let p = Self.provinces[String(value.prefix(2))]?.en ?? value
        return level == .province ? p : "\(p) \(value)"
    }

    public var chineseName: String {
        if let known = Self.knownNames[value] { return known.zh }
        let p = Self.provinces[String(value.prefix(2))]?.zh ?? value
        return level == .province ? p : "\(p)\(value)"
    }

    init(unchecked: String) { self.value = unchecked }

    /// Every province-level division, then the cities and districts the node has names for, in
    /// code order: the choices a form offers (any other valid code can still be typed).
    public static var choices: [RegionCode] {
        (provinces.keys.map { RegionCode(unchecked: $0 + "0000") } + knownNames.keys.map { RegionCode(unchecked: $0) }).sorted()
    }

    public var description: String { value }
    public static func < (lhs: RegionCode, rhs: RegionCode) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        self = try RegionCode(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
