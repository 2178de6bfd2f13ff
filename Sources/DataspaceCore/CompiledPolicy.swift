import Foundation

/// A usage policy compiled once, at publish or agreement time, into a form that evaluates without
/// parsing or allocating: right operands are already instants, durations, counts, region codes and
/// purpose paths, and every operator/left-operand pair has been checked to have a meaning.
///
/// Semantics (docs/policies.md): a request is permitted when some permission whose action covers
/// the requested action has all its constraints satisfied and no prohibition covering the action
/// has all of its constraints satisfied (prohibitions override permissions).
public struct CompiledPolicy: Sendable {
    public let source: UsagePolicy
    let permissions: [CompiledRule]
    let prohibitions: [CompiledRule]
    let obligations: [PolicyDuty]

    /// Compiles a parsed policy; errors name the JSON path below `path`.
    public init(_ policy: UsagePolicy, path: String = "policy") throws(ValidationError) {
        source = policy
        var permissions: [CompiledRule] = []
        for (i, rule) in policy.permissions.enumerated() {
            permissions.append(try CompiledRule(rule, path: "\(path).permission[\(i)]", label: "permission[\(i)]"))
        }
        var prohibitions: [CompiledRule] = []
        for (i, rule) in policy.prohibitions.enumerated() {
            let compiled = try CompiledRule(rule, path: "\(path).prohibition[\(i)]", label: "prohibition[\(i)]")
            guard compiled.duties.isEmpty else {
                throw ValidationError(code: "policy.prohibition_duty", field: "\(path).prohibition[\(i)].duty", message: "a prohibition cannot carry duties")
            }
            prohibitions.append(compiled)
        }
        var obligations: [PolicyDuty] = []
        for (i, duty) in policy.obligations.enumerated() {
            obligations.append(try CompiledRule.duty(duty, path: "\(path).obligation[\(i)]"))
        }
        self.permissions = permissions
        self.prohibitions = prohibitions
        self.obligations = obligations
    }

    /// Parses and compiles policy JSON in one step.
    public static func parse(_ json: JSONValue, path: String = "policy") throws(ValidationError) -> CompiledPolicy {
        try CompiledPolicy(try UsagePolicy.parse(json, path: path), path: path)
    }

    /// The decision alone, allocation-free: the hot path for deliveries and benchmarks.
    public func permits(_ request: PolicyRequest) -> Bool { grantingRule(request) != nil }

    func grantingRule(_ request: PolicyRequest) -> Int? {
        for rule in prohibitions where PolicyActions.covers(rule.action, request.action) && rule.holds(request) { return nil }
        for (i, rule) in permissions.enumerated() where PolicyActions.covers(rule.action, request.action) && rule.holds(request) {
            return i
        }
        return nil
    }

    /// The decision with its reasons and the duties it brings.
    public func evaluate(_ request: PolicyRequest) -> PolicyDecision {
        if let i = grantingRule(request) {
            let rule = permissions[i]
            let reason = PolicyReason(
                rule: rule.label, message: "\(rule.label) grants '\(request.action)' (\(rule.constraintCount) constraint\(rule.constraintCount == 1 ? "" : "s") hold)")
            return PolicyDecision(permitted: true, reasons: [reason], duties: rule.duties + obligations)
        }
        var reasons: [PolicyReason] = []
        for rule in prohibitions where PolicyActions.covers(rule.action, request.action) && rule.holds(request) {
            reasons.append(PolicyReason(rule: rule.label, message: "\(rule.label) prohibits '\(rule.action)'"))
        }
        if !reasons.isEmpty { return PolicyDecision(permitted: false, reasons: reasons) }
        let candidates = permissions.filter { PolicyActions.covers($0.action, request.action) }
        if candidates.isEmpty {
            let granted = permissions.map(\.action)
            return PolicyDecision(
                permitted: false,
                reasons: [
                    PolicyReason(
                        rule: "permission", leftOperand: "action", expected: granted.joined(separator: ", "), actual: request.action,
                        message: "no permission covers '\(request.action)'; the policy grants \(granted.isEmpty ? "nothing" : granted.joined(separator: ", "))")
                ])
        }
        for rule in candidates { reasons += rule.explain(request) }
        return PolicyDecision(permitted: false, reasons: reasons)
    }

