/// An ODRL 2.2 policy in the subset the Dataspace Protocol uses (offer or agreement), parsed from
/// its compacted JSON-LD form. Parsing rejects unknown actions, left operands and operators with
/// the JSON path at fault, so a policy that would be silently ignored can never be published.
public struct UsagePolicy: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case offer = "Offer", agreement = "Agreement", set = "Set" }

    public var id: String
    public var kind: Kind
    public var permissions: [PolicyRule]
    public var prohibitions: [PolicyRule]
    public var obligations: [PolicyRule]
    public var target: String?
    public var assigner: String?
    public var assignee: String?

    public init(
        id: String, kind: Kind = .offer, permissions: [PolicyRule] = [], prohibitions: [PolicyRule] = [],
        obligations: [PolicyRule] = [], target: String? = nil, assigner: String? = nil, assignee: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.permissions = permissions
        self.prohibitions = prohibitions
        self.obligations = obligations
        self.target = target
        self.assigner = assigner
        self.assignee = assignee
    }

    /// The offer published when the provider gives none: any member may use the data.
    public static func defaultOffer(id: String) -> UsagePolicy {
        UsagePolicy(id: id, permissions: [PolicyRule(action: .use)])
    }

    public static let knownActions: Set<String> = [
        "use", "read", "download", "compute", "distribute", "delete", "compensate", "transfer", "aggregate", "anonymize",
    ]

    /// Parses a policy; `path` prefixes error fields (e.g. `policy`).
    public static func parse(_ json: JSONValue, path: String = "policy") throws(ValidationError) -> UsagePolicy {
        guard let object = json.objectValue else {
            throw ValidationError(code: "policy.type", field: path, message: "a policy is a JSON object, found \(json.typeName)")
        }
        for key in object.keys where !allowedPolicyKeys.contains(key) {
            throw ValidationError(code: "policy.unknown_key", field: "\(path).\(key)", message: "unknown policy member '\(key)'")
        }
        let id = object["@id"]?.stringValue ?? ""
        var kind = Kind.offer
        if let type = object["@type"] {
            let typeName = type.stringValue.map { $0.hasPrefix("odrl:") ? String($0.dropFirst(5)) : $0 }
            guard let typeName, let parsed = Kind(rawValue: typeName) else {
                throw ValidationError(code: "policy.type", field: "\(path).@type", message: "policy @type must be Offer, Agreement or Set")
            }
            kind = parsed
        }
        let permissions = try rules(object["permission"], path: "\(path).permission")
        let prohibitions = try rules(object["prohibition"], path: "\(path).prohibition")
        let obligations = try rules(object["obligation"], path: "\(path).obligation")
        guard !permissions.isEmpty || !prohibitions.isEmpty else {
            throw ValidationError(code: "policy.empty", field: path, message: "a policy needs at least one permission or prohibition")
        }
        func optionalString(_ key: String) throws(ValidationError) -> String? {
            guard let v = object[key] else { return nil }
            if let s = v.stringValue { return s }
            if let s = v["@id"]?.stringValue { return s }
            throw ValidationError(code: "policy.type", field: "\(path).\(key)", message: "\(key) must be a string")
        }
        return UsagePolicy(
            id: id, kind: kind, permissions: permissions, prohibitions: prohibitions, obligations: obligations,
            target: try optionalString("target"), assigner: try optionalString("assigner"), assignee: try optionalString("assignee"))
    }

    static let allowedPolicyKeys: Set<String> = [
        "@context", "@id", "@type", "permission", "prohibition", "obligation", "target", "assigner", "assignee", "profile",
        "timestamp",
    ]

    static func rules(_ value: JSONValue?, path: String) throws(ValidationError) -> [PolicyRule] {
        guard let value else { return [] }
        // JSON-LD allows a single object where an array is meant; accept both.
        let items: [JSONValue] = value.arrayValue ?? [value]
        var result: [PolicyRule] = []
        for (i, item) in items.enumerated() {
            result.append(try PolicyRule.parse(item, path: "\(path)[\(i)]"))
        }
        return result
    }

    /// Compacted JSON-LD as the DSP context defines it (`permission`, `constraint`, `leftOperand` …).
    public var json: JSONValue {
        var o: [String: JSONValue] = ["@type": .string(kind.rawValue)]
        if !id.isEmpty { o["@id"] = .string(id) }
        if !permissions.isEmpty { o["permission"] = .array(permissions.map(\.json)) }
        if !prohibitions.isEmpty { o["prohibition"] = .array(prohibitions.map(\.json)) }
        if !obligations.isEmpty { o["obligation"] = .array(obligations.map(\.json)) }
        if let target { o["target"] = .string(target) }
        if let assigner { o["assigner"] = .string(assigner) }
        if let assignee { o["assignee"] = .string(assignee) }
        return .object(o)
    }
}

