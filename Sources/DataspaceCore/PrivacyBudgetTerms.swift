/// The privacy budget an offer grants to computation in place (docs/policies.md, "Privacy
/// budgets"): top-level constraints of a permission whose action is `compute` (or `use`).
///
/// `epsilon lteq E` (pure DP) or `rho lteq R` (zero-concentrated DP) is the agreement's total;
/// `queryEpsilon`/`queryRho` caps one query; `periodEpsilon`/`periodRho` caps what a
/// `budgetPeriod` (default P1D) may spend; `delta lteq D` is the total δ for queries grouped by
/// keys that are not public.
public struct PrivacyBudgetTerms: Sendable, Hashable {
    /// The agreement's whole budget, and by its case the definition every query is charged in.
    public var total: PrivacyLoss
    public var perQuery: PrivacyAmount?
    public var perPeriod: PrivacyAmount?
    /// Seconds; periods are counted from the agreement's start.
    public var period: Double
    /// Total δ; zero when only public keys may be grouped by.
    public var delta: PrivacyAmount

    public static let defaultPeriod: Double = 86_400

    public init(total: PrivacyLoss, perQuery: PrivacyAmount? = nil, perPeriod: PrivacyAmount? = nil, period: Double = defaultPeriod, delta: PrivacyAmount = .zero) {
        self.total = total
        self.perQuery = perQuery
        self.perPeriod = perPeriod
        self.period = period
        self.delta = delta
    }
}

extension CompiledPolicy {
    /// The budget of the first permission granting `compute`; nil when no permission grants it
    /// with a budget (a compute permission without one is refused at publish).
    public var computeBudget: PrivacyBudgetTerms? {
        for rule in permissions where PolicyActions.covers(rule.action, "compute") {
            if let terms = rule.budgetTerms { return terms }
        }
        return nil
    }
}

extension CompiledRule {
    /// The budget terms among the rule's top-level constraints.
    var budgetTerms: PrivacyBudgetTerms? {
        var amounts: [LeftOperand: PrivacyAmount] = [:]
        var period = PrivacyBudgetTerms.defaultPeriod
        for c in constraints {
            guard case .atomic(let a) = c else { continue }
            switch a.operand {
            case .budget(let amount): amounts[a.left] = min(amounts[a.left] ?? amount, amount)
            case .period(let seconds): period = seconds
            default: continue
            }
        }
        let total: PrivacyLoss
        if let e = amounts[.epsilon] {
            total = .pure(epsilon: e)
        } else if let r = amounts[.rho] {
            total = .zeroConcentrated(rho: r)
        } else {
            return nil
        }
        let pure = if case .pure = total { true } else { false }
        return PrivacyBudgetTerms(
            total: total, perQuery: amounts[pure ? .queryEpsilon : .queryRho], perPeriod: amounts[pure ? .periodEpsilon : .periodRho],
            period: period, delta: amounts[.delta] ?? .zero)
    }

    /// Budget terms are top-level constraints of a compute permission, in one definition.
    static func checkBudgetTerms(action: String, constraints: [ConstraintNode], path: String) throws(ValidationError) {
        var present: [LeftOperand: Int] = [:]
        func nested(_ node: ConstraintNode, _ p: String) throws(ValidationError) {
            switch node {
            case .atomic(let a):
                if LeftOperand.budgetTerms.contains(a.left) || a.left == .budgetPeriod || LeftOperand.countedComputeTerms.contains(a.left) {
                    throw ValidationError(
                        code: a.left == .aggregateRounds ? "policy.aggregate" : LeftOperand.psiTerms.contains(a.left) ? "policy.psi" : "policy.privacy_budget", field: p,
                        message: "\(a.left.rawValue) is a compute term: put it directly in the compute permission's constraints, not inside and/or/xone")
                }
            case .and(let nodes, _), .or(let nodes, _), .xone(let nodes, _):
                for (i, n) in nodes.enumerated() { try nested(n, "\(p)[\(i)]") }
            }
        }
        for (i, node) in constraints.enumerated() {
            let p = "\(path).constraint[\(i)]"
            guard case .atomic(let a) = node else {
                try nested(node, p)
                continue
            }
            if LeftOperand.countedComputeTerms.contains(a.left) {
                guard PolicyActions.covers(action, "compute") else {
                    throw ValidationError(
                        code: a.left == .aggregateRounds ? "policy.aggregate" : "policy.psi", field: "\(p).leftOperand",
                        message: "\(a.left.rawValue) is a \(a.left == .aggregateRounds ? "secure-aggregation" : "set-intersection") term; it belongs to a permission whose action is compute, not \(action)")
                }
                present[a.left, default: 0] += 1
                continue
            }
            guard LeftOperand.budgetTerms.contains(a.left) || a.left == .budgetPeriod else { continue }
            guard PolicyActions.covers(action, "compute") else {
                throw ValidationError(
                    code: "policy.privacy_budget", field: "\(p).leftOperand",
                    message: "\(a.left.rawValue) is a privacy budget; it belongs to a permission whose action is compute, not \(action)")
            }
            present[a.left, default: 0] += 1
        }
        let pureTerms: [LeftOperand] = [.epsilon, .queryEpsilon, .periodEpsilon]
        let zcdpTerms: [LeftOperand] = [.rho, .queryRho, .periodRho]
        let usesPure = pureTerms.contains { present[$0] != nil }
        let usesZCDP = zcdpTerms.contains { present[$0] != nil }
        guard !(usesPure && usesZCDP) else {
            throw ValidationError(
                code: "policy.privacy_budget", field: "\(path).constraint",
                message: "a budget is either in epsilon (pure DP) or in rho (zero-concentrated DP), not both")
        }
        if usesPure, present[.epsilon] == nil {
            throw ValidationError(code: "policy.privacy_budget", field: "\(path).constraint", message: "queryEpsilon and periodEpsilon need the agreement's total: add epsilon lteq E")
        }
        if usesZCDP, present[.rho] == nil {
            throw ValidationError(code: "policy.privacy_budget", field: "\(path).constraint", message: "queryRho and periodRho need the agreement's total: add rho lteq R")
        }
        if present[.psiSetSize] == nil && (present[.psiRuns] != nil || present[.psiOutput] != nil) {
            throw ValidationError(code: "policy.psi", field: "\(path).constraint", message: "psiRuns and psiOutput need the largest set a consumer may match: add psiSetSize lteq N")
        }
        if !usesPure && !usesZCDP && (present[.delta] != nil || present[.budgetPeriod] != nil) {
            throw ValidationError(code: "policy.privacy_budget", field: "\(path).constraint", message: "delta and budgetPeriod need a budget: add epsilon lteq E or rho lteq R")
        }
    }
}
