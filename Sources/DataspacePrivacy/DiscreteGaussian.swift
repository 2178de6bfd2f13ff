import DataspaceCore
import Foundation
import BigInt

/// The discrete Gaussian on the integers, P(y) ∝ exp(−y² / 2σ²), with an exact rational σ²
/// (Canonne, Kamath, Steinke 2020, algorithm 3: discrete Laplace proposals accepted with an exact
/// Bernoulli(exp(−γ))). It is the ρ-zCDP mechanism: σ² = Δ₂² / 2ρ for L2 sensitivity Δ₂.
public struct DiscreteGaussian: Sendable, Equatable {
    /// σ² = varianceNumerator / varianceDenominator.
    public let varianceNumerator: BigUInt
    public let varianceDenominator: BigUInt
    /// The proposal's scale, ⌊σ⌋ + 1.
    let proposalScale: BigUInt

    public init(varianceNumerator: BigUInt, varianceDenominator: BigUInt) {
        precondition(varianceNumerator > 0 && varianceDenominator > 0, "a discrete Gaussian variance must be positive")
        self.varianceNumerator = varianceNumerator
        self.varianceDenominator = varianceDenominator
        // ⌊√(n/d)⌋ = ⌊√⌊n/d⌋⌋, so the integer square root gives ⌊σ⌋ exactly.
        proposalScale = (varianceNumerator / varianceDenominator).squareRoot() + 1
    }

    /// σ² as a floating-point number, for reports only.
    public var sigmaSquared: Double { Rational.double(varianceNumerator, varianceDenominator) }
    public var sigma: Double { sigmaSquared.squareRoot() }

    /// A two-sided interval holding the noise with probability at least 1 − alpha, from the
    /// sub-Gaussian tail bound P(|Y| ≥ k) ≤ 2e^{−k²/2σ²} that the discrete Gaussian satisfies.
    public func halfWidth(alpha: Double) -> Double {
        (sigma * (2 * log(2 / alpha)).squareRoot()).rounded(.up)
    }

    /// One draw.
    public func sample<R: RandomNumberGenerator>(using random: inout R) -> BigInt {
        let t = proposalScale
        let n = varianceNumerator, d = varianceDenominator
        let proposal = DiscreteLaplace(scaleNumerator: t, scaleDenominator: 1)
        // Accept Y with probability exp(−(|Y| − σ²/t)² / 2σ²) = exp(−(|Y|·t·d − n)² / (2·n·d·t²)).
        let denominator = 2 * n * d * t * t
        while true {
            let y = proposal.sample(using: &random)
            let scaled = BigInt(y.magnitude * t * d) - BigInt(n)
            let numerator = scaled.magnitude * scaled.magnitude
            if ExactBernoulli.exponential(numerator, over: denominator, using: &random) { return y }
        }
    }
}
