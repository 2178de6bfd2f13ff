/// The outcome of evaluating a policy: permit or deny, always with the reasons a person can act on.
public struct PolicyDecision: Sendable, Hashable {
    public var permitted: Bool
    /// For a permit, the rule that granted it; for a deny, every failed condition or the prohibition hit.
    public var reasons: [PolicyReason]
    /// Duties the permitting rule and the policy's obligations impose (payment, deletion).
    public var duties: [PolicyDuty]

    public init(permitted: Bool, reasons: [PolicyReason], duties: [PolicyDuty] = []) {
        self.permitted = permitted
        self.reasons = reasons
        self.duties = duties
    }

    /// One line per reason, for CLI output and protocol error bodies.
    public var explanation: String { reasons.map(\.description).joined(separator: "; ") }
}

/// Why a decision came out as it did: which rule, which constraint, what was expected and found.
public struct PolicyReason: Sendable, Hashable, CustomStringConvertible {
    /// JSON path of the rule, e.g. `permission[0]`.
    public var rule: String
    /// JSON path of the failed constraint, e.g. `permission[0].constraint[1].or[0]`; nil for rule-level reasons.
    public var constraint: String?
    public var leftOperand: String?
    public var `operator`: String?
    public var expected: String?
    public var actual: String?
    public var message: String

    public init(
        rule: String, constraint: String? = nil, leftOperand: String? = nil, operator: String? = nil, expected: String? = nil,
        actual: String? = nil, message: String
    ) {
        self.rule = rule
        self.constraint = constraint
        self.leftOperand = leftOperand
        self.operator = `operator`
        self.expected = expected
        self.actual = actual
        self.message = message
    }

    public var description: String { "\(constraint ?? rule): \(message)" }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["rule": .string(rule), "message": .string(message)]
        if let constraint { o["constraint"] = .string(constraint) }
        if let leftOperand { o["leftOperand"] = .string(leftOperand) }
        if let op = `operator` { o["operator"] = .string(op) }
        if let expected { o["expected"] = .string(expected) }
        if let actual { o["actual"] = .string(actual) }
        return .object(o)
    }
}

/// A duty the consumer takes on with an agreement. Only duties the node can track are accepted.
public enum PolicyDuty: Sendable, Hashable {
    /// Pay `amount` in `unit` (ISO 4217, default CNY) per delivery; priced by billing.
    case compensate(amount: Double, unit: String)
    /// Delete delivered data within `seconds` of receiving it.
    case deleteAfter(seconds: Double)

    public var json: JSONValue {
        switch self {
        case .compensate(let amount, let unit): ["action": "compensate", "payAmount": .number(amount), "unit": .string(unit)]
        case .deleteAfter(let seconds): ["action": "delete", "deleteAfterSeconds": .number(seconds)]
        }
    }

    public var description: String {
        switch self {
        case .compensate(let amount, let unit): "pay \(amount) \(unit) per delivery"
        case .deleteAfter(let seconds): "delete within \(ISO8601.formatDuration(seconds))"
        }
    }
}
