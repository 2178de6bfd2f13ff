import DataspaceCore
import Foundation

/// A dataset's declared quality rules (`quality.yaml`):
///
///     columns:
///       id:      { type: integer, required: true, unique: true }
///       amount:  { type: decimal, min: 0, max: 1000 }
///       status:  { enum: [ok, warn, fail] }
///       phone:   { regex: '1[3-9][0-9]{9}' }
///       region:  { codes: ["440103", "440104"] }
///     unique: [[station, ts]]
///     checks: ["end >= start"]
///     freshness: { column: ts, interval: PT1H }
///     weights: { completeness: 0.3, validity: 0.3, consistency: 0.1, uniqueness: 0.2, timeliness: 0.1 }
public struct QualityRules: Sendable {
    public struct ColumnRule: Sendable {
        public var name: String
        public var type: ValueType?
        public var required = false
        public var unique = false
        public var minimum: Double?
        public var maximum: Double?
        public var enumeration: Set<String>?
        public var pattern: String?
        public var codes: Set<String>?
    }

    /// `left OP right` between two columns, compared as numbers when both are numbers, else as
    /// dates or text.
    public struct Check: Sendable {
        public enum Operator: String, Sendable, CaseIterable { case ge = ">=", le = "<=", gt = ">", lt = "<", eq = "==", ne = "!=" }
        public var left: String
        public var op: Operator
        public var right: String
        public var text: String { "\(left) \(op.rawValue) \(right)" }
    }

    public struct Freshness: Sendable {
        public var column: String
        public var interval: TimeInterval
    }

    public enum Dimension: String, Sendable, CaseIterable { case completeness, validity, consistency, uniqueness, timeliness }

    public var columns: [ColumnRule] = []
    public var uniqueKeys: [[String]] = []
    public var checks: [Check] = []
    public var freshness: Freshness?
    /// ISO/IEC 25012-style dimension weights; documented defaults.
    public var weights: [Dimension: Double] = [.completeness: 0.25, .validity: 0.25, .consistency: 0.2, .uniqueness: 0.15, .timeliness: 0.15]
    /// True when the rules were implied by a profile rather than declared.
    public var implied = false

    public init() {}

    /// Every column the rules name, each with where it is named (`columns.amount`, `checks[0]`).
    public var referencedColumns: [(column: String, field: String)] {
        var out: [(String, String)] = columns.map { ($0.name, "columns.\($0.name)") }
        for (i, key) in uniqueKeys.enumerated() { out += key.map { ($0, "unique[\(i)]") } }
        for (i, check) in checks.enumerated() { out += [(check.left, "checks[\(i)]"), (check.right, "checks[\(i)]")] }
        if let freshness { out.append((freshness.column, "freshness.column")) }
        return out
    }

