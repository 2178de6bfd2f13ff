/// How much privacy a release spends, and under which definition: pure ε-differential privacy
/// (discrete Laplace noise) or ρ-zero-concentrated DP (discrete Gaussian noise). Amounts of one
/// definition add up exactly (`PrivacyAmount`); the two are never mixed in one budget.
public enum PrivacyLoss: Sendable, Hashable, CustomStringConvertible {
    case pure(epsilon: PrivacyAmount)
    case zeroConcentrated(rho: PrivacyAmount)

    public var amount: PrivacyAmount {
        switch self {
        case .pure(let e): e
        case .zeroConcentrated(let r): r
        }
    }

    /// `epsilon` or `rho`: the policy's left operand and the CLI's flag.
    public var parameter: String {
        switch self {
        case .pure: "epsilon"
        case .zeroConcentrated: "rho"
        }
    }

    public var mechanism: String {
        switch self {
        case .pure: "discrete Laplace"
        case .zeroConcentrated: "discrete Gaussian"
        }
    }

    /// The same definition with another amount.
    public func with(_ amount: PrivacyAmount) -> PrivacyLoss {
        switch self {
        case .pure: .pure(epsilon: amount)
        case .zeroConcentrated: .zeroConcentrated(rho: amount)
        }
    }

    public var description: String { "\(parameter) \(amount)" }
}
