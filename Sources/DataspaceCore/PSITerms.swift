/// What an offer allows of private set intersection (docs/policies.md, "Set intersection"):
/// top-level constraints of a permission whose action is `compute`.
///
/// `psiSetSize lteq N` is required and caps the identifiers a consumer may match in one run
/// (the defence against probing with huge guess lists); `psiRuns lteq R` caps the runs of the
/// agreement; `psiOutput eq "cardinality"` (the default) releases only the intersection's
/// size, `"intersection"` releases which of the consumer's identifiers matched.
public struct PSITerms: Sendable, Hashable {
    public enum Output: String, Sendable, Hashable, CaseIterable {
        case cardinality, intersection
    }

    public var maximumSetSize: Int
    /// nil: as many runs as the agreement lasts for.
    public var runs: Int?
    public var output: Output

    public static let setSizeRange = 1...10_000_000
    public static let runsRange = 1...1_000_000

    public init(maximumSetSize: Int, runs: Int? = nil, output: Output = .cardinality) {
        self.maximumSetSize = maximumSetSize
        self.runs = runs
        self.output = output
    }
}

extension CompiledPolicy {
    /// The set-intersection terms of the first permission granting `compute` with a
    /// `psiSetSize`; nil when the offer does not allow set intersection.
    public var psiTerms: PSITerms? {
        for rule in permissions where PolicyActions.covers(rule.action, "compute") {
            if let terms = rule.psiTerms { return terms }
        }
        return nil
    }
}

extension CompiledRule {
    var psiTerms: PSITerms? {
        var size: Int?
        var runs: Int?
        var output = PSITerms.Output.cardinality
        for c in constraints {
            guard case .atomic(let a) = c else { continue }
            switch (a.left, a.operand) {
            case (.psiSetSize, .limit(let n)): size = min(size ?? n, n)
            case (.psiRuns, .limit(let n)): runs = min(runs ?? n, n)
            case (.psiOutput, .output(let o)): output = o
            default: continue
            }
        }
        return size.map { PSITerms(maximumSetSize: $0, runs: runs, output: output) }
    }
}