/// A permission, prohibition or duty: an action and the constraints under which it applies.
public struct PolicyRule: Sendable, Hashable {
    public var action: PolicyAction
    public var constraints: [PolicyConstraint]
    public var duties: [PolicyRule]

    public init(action: PolicyAction, constraints: [PolicyConstraint] = [], duties: [PolicyRule] = []) {
        self.action = action
        self.constraints = constraints
        self.duties = duties
    }

    static func parse(_ json: JSONValue, path: String) throws(ValidationError) -> PolicyRule {
        guard let object = json.objectValue else {
            throw ValidationError(code: "policy.type", field: path, message: "a rule is a JSON object, found \(json.typeName)")
        }
        for key in object.keys where !["action", "constraint", "duty", "@type", "@id", "target", "assigner", "assignee"].contains(key) {
            throw ValidationError(code: "policy.unknown_key", field: "\(path).\(key)", message: "unknown rule member '\(key)'")
        }
        guard let actionValue = object["action"] else {
            throw ValidationError(code: "policy.action_missing", field: "\(path).action", message: "a rule needs an action")
        }
        let actionName = actionValue.stringValue ?? actionValue["@id"]?.stringValue
        guard let actionName else {
            throw ValidationError(code: "policy.type", field: "\(path).action", message: "action must be a string")
        }
        let action = try PolicyAction(actionName, path: "\(path).action")
        var constraints: [PolicyConstraint] = []
        if let c = object["constraint"] {
            let items = c.arrayValue ?? [c]
            for (i, item) in items.enumerated() {
                constraints.append(try PolicyConstraint.parse(item, path: "\(path).constraint[\(i)]"))
            }
        }
        let duties = try UsagePolicy.rules(object["duty"], path: "\(path).duty")
        return PolicyRule(action: action, constraints: constraints, duties: duties)
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["action": .string(action.name)]
        if !constraints.isEmpty { o["constraint"] = .array(constraints.map(\.json)) }
        if !duties.isEmpty { o["duty"] = .array(duties.map(\.json)) }
        return .object(o)
    }
}

/// An ODRL action from the vocabulary this node enforces.
public struct PolicyAction: Sendable, Hashable {
    public let name: String
    public static let use = PolicyAction(checked: "use")

    public init(_ text: String, path: String = "action") throws(ValidationError) {
        let name = text.hasPrefix("odrl:") ? String(text.dropFirst(5)) : text
        guard UsagePolicy.knownActions.contains(name) else {
            throw ValidationError(
                code: "policy.unknown_action", field: path,
                message: "unknown action '\(text)'; supported: \(UsagePolicy.knownActions.sorted().joined(separator: ", "))")
        }
        self.name = name
    }

    private init(checked: String) { self.name = checked }
}

/// ODRL constraint operators (the DSP subset this node evaluates).
public enum ConstraintOperator: String, Sendable, Hashable, CaseIterable {
    case eq, neq, gt, gteq, lt, lteq, isA, isPartOf, isAnyOf, isAllOf, isNoneOf, hasPart
}

/// Left operands with semantics defined in docs/policies.md.
public enum LeftOperand: String, Sendable, Hashable, CaseIterable {
    case purpose, dateTime, elapsedTime, count, spatial, recipient, action, payAmount, unit, deleteAfter
    /// Privacy budgets of a `compute` permission (docs/privacy.md): the agreement's total ε or ρ,
    /// the most one query may spend, the most a period may spend, the period, and the total δ.
    case epsilon, rho, queryEpsilon, queryRho, periodEpsilon, periodRho, budgetPeriod, delta
    /// Private set intersection under a `compute` permission (docs/privacy.md): the largest set
    /// a consumer may match, how many runs the agreement allows, and what a run releases.
    case psiSetSize, psiRuns, psiOutput
    /// Secure aggregation under a `compute` permission (docs/privacy.md): how many rounds the
    /// agreement lets the product contribute to.
    case aggregateRounds

