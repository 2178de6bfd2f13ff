import DataspaceCore
import BigInt

/// Exact Bernoulli trials with rational parameters, the building blocks of the discrete
/// Laplace and Gaussian samplers (Canonne, Kamath, Steinke, "The Discrete Gaussian for
/// Differential Privacy", 2020, algorithms 1 and 2).
///
/// Every probability is a ratio of integers and every draw is a uniform integer from the
/// generator, so no floating-point rounding can shape the distribution (the attack Mironov
/// showed on textbook Laplace noise). The number of uniform draws a trial makes depends on its
/// outcome; `docs/privacy.md` says what that leaves observable.
public enum ExactBernoulli {
    /// True with probability `numerator / denominator` (0 ≤ numerator ≤ denominator, denominator > 0).
    public static func trial<R: RandomNumberGenerator>(_ numerator: BigUInt, over denominator: BigUInt, using random: inout R) -> Bool {
        precondition(denominator > 0 && numerator <= denominator, "Bernoulli parameter outside [0, 1]")
        if numerator == 0 { return false }
        if numerator == denominator { return true }
        return BigUInt.randomInteger(lessThan: denominator, using: &random) < numerator
    }

    /// True with probability exp(−γ) for γ = `numerator / denominator` ≥ 0.
    public static func exponential<R: RandomNumberGenerator>(_ numerator: BigUInt, over denominator: BigUInt, using random: inout R) -> Bool {
        precondition(denominator > 0, "Bernoulli parameter has a zero denominator")
        var remaining = numerator
        // exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)): one exp(−1) trial per whole unit, stopping at
        // the first failure.
        while remaining > denominator {
            if !exponentialAtMostOne(1, over: 1, using: &random) { return false }
            remaining -= denominator
        }
        return exponentialAtMostOne(remaining, over: denominator, using: &random)
    }

    /// exp(−γ) for 0 ≤ γ ≤ 1: count successes of Bernoulli(γ/k) for k = 1, 2, …; the count is odd
    /// with probability exp(−γ).
    static func exponentialAtMostOne<R: RandomNumberGenerator>(_ numerator: BigUInt, over denominator: BigUInt, using random: inout R) -> Bool {
        var k: BigUInt = 1
        while trial(numerator, over: denominator * k, using: &random) {
            k += 1
        }
        return k % 2 == 1
    }
}
