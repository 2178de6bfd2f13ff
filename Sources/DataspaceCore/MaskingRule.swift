import Foundation

/// How one column is disguised when data leaves the node (GB/T 37964-2019 de-identification
/// techniques: suppression, masking, keyed hashing, generalisation, rounding). Written as text so
/// publishers can declare it in JSON or on the command line: `hide`, `partial:3,4`, `hash`,
/// `generalize:year|month|province|city`, `round:N` (N decimals; negative rounds to tens,
/// hundreds, …).
public enum MaskingRule: Sendable, Hashable, CustomStringConvertible {
    /// The value is replaced by an empty field.
    case hide
    /// The first and last characters are kept and the rest replaced by `*`, e.g. `440***********1234`.
    case partial(keepStart: Int, keepEnd: Int)
    /// HMAC-SHA256 with a key per agreement: equal values stay joinable within one agreement and
    /// cannot be linked across agreements.
    case hash
    /// Dates cut to a year or a month.
    case generalizeDate(DateGranularity)
    /// Six-digit administrative division codes (GB/T 2260) cut to their province or city.
    case generalizeRegion(RegionLevel)
    /// Numbers rounded to `decimals` places (negative: to tens, hundreds, …).
    case round(decimals: Int)

    public enum DateGranularity: String, Sendable, Hashable { case year, month }
    public enum RegionLevel: String, Sendable, Hashable { case province, city }

    public init(parsing text: String, field: String = "masking") throws(ValidationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
        let name = parts.first?.lowercased() ?? ""
        let argument = parts.count == 2 ? parts[1] : nil
        func bad(_ why: String) -> ValidationError {
            ValidationError(code: "masking.rule", field: field, message: "'\(text)' \(why); rules are hide, partial:START,END, hash, generalize:year|month|province|city, round:N")
        }
        switch name {
        case "hide":
            guard argument == nil else { throw bad("takes no argument") }
            self = .hide
        case "hash":
            guard argument == nil else { throw bad("takes no argument") }
            self = .hash
        case "partial":
            let numbers = (argument ?? "").split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.count == 2, let start = numbers[0], let end = numbers[1], (0...64).contains(start), (0...64).contains(end) else {
                throw bad("needs two counts of characters to keep, e.g. partial:3,4")
            }
            self = .partial(keepStart: start, keepEnd: end)
        case "generalize", "generalise":
            switch argument?.lowercased() {
            case "year": self = .generalizeDate(.year)
            case "month": self = .generalizeDate(.month)
            case "province": self = .generalizeRegion(.province)
            case "city": self = .generalizeRegion(.city)
            default: throw bad("needs year, month, province or city")
            }
        case "round":
            guard let argument, let n = Int(argument), (-9...9).contains(n) else { throw bad("needs a number of decimals from -9 to 9") }
            self = .round(decimals: n)
        default:
            throw bad("is not a masking rule")
        }
    }

    public var description: String {
        switch self {
        case .hide: "hide"
        case .hash: "hash"
        case .partial(let s, let e): "partial:\(s),\(e)"
        case .generalizeDate(let g): "generalize:\(g.rawValue)"
        case .generalizeRegion(let r): "generalize:\(r.rawValue)"
        case .round(let n): "round:\(n)"
        }
    }
}

/// What a delivery of a product does to the data on its way out: per-column masking and an
/// invisible watermark bound to the agreement. Declared by the publisher; the grade may add to it
/// (important data always leaves masked and watermarked).
public struct DeliveryProtection: Sendable, Hashable {
    /// Column name → rule.
    public var masking: [String: MaskingRule]
    public var watermark: Bool

    public init(masking: [String: MaskingRule] = [:], watermark: Bool = false) {
        self.masking = masking
        self.watermark = watermark
    }

    public var isEmpty: Bool { masking.isEmpty && !watermark }

    public var json: JSONValue {
        ["masking": .object(masking.mapValues { .string($0.description) }), "watermark": .bool(watermark)]
    }

    /// Reads `{"masking": {"column": "rule"}, "watermark": bool}`.
    public init(json: JSONValue, path: String = "protection") throws(ValidationError) {
        guard let object = json.objectValue else {
            throw ValidationError(code: "protection.type", field: path, message: "must be an object with masking and watermark")
        }
        for key in object.keys where key != "masking" && key != "watermark" {
            throw ValidationError(code: "protection.field", field: "\(path).\(key)", message: "unknown field; expected masking or watermark")
        }
        var masking: [String: MaskingRule] = [:]
        if let m = object["masking"] {
            guard let rules = m.objectValue else {
                throw ValidationError(code: "masking.type", field: "\(path).masking", message: "must map column names to rules")
            }
            for (column, rule) in rules {
                guard let text = rule.stringValue else {
                    throw ValidationError(code: "masking.type", field: "\(path).masking.\(column)", message: "a rule is a string such as partial:3,4")
                }
                masking[column] = try MaskingRule(parsing: text, field: "\(path).masking.\(column)")
            }
        }
        var watermark = false
        if let w = object["watermark"] {
            guard case .bool(let b) = w else {
                throw ValidationError(code: "watermark.type", field: "\(path).watermark", message: "must be true or false")
            }
            watermark = b
        }
        self.init(masking: masking, watermark: watermark)
    }
}

extension MaskingRule {
    /// How much of a value the rule lets through, for choosing between two rules on one column:
    /// hiding reveals nothing, a keyed hash only equality, the others a coarsened value.
    public var strictness: Int {
        switch self {
        case .hide: 3
        case .hash: 2
        case .partial, .generalizeDate, .generalizeRegion, .round: 1
        }
    }
}

extension MaskingRule {
    /// Does this rule let more of a value through than `other`? A weaker kind of rule does, and
    /// of two `partial` rules the one keeping more characters does.
    public func revealsMore(than other: MaskingRule) -> Bool {
        if case .partial(let s1, let e1) = self, case .partial(let s2, let e2) = other { return s1 + e1 > s2 + e2 }
        return strictness < other.strictness
    }
}

extension DeliveryProtection {
    /// The protection that satisfies both: every column either masks, with the stricter rule where
    /// both mask one (this one's on a tie), and a watermark if either has one. Used so a later
    /// version or regrade can tighten what an agreement delivers but never loosen it.
    public func combined(with other: DeliveryProtection) -> DeliveryProtection {
        var masking = self.masking
        for (column, rule) in other.masking {
            if let mine = masking[column], !mine.revealsMore(than: rule) { continue }
            masking[column] = rule
        }
        return DeliveryProtection(masking: masking, watermark: watermark || other.watermark)
    }
}