    /// The budget terms: enforced by the compute service's accounting, not by a request's facts.
    public static let budgetTerms: Set<LeftOperand> = [.epsilon, .rho, .queryEpsilon, .queryRho, .periodEpsilon, .periodRho, .delta]
    /// The set-intersection terms: enforced by the compute service, not by a request's facts.
    public static let psiTerms: Set<LeftOperand> = [.psiSetSize, .psiRuns, .psiOutput]
    /// Every term the compute service counts itself: budgets aside, set intersection and aggregation.
    public static let countedComputeTerms: Set<LeftOperand> = psiTerms.union([.aggregateRounds])
}

/// A constraint: atomic (`leftOperand operator rightOperand`) or a logical combination.
public indirect enum PolicyConstraint: Sendable, Hashable {
    public enum Logic: String, Sendable, Hashable, CaseIterable { case and, or, xone }

    case atomic(LeftOperand, ConstraintOperator, JSONValue)
    case logical(Logic, [PolicyConstraint])

    static func parse(_ json: JSONValue, path: String) throws(ValidationError) -> PolicyConstraint {
        guard let object = json.objectValue else {
            throw ValidationError(code: "policy.type", field: path, message: "a constraint is a JSON object, found \(json.typeName)")
        }
        let logicKeys = object.keys.filter { Logic(rawValue: $0) != nil || $0 == "andSequence" }
        if !logicKeys.isEmpty {
            guard logicKeys.count == 1, let key = logicKeys.first else {
                throw ValidationError(code: "policy.logical", field: path, message: "a logical constraint has exactly one of and, or, xone")
            }
            guard let logic = Logic(rawValue: key) else {
                throw ValidationError(code: "policy.unsupported_operator", field: "\(path).\(key)", message: "'\(key)' is not supported; use and, or, xone")
            }
            guard let items = object[key]?.arrayValue, !items.isEmpty else {
                throw ValidationError(code: "policy.logical", field: "\(path).\(key)", message: "'\(key)' needs a non-empty array of constraints")
            }
            var parts: [PolicyConstraint] = []
            for (i, item) in items.enumerated() { parts.append(try parse(item, path: "\(path).\(key)[\(i)]")) }
            return .logical(logic, parts)
        }
        guard let leftText = object["leftOperand"].flatMap({ $0.stringValue ?? $0["@id"]?.stringValue }) else {
            throw ValidationError(code: "policy.left_operand_missing", field: "\(path).leftOperand", message: "an atomic constraint needs a leftOperand string")
        }
        let leftName = leftText.hasPrefix("odrl:") ? String(leftText.dropFirst(5)) : leftText
        guard let left = LeftOperand(rawValue: leftName) else {
            throw ValidationError(
                code: "policy.unknown_left_operand", field: "\(path).leftOperand",
                message: "unknown leftOperand '\(leftText)'; supported: \(LeftOperand.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let opText = object["operator"].flatMap({ $0.stringValue ?? $0["@id"]?.stringValue }) else {
            throw ValidationError(code: "policy.operator_missing", field: "\(path).operator", message: "an atomic constraint needs an operator string")
        }
        let opName = opText.hasPrefix("odrl:") ? String(opText.dropFirst(5)) : opText
        guard let op = ConstraintOperator(rawValue: opName) else {
            throw ValidationError(
                code: "policy.unknown_operator", field: "\(path).operator",
                message: "unknown operator '\(opText)'; supported: \(ConstraintOperator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let right = object["rightOperand"] else {
            throw ValidationError(code: "policy.right_operand_missing", field: "\(path).rightOperand", message: "an atomic constraint needs a rightOperand")
        }
        try RightOperandCheck.validate(left: left, op: op, right: right, path: "\(path).rightOperand")
        return .atomic(left, op, right)
    }

    public var json: JSONValue {
        switch self {
        case .atomic(let l, let op, let r):
            ["leftOperand": .string(l.rawValue), "operator": .string(op.rawValue), "rightOperand": r]
        case .logical(let logic, let parts):
            .object([logic.rawValue: .array(parts.map(\.json))])
        }
    }
}

/// Checks that a right operand has the shape its left operand needs, at publish time.
enum RightOperandCheck {
    static func values(_ right: JSONValue) -> [JSONValue] {
        if let a = right.arrayValue { return a }
        if let v = right["@value"] { return [v] }
        return [right]
    }

    static func validate(left: LeftOperand, op: ConstraintOperator, right: JSONValue, path: String) throws(ValidationError) {
        let items = values(right)
        guard !items.isEmpty else {
            throw ValidationError(code: "policy.right_operand", field: path, message: "rightOperand is empty")
        }
        for (i, item) in items.enumerated() {
            let itemPath = items.count > 1 ? "\(path)[\(i)]" : path
            switch left {
            case .purpose:
                guard let s = item.stringValue, Purpose.isKnown(s) else {
                    throw ValidationError(
                        code: "policy.purpose", field: itemPath,
                        message: "unknown purpose \(item.stringValue.map { "'\($0)'" } ?? item.typeName); known: \(Purpose.all.joined(separator: ", "))")
                }
            case .spatial:
                guard let s = item.stringValue else {
                    throw ValidationError(code: "policy.spatial", field: itemPath, message: "spatial takes GB/T 2260 region codes as strings")
                }
                do { _ = try RegionCode(s) } catch { throw error.at(itemPath) }
            case .dateTime:
                guard let s = item.stringValue, ISO8601.parseDateTime(s) != nil else {
                    throw ValidationError(code: "policy.date_time", field: itemPath, message: "dateTime takes an ISO 8601 date-time with offset, e.g. 2027-01-01T00:00:00+08:00")
                }
            case .count:
                guard integer(item).map({ $0 >= 0 }) == true else {
                    throw ValidationError(code: "policy.count", field: itemPath, message: "count takes a non-negative integer")
                }
            case .payAmount:
                guard decimal(item).map({ $0 >= 0 }) == true else {
                    throw ValidationError(code: "policy.pay_amount", field: itemPath, message: "payAmount takes a non-negative decimal")
                }
            case .epsilon, .rho, .queryEpsilon, .queryRho, .periodEpsilon, .periodRho, .delta:
                guard let amount = privacyAmount(item), amount > .zero else {
                    throw ValidationError(
                        code: "policy.privacy_budget", field: itemPath,
                        message: "\(left.rawValue) takes a positive decimal with at most 9 decimals, up to 1000000, e.g. 1.0")
                }
            case .psiSetSize, .psiRuns, .aggregateRounds:
                let range = left == .psiSetSize ? PSITerms.setSizeRange : PSITerms.runsRange
                guard let n = integer(item), range.contains(n) else {
                    throw ValidationError(
                        code: left == .aggregateRounds ? "policy.aggregate" : "policy.psi", field: itemPath, message: "\(left.rawValue) takes a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
            case .psiOutput:
                guard let s = item.stringValue, PSITerms.Output(rawValue: s) != nil else {
                    throw ValidationError(code: "policy.psi", field: itemPath, message: "psiOutput takes 'cardinality' (only the size) or 'intersection'")
                }
            case .elapsedTime, .deleteAfter, .budgetPeriod:
                guard let s = item.stringValue, ISO8601.parseDuration(s) != nil else {
                    throw ValidationError(code: "policy.duration", field: itemPath, message: "\(left.rawValue) takes an ISO 8601 duration such as P30D or PT12H")
                }
            case .recipient, .unit, .action:
                guard item.stringValue != nil || item.objectValue != nil else {
                    throw ValidationError(code: "policy.right_operand", field: itemPath, message: "\(left.rawValue) takes a string or object")
                }
            }
        }
    }

    static func integer(_ v: JSONValue) -> Int? {
        if let d = v.doubleValue { return Int(exactly: d) }
        if let s = v.stringValue { return Int(s) }
        return nil
    }

    /// A budget amount read exactly: a JSON number by its shortest decimal form, or a string.
    static func privacyAmount(_ v: JSONValue) -> PrivacyAmount? {
        if let d = v.doubleValue { return PrivacyAmount(d) }
        if let s = v.stringValue { return PrivacyAmount(decimal: s) }
        return nil
    }

    static func decimal(_ v: JSONValue) -> Double? {
        if let d = v.doubleValue { return d }
        if let s = v.stringValue { return Double(s) }
        return nil
    }
}

/// The purpose taxonomy (`isA` follows the dots: research.medical isA research).
public enum Purpose {
    public static let all = [
        "research", "research.medical", "research.social", "public-service", "commercial", "commercial.marketing",
        "commercial.risk-control", "model-training", "statistics",
    ]

    public static func isKnown(_ purpose: String) -> Bool { all.contains(purpose) }

    public static func isA(_ purpose: String, _ ancestor: String) -> Bool {
        purpose == ancestor || purpose.hasPrefix(ancestor + ".")
    }
}