    /// Deliveries left before a `count` limit on the rules granting `action` is reached (nil: no limit).
    public func remainingUses(action: String, uses: Int) -> Int? {
        var best: Int?
        for rule in permissions where PolicyActions.covers(rule.action, action) {
            guard let limit = rule.countLimit else { return nil }
            best = max(best ?? 0, max(0, limit - uses))
        }
        return best
    }

    /// The compensation the agreement asks per delivery, if any.
    public var compensation: (amount: Double, unit: String)? {
        for duty in permissions.flatMap(\.duties) + obligations {
            if case .compensate(let amount, let unit) = duty { return (amount, unit) }
        }
        return nil
    }
}

/// Which actions an action grants: `use` covers every data action, `read` covers `download`.
public enum PolicyActions {
    public static let dataActions: Set<String> = ["use", "read", "download", "compute", "aggregate", "anonymize", "distribute", "transfer"]
    static let dutyActions: Set<String> = ["compensate", "delete"]

    public static func covers(_ granted: String, _ requested: String) -> Bool {
        if granted == requested { return true }
        switch granted {
        case "use": return dataActions.contains(requested)
        case "read": return requested == "download"
        default: return false
        }
    }
}

struct CompiledRule: Sendable {
    let label: String
    let action: String
    let constraints: [ConstraintNode]
    let duties: [PolicyDuty]

    init(_ rule: PolicyRule, path: String, label: String) throws(ValidationError) {
        guard PolicyActions.dataActions.contains(rule.action.name) else {
            throw ValidationError(
                code: "policy.rule_action", field: "\(path).action",
                message: "'\(rule.action.name)' is a duty action; a permission or prohibition takes one of \(PolicyActions.dataActions.sorted().joined(separator: ", "))")
        }
        self.label = label
        action = rule.action.name
        var constraints: [ConstraintNode] = []
        for (i, c) in rule.constraints.enumerated() {
            constraints.append(try ConstraintNode(c, path: "\(path).constraint[\(i)]", label: "\(label).constraint[\(i)]"))
        }
        try Self.checkBudgetTerms(action: action, constraints: constraints, path: path)
        self.constraints = constraints
        var duties: [PolicyDuty] = []
        for (i, d) in rule.duties.enumerated() { duties.append(try Self.duty(d, path: "\(path).duty[\(i)]")) }
        self.duties = duties
    }

    var constraintCount: Int { constraints.count }

    func holds(_ request: PolicyRequest) -> Bool {
        for c in constraints where !c.holds(request) { return false }
        return true
    }

    func explain(_ request: PolicyRequest) -> [PolicyReason] {
        constraints.flatMap { $0.holds(request) ? [] : $0.explain(request) }
    }

    /// The largest `count` a top-level `lteq`/`lt`/`eq` constraint allows, if the rule has one.
    var countLimit: Int? {
        var limit: Int?
        for c in constraints {
            guard case .atomic(let a) = c, a.left == .count, case .count(let n) = a.operand else { continue }
            let allowed: Int? =
                switch a.op {
                case .lteq, .eq: n
                case .lt: n - 1
                default: nil
                }
            if let allowed { limit = min(limit ?? allowed, allowed) }
        }
        return limit
    }