    /// Reads `quality.yaml`; every problem names its place (`columns.amount.min`).
    public static func parse(yaml: String) throws(ValidationError) -> QualityRules {
        let value = try MiniYAML.parse(yaml)
        guard let root = value.objectValue else { throw ValidationError(code: "rules", field: "quality.yaml", message: "the top level must be a mapping") }
        var rules = QualityRules()
        for key in root.keys where !["columns", "unique", "checks", "freshness", "weights"].contains(key) {
            throw ValidationError(code: "rules.key", field: key, message: "unknown key '\(key)'; expected columns, unique, checks, freshness, weights")
        }
        for (name, spec) in (root["columns"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            rules.columns.append(try column(name, spec))
        }
        for (i, key) in (root["unique"]?.arrayValue ?? []).enumerated() {
            let names = key.arrayValue?.compactMap(\.stringValue) ?? key.stringValue.map { [$0] } ?? []
            guard !names.isEmpty else { throw ValidationError(code: "rules.unique", field: "unique[\(i)]", message: "a uniqueness key is a column or a list of columns") }
            rules.uniqueKeys.append(names)
        }
        for (i, item) in (root["checks"]?.arrayValue ?? []).enumerated() {
            guard let text = item.stringValue else { throw ValidationError(code: "rules.check", field: "checks[\(i)]", message: "a check is text like 'end >= start'") }
            rules.checks.append(try check(text, field: "checks[\(i)]"))
        }
        if let f = root["freshness"] {
            guard let column = f["column"]?.stringValue, let text = f["interval"]?.stringValue, let interval = ISO8601.parseDuration(text), interval > 0 else {
                throw ValidationError(code: "rules.freshness", field: "freshness", message: "freshness needs column and interval (ISO 8601 duration such as PT1H or P1D)")
            }
            rules.freshness = Freshness(column: column, interval: interval)
        }
        if let weights = root["weights"]?.objectValue {
            var custom: [Dimension: Double] = [:]
            for (key, value) in weights {
                guard let d = Dimension(rawValue: key), let w = value.doubleValue, w >= 0 else {
                    throw ValidationError(code: "rules.weights", field: "weights.\(key)", message: "weights are non-negative numbers for \(Dimension.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                custom[d] = w
            }
            rules.weights = custom
        }
        return rules
    }

    static func column(_ name: String, _ spec: JSONValue) throws(ValidationError) -> ColumnRule {
        let field = "columns.\(name)"
        guard let o = spec.objectValue else { throw ValidationError(code: "rules.column", field: field, message: "a column's rules are a mapping") }
        var rule = ColumnRule(name: name)
        for (key, value) in o {
            switch key {
            case "type":
                guard let t = value.stringValue.flatMap(ValueType.init(rawValue:)) else {
                    throw ValidationError(code: "rules.type", field: field + ".type", message: "type is one of \(ValueType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                rule.type = t
            case "required": rule.required = value == .bool(true)
            case "unique": rule.unique = value == .bool(true)
            case "min", "max":
                guard let n = value.doubleValue else { throw ValidationError(code: "rules.range", field: field + "." + key, message: "\(key) must be a number") }
                if key == "min" { rule.minimum = n } else { rule.maximum = n }
            case "enum", "codes":
                guard let items = value.arrayValue else { throw ValidationError(code: "rules.list", field: field + "." + key, message: "\(key) is a list") }
                let set = Set(items.map { $0.stringValue ?? $0.encodedString() })
                if key == "enum" { rule.enumeration = set } else { rule.codes = set }
            case "regex":
                // A pattern the byte matcher takes is one ICU takes too (`ByteRegexTests`): ICU,
                // whose first use costs a few milliseconds, judges only the others.
                guard let p = value.stringValue, ByteRegex(p) != nil || (try? NSRegularExpression(pattern: p)) != nil else {
                    throw ValidationError(code: "rules.regex", field: field + ".regex", message: "regex must be a valid regular expression")
                }
                rule.pattern = p
            default:
                throw ValidationError(code: "rules.key", field: field + "." + key, message: "unknown rule '\(key)'; expected type, required, unique, min, max, enum, regex, codes")
            }
        }
        return rule
    }

    static func check(_ text: String, field: String) throws(ValidationError) -> Check {
        for op in [Check.Operator.ge, .le, .eq, .ne, .gt, .lt] {
            let parts = text.components(separatedBy: " \(op.rawValue) ")
            if parts.count == 2 {
                let left = parts[0].trimmingCharacters(in: .whitespaces), right = parts[1].trimmingCharacters(in: .whitespaces)
                guard !left.isEmpty, !right.isEmpty else { break }
                return Check(left: left, op: op, right: right)
            }
        }
        throw ValidationError(code: "rules.check", field: field, message: "'\(text)' is not 'column OP column' with OP one of >=, <=, >, <, ==, !=")
    }

    /// What a profile implies when nothing was declared: each column's inferred type (when not
    /// string) as a type rule, and whole-row uniqueness.
    public static func implied(by profile: DatasetProfile) -> QualityRules {
        var rules = QualityRules()
        rules.implied = true
        rules.columns = profile.columns.compactMap { c in
            guard c.inferredType != .string, c.nonNull > 0 else { return nil }
            return ColumnRule(name: c.name, type: c.inferredType)
        }
        return rules
    }
}
