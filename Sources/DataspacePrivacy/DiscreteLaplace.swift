import DataspaceCore
import Foundation
import BigInt

/// The discrete Laplace distribution on the integers, P(y) ∝ exp(−|y| / scale), with an exact
/// rational scale (Canonne, Kamath, Steinke 2020, algorithm 2). It is the pure ε-DP mechanism for
/// integer-valued queries: noise with scale Δ₁/ε for a query of L1 sensitivity Δ₁.
public struct DiscreteLaplace: Sendable, Equatable {
    /// scale = scaleNumerator / scaleDenominator.
    public let scaleNumerator: BigUInt
    public let scaleDenominator: BigUInt

    public init(scaleNumerator: BigUInt, scaleDenominator: BigUInt) {
        precondition(scaleNumerator > 0 && scaleDenominator > 0, "a discrete Laplace scale must be positive")
        self.scaleNumerator = scaleNumerator
        self.scaleDenominator = scaleDenominator
    }

    /// The scale as a floating-point number, for reports only (never for drawing).
    public var scale: Double { Rational.double(scaleNumerator, scaleDenominator) }

    /// Variance of the discrete Laplace: 2e^{−1/b} / (1 − e^{−1/b})².
    public var variance: Double {
        let q = exp(-1 / scale)
        return 2 * q / ((1 - q) * (1 - q))
    }

    /// The smallest k with P(|Y| > k) ≤ alpha: a two-sided interval that holds the noise with
    /// probability at least 1 − alpha. P(|Y| > k) = 2e^{−(k+1)/b} / (1 + e^{−1/b}).
    public func halfWidth(alpha: Double) -> Double {
        let b = scale
        let q = exp(-1 / b)
        let k = (b * log(2 / (alpha * (1 + q)))).rounded(.up) - 1
        return max(0, k)
    }

    /// One draw. The loop rejects with probability below 1/2 a round whatever the scale.
    public func sample<R: RandomNumberGenerator>(using random: inout R) -> BigInt {
        let s = scaleDenominator, t = scaleNumerator
        while true {
            let u = BigUInt.randomInteger(lessThan: t, using: &random)
            guard ExactBernoulli.exponential(u, over: t, using: &random) else { continue }
            var v: BigUInt = 0
            while ExactBernoulli.exponential(1, over: 1, using: &random) { v += 1 }
            let y = (u + t * v) / s
            let negative = Bool.random(using: &random)
            if negative && y == 0 { continue }
            return negative ? -BigInt(y) : BigInt(y)
        }
    }
}