    /// Compiles a duty; only duties the node can track are accepted.
    static func duty(_ rule: PolicyRule, path: String) throws(ValidationError) -> PolicyDuty {
        func atomics() throws(ValidationError) -> [(LeftOperand, ConstraintOperator, JSONValue, String)] {
            var out: [(LeftOperand, ConstraintOperator, JSONValue, String)] = []
            for (i, c) in rule.constraints.enumerated() {
                guard case .atomic(let l, let op, let r) = c else {
                    throw ValidationError(code: "policy.duty", field: "\(path).constraint[\(i)]", message: "duty constraints are atomic")
                }
                out.append((l, op, r, "\(path).constraint[\(i)]"))
            }
            return out
        }
        switch rule.action.name {
        case "compensate":
            var amount: Double?
            var unit = "CNY"
            for (l, op, r, p) in try atomics() {
                switch l {
                case .payAmount where op == .eq:
                    amount = RightOperandCheck.values(r).first.flatMap(RightOperandCheck.decimal)
                case .unit where op == .eq:
                    guard let u = RightOperandCheck.values(r).first?.stringValue, u.count == 3, u.allSatisfy({ $0.isUppercase && $0.isASCII }) else {
                        throw ValidationError(code: "policy.unit", field: "\(p).rightOperand", message: "unit takes an ISO 4217 currency code such as CNY")
                    }
                    unit = u
                default:
                    throw ValidationError(
                        code: "policy.duty", field: p, message: "a compensate duty takes 'payAmount eq AMOUNT' and optionally 'unit eq CURRENCY'")
                }
            }
            guard let amount else {
                throw ValidationError(code: "policy.duty", field: "\(path).constraint", message: "a compensate duty needs 'payAmount eq AMOUNT'")
            }
            return .compensate(amount: amount, unit: unit)
        case "delete":
            let items = try atomics()
            guard items.count == 1, let (l, op, r, _) = items.first, l == .deleteAfter, op == .eq || op == .lteq,
                let text = RightOperandCheck.values(r).first?.stringValue, let seconds = ISO8601.parseDuration(text)
            else {
                throw ValidationError(code: "policy.duty", field: "\(path).constraint", message: "a delete duty takes one constraint 'deleteAfter lteq DURATION', e.g. P30D")
            }
            return .deleteAfter(seconds: seconds)
        default:
            throw ValidationError(
                code: "policy.unsupported_duty", field: "\(path).action",
                message: "this node can enforce only compensate and delete duties, not '\(rule.action.name)'")
        }
    }
}

/// A compiled constraint: logical nodes over atomic checks.
indirect enum ConstraintNode: Sendable {
    case and([ConstraintNode], String)
    case or([ConstraintNode], String)
    case xone([ConstraintNode], String)
    case atomic(AtomicConstraint)

    init(_ constraint: PolicyConstraint, path: String, label: String) throws(ValidationError) {
        switch constraint {
        case .atomic(let l, let op, let r):
            self = .atomic(try AtomicConstraint(left: l, op: op, right: r, path: path, label: label))
        case .logical(let logic, let parts):
            var nodes: [ConstraintNode] = []
            for (i, p) in parts.enumerated() {
                nodes.append(try ConstraintNode(p, path: "\(path).\(logic.rawValue)[\(i)]", label: "\(label).\(logic.rawValue)[\(i)]"))
            }
            switch logic {
            case .and: self = .and(nodes, label)
            case .or: self = .or(nodes, label)
            case .xone: self = .xone(nodes, label)
            }
        }
    }

    func holds(_ r: PolicyRequest) -> Bool {
        switch self {
        case .atomic(let a): return a.holds(r)
        case .and(let nodes, _):
            for n in nodes where !n.holds(r) { return false }
            return true
        case .or(let nodes, _):
            for n in nodes where n.holds(r) { return true }
            return false
        case .xone(let nodes, _):
            var count = 0
            for n in nodes where n.holds(r) {
                count += 1
                if count > 1 { return false }
            }
            return count == 1
        }
    }

    func explain(_ r: PolicyRequest) -> [PolicyReason] {
        switch self {
        case .atomic(let a): return [a.reason(r)]
        case .and(let nodes, _): return nodes.flatMap { $0.holds(r) ? [] : $0.explain(r) }
        case .or(let nodes, let label):
            return [PolicyReason(rule: Self.ruleLabel(label), constraint: label, message: "none of the \(nodes.count) alternatives holds")]
                + nodes.flatMap { $0.explain(r) }
        case .xone(let nodes, let label):
            let holding = nodes.filter { $0.holds(r) }.count
            return [
                PolicyReason(
                    rule: Self.ruleLabel(label), constraint: label, expected: "1", actual: "\(holding)",
                    message: "exactly one of \(nodes.count) alternatives must hold; \(holding) hold")
            ] + (holding == 0 ? nodes.flatMap { $0.explain(r) } : [])
        }
    }

    static func ruleLabel(_ label: String) -> String { String(label.prefix { $0 != "." }) }
}

/// `leftOperand operator rightOperand` with the right operand pre-parsed for its left operand.
struct AtomicConstraint: Sendable {
    enum Operand: Sendable {
        case instant(Double)
        case duration(Double)
        case count(Int)
        case purposes([String])
        case regions([RegionCode])
        case recipients([RecipientPattern])
        case actions([String])
        /// A privacy budget term: holds for every request; the compute service spends it.
        case budget(PrivacyAmount)
        case period(Double)
        /// A set-intersection limit or release: holds for every request; the compute service enforces it.
        case limit(Int)
        case output(PSITerms.Output)
    }

    /// A recipient: a DID, or credential claims that must all match (region by containment).
    struct RecipientPattern: Sendable, Hashable {
        var did: String?
        var sector: Sector?
        var region: RegionCode?
        var role: String?

        func matches(_ r: PolicyRequest.Recipient) -> Bool {
            if let did, did != r.did { return false }
            if let sector, sector != r.sector { return false }
            if let region {
                guard let actual = r.region, actual.isWithin(region) else { return false }
            }
            if let role, role != r.role { return false }
            return true
        }
    }

    let left: LeftOperand
    let op: ConstraintOperator
    let operand: Operand
    let label: String
    let rightText: String

    static let ordered: Set<ConstraintOperator> = [.eq, .neq, .gt, .gteq, .lt, .lteq]
    static let setOperators: Set<ConstraintOperator> = [.isAnyOf, .isAllOf, .isNoneOf]

    init(left: LeftOperand, op: ConstraintOperator, right: JSONValue, path: String, label: String) throws(ValidationError) {
        self.left = left
        self.op = op
        self.label = label
        let values = RightOperandCheck.values(right)
        rightText = values.map { $0.stringValue ?? $0.encodedString() }.joined(separator: ", ")
        let allowed: Set<ConstraintOperator>
        switch left {
        case .dateTime, .elapsedTime, .count: allowed = Self.ordered
        case .purpose, .action: allowed = Self.setOperators.union([.eq, .neq, .isA])
        case .spatial: allowed = Self.setOperators.union([.eq, .neq, .isPartOf, .hasPart])
        case .recipient: allowed = Self.setOperators.union([.eq, .neq, .isA])
        case .epsilon, .rho, .queryEpsilon, .queryRho, .periodEpsilon, .periodRho, .delta: allowed = [.lteq]
        case .budgetPeriod: allowed = [.eq]
        case .psiSetSize, .psiRuns, .aggregateRounds: allowed = [.lteq]
        case .psiOutput: allowed = [.eq]
        case .payAmount, .unit, .deleteAfter:
            throw ValidationError(
                code: "policy.duty_operand", field: "\(path).leftOperand",
                message: "'\(left.rawValue)' is a duty term: put it in a \(left == .deleteAfter ? "delete" : "compensate") duty, not in a rule's constraint")
        }
        guard allowed.contains(op) else {
            throw ValidationError(
                code: "policy.operator_mismatch", field: "\(path).operator",
                message: "operator '\(op.rawValue)' has no meaning for '\(left.rawValue)'; use one of \(allowed.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        if !Self.setOperators.contains(op), values.count != 1 {
            throw ValidationError(code: "policy.right_operand", field: "\(path).rightOperand", message: "'\(op.rawValue)' takes a single value; use isAnyOf for a list")
        }
        let rightPath = "\(path).rightOperand"
        switch left {
        case .dateTime:
            guard let s = values[0].stringValue, let date = ISO8601.parseDateTime(s) else {
                throw ValidationError(code: "policy.date_time", field: rightPath, message: "dateTime takes an ISO 8601 date-time with offset")
            }
            operand = .instant(date.timeIntervalSince1970)
        case .elapsedTime:
            guard let s = values[0].stringValue, let seconds = ISO8601.parseDuration(s) else {
                throw ValidationError(code: "policy.duration", field: rightPath, message: "elapsedTime takes an ISO 8601 duration such as P30D")
            }
            operand = .duration(seconds)
        case .count:
            guard let n = RightOperandCheck.integer(values[0]), n >= 0 else {
                throw ValidationError(code: "policy.count", field: rightPath, message: "count takes a non-negative integer")
            }
            operand = .count(n)
        case .purpose:
            operand = .purposes(values.compactMap(\.stringValue))
        case .spatial:
            var regions: [RegionCode] = []
            for (i, v) in values.enumerated() {
                let p = values.count > 1 ? "\(rightPath)[\(i)]" : rightPath
                guard let s = v.stringValue else { throw ValidationError(code: "policy.spatial", field: p, message: "spatial takes region codes") }
                do { regions.append(try RegionCode(s)) } catch { throw error.at(p) }
            }
            operand = .regions(regions)
        case .recipient:
            var patterns: [RecipientPattern] = []
            for (i, v) in values.enumerated() {
                patterns.append(try Self.recipientPattern(v, path: values.count > 1 ? "\(rightPath)[\(i)]" : rightPath))
            }
            operand = .recipients(patterns)
        case .action:
            var actions: [String] = []
            for (i, v) in values.enumerated() {
                let p = values.count > 1 ? "\(rightPath)[\(i)]" : rightPath
                guard let s = v.stringValue.map({ $0.hasPrefix("odrl:") ? String($0.dropFirst(5)) : $0 }), PolicyActions.dataActions.contains(s) else {
                    throw ValidationError(
                        code: "policy.unknown_action", field: p, message: "action takes one of \(PolicyActions.dataActions.sorted().joined(separator: ", "))")
                }
                actions.append(s)
            }
            operand = .actions(actions)
        case .epsilon, .rho, .queryEpsilon, .queryRho, .periodEpsilon, .periodRho, .delta:
            guard let amount = RightOperandCheck.privacyAmount(values[0]), amount > .zero else {
                throw ValidationError(code: "policy.privacy_budget", field: rightPath, message: "\(left.rawValue) takes a positive decimal with at most 9 decimals")
            }
            operand = .budget(amount)
        case .budgetPeriod:
            guard let s = values[0].stringValue, let seconds = ISO8601.parseDuration(s), seconds >= 60 else {
                throw ValidationError(code: "policy.duration", field: rightPath, message: "budgetPeriod takes an ISO 8601 duration of a minute or more, such as P1D")
            }
            operand = .period(seconds)
        case .psiSetSize, .psiRuns, .aggregateRounds:
            let range = left == .psiSetSize ? PSITerms.setSizeRange : PSITerms.runsRange
            guard let n = RightOperandCheck.integer(values[0]), range.contains(n) else {
                throw ValidationError(code: left == .aggregateRounds ? "policy.aggregate" : "policy.psi", field: rightPath, message: "\(left.rawValue) takes a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            operand = .limit(n)
        case .psiOutput:
            guard let s = values[0].stringValue, let output = PSITerms.Output(rawValue: s) else {
                throw ValidationError(code: "policy.psi", field: rightPath, message: "psiOutput takes 'cardinality' (only the size) or 'intersection'")
            }
            operand = .output(output)
        case .payAmount, .unit, .deleteAfter:
            throw ValidationError(code: "policy.duty_operand", field: path, message: "duty term outside a duty")
        }
    }

    static func recipientPattern(_ v: JSONValue, path: String) throws(ValidationError) -> RecipientPattern {
        if let s = v.stringValue {
            guard s.hasPrefix("did:") else {
                throw ValidationError(code: "policy.recipient", field: path, message: "recipient takes a DID or an object of credential claims (sector, region, role, did)")
            }
            return RecipientPattern(did: s)
        }
        guard let o = v.objectValue, !o.isEmpty else {
            throw ValidationError(code: "policy.recipient", field: path, message: "recipient takes a DID or a non-empty object of credential claims")
        }
        var pattern = RecipientPattern()
        for (key, value) in o {
            guard let s = value.stringValue else {
                throw ValidationError(code: "policy.recipient", field: "\(path).\(key)", message: "recipient claim values are strings")
            }
            switch key {
            case "did": pattern.did = s
            case "sector": do { pattern.sector = try Sector(slug: s) } catch { throw error.at("\(path).sector") }
            case "region": do { pattern.region = try RegionCode(s) } catch { throw error.at("\(path).region") }
            case "role": pattern.role = s
            default:
                throw ValidationError(code: "policy.recipient", field: "\(path).\(key)", message: "unknown recipient claim '\(key)'; use sector, region, role or did")
            }
        }
        return pattern
    }

    @inline(__always)
    static func compare(_ a: Double, _ op: ConstraintOperator, _ b: Double) -> Bool {
        switch op {
        case .eq: a == b
        case .neq: a != b
        case .gt: a > b
        case .gteq: a >= b
        case .lt: a < b
        case .lteq: a <= b
        default: false
        }
    }

    @inline(__always)
    static func apply<T>(_ op: ConstraintOperator, _ items: [T], _ test: (T) -> Bool) -> Bool {
        switch op {
        case .isAnyOf: items.contains(where: test)
        case .isAllOf: items.allSatisfy(test)
        case .isNoneOf: !items.contains(where: test)
        case .neq: !items.contains(where: test)
        default: items.first.map(test) ?? false
        }
    }

    func holds(_ r: PolicyRequest) -> Bool {
        switch operand {
        case .instant(let t): return Self.compare(r.now, op, t)
        case .duration(let d): return Self.compare(elapsed(r), op, d)
        case .count(let n): return Self.compare(Double(r.uses + 1), op, Double(n))
        case .purposes(let purposes):
            guard let p = r.purpose else { return false }
            let exact = op == .eq || op == .neq
            return Self.apply(op, purposes) { exact ? p == $0 : Purpose.isA(p, $0) }
        case .regions(let regions):
            guard let actual = r.recipient.region else { return false }
            switch op {
            case .eq: return actual == regions[0]
            case .neq: return actual != regions[0]
            case .hasPart: return regions[0].isWithin(actual)
            default: return Self.apply(op, regions) { actual.isWithin($0) }
            }
        case .recipients(let patterns):
            return Self.apply(op, patterns) { $0.matches(r.recipient) }
        case .actions(let actions):
            let exact = op == .eq || op == .neq
            return Self.apply(op, actions) { exact ? r.action == $0 : PolicyActions.covers($0, r.action) }
        case .budget, .period, .limit, .output:
            return true
        }
    }

    func elapsed(_ r: PolicyRequest) -> Double { r.agreedAt.map { r.now - $0 } ?? 0 }

    /// What was found, stated for the failure message.
    func actual(_ r: PolicyRequest) -> String {
        switch operand {
        case .instant: ISO8601.format(Date(timeIntervalSince1970: r.now))
        case .duration: ISO8601.formatDuration(elapsed(r))
        case .count: "\(r.uses + 1)"
        case .purposes: r.purpose ?? "none declared"
        case .regions: r.recipient.region?.value ?? "unknown"
        case .recipients:
            [r.recipient.did, r.recipient.sector?.rawValue, r.recipient.region?.value, r.recipient.role].compactMap { $0 }.joined(separator: ", ")
        case .actions: r.action
        case .budget(let amount): amount.description
        case .period(let seconds): ISO8601.formatDuration(seconds)
        case .limit(let n): "\(n)"
        case .output(let o): o.rawValue
        }
    }

    func reason(_ r: PolicyRequest) -> PolicyReason {
        let found = actual(r)
        let message: String =
            switch (left, op) {
            case (.count, _):
                "delivery \(found) exceeds the limit (count \(op.rawValue) \(rightText))"
            case (.purpose, _) where r.purpose == nil:
                "no purpose declared; the policy requires purpose \(op.rawValue) \(rightText)"
            case (.spatial, _) where r.recipient.region == nil:
                "the recipient's region is unknown; the policy requires spatial \(op.rawValue) \(rightText)"
            default:
                "\(left.rawValue) is \(found), but the policy requires \(left.rawValue) \(op.rawValue) \(rightText)"
            }
        return PolicyReason(
            rule: ConstraintNode.ruleLabel(label), constraint: label, leftOperand: left.rawValue, operator: op.rawValue, expected: rightText,
            actual: found, message: message)
    }
}
