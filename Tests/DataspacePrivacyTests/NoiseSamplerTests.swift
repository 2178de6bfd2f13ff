import BigInt
import DataspaceCore
import Foundation
import Testing

@testable import DataspacePrivacy

/// The exact samplers against their exact distributions: chi-square goodness of fit at a fixed
/// seed (stable from run to run) and the sample variance against the closed form.
@Suite("Discrete noise samplers")
struct NoiseSamplerTests {
    static let draws = 20_000

    /// Pearson's statistic over bins |k| ≤ cut each on its own and two pooled tails; fails when
    /// it exceeds the 0.1 % critical value (Wilson–Hilferty).
    static func chiSquareHolds(samples: [Int], probability: (Int) -> Double, cut: Int) -> (statistic: Double, critical: Double) {
        let n = Double(samples.count)
        var observed = [Int: Int]()
        for s in samples { observed[min(max(s, -cut - 1), cut + 1), default: 0] += 1 }
        var expected = [Int: Double]()
        for k in -cut...cut { expected[k] = probability(k) * n }
        let inner = expected.values.reduce(0, +)
        expected[cut + 1] = (n - inner) / 2
        expected[-cut - 1] = (n - inner) / 2
        var statistic = 0.0
        for (k, e) in expected where e > 0 {
            let o = Double(observed[k, default: 0])
            statistic += (o - e) * (o - e) / e
        }
        let df = Double(expected.count - 1)
        let z = 3.09
        let critical = df * pow(1 - 2 / (9 * df) + z * (2 / (9 * df)).squareRoot(), 3)
        return (statistic, critical)
    }

    static func variance(_ samples: [Int]) -> Double {
        let n = Double(samples.count)
        let mean = samples.reduce(0.0) { $0 + Double($1) } / n
        return samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
    }

    @Test("discrete Laplace matches P(y) ∝ exp(−|y|/b)", arguments: [(BigUInt(2), BigUInt(1)), (BigUInt(3), BigUInt(2)), (BigUInt(7), BigUInt(1))])
    func laplace(t: BigUInt, s: BigUInt) {
        let sampler = DiscreteLaplace(scaleNumerator: t, scaleDenominator: s)
        var random = SeededRandom(seed: 0x5EED_0001 &+ UInt64(t) &* 31 &+ UInt64(s))
        let samples = (0..<Self.draws).map { _ in Int(sampler.sample(using: &random)) }
        let b = Double(t) / Double(s)
        let q = exp(-1 / b)
        let p: (Int) -> Double = { k in (1 - q) / (1 + q) * pow(q, Double(abs(k))) }
        let cut = Int((b * 4).rounded(.up))
        let (statistic, critical) = Self.chiSquareHolds(samples: samples, probability: p, cut: cut)
        #expect(statistic < critical, "chi-square \(statistic) over the 0.1 % critical value \(critical)")
        let expectedVariance = sampler.variance
        #expect(abs(Self.variance(samples) - expectedVariance) < 0.06 * expectedVariance)
        // Symmetric: the mean is within five standard errors of zero.
        let mean = samples.reduce(0.0) { $0 + Double($1) } / Double(samples.count)
        #expect(abs(mean) < 5 * (expectedVariance / Double(samples.count)).squareRoot())
    }

    @Test("discrete Gaussian matches P(y) ∝ exp(−y²/2σ²)", arguments: [(BigUInt(4), BigUInt(1)), (BigUInt(5), BigUInt(2)), (BigUInt(100), BigUInt(3))])
    func gaussian(n: BigUInt, d: BigUInt) {
        let sampler = DiscreteGaussian(varianceNumerator: n, varianceDenominator: d)
        var random = SeededRandom(seed: 0x5EED_0002 &+ UInt64(n) &* 17 &+ UInt64(d))
        let samples = (0..<Self.draws).map { _ in Int(sampler.sample(using: &random)) }
        let sigma2 = Double(n) / Double(d)
        let weights = (-200...200).map { exp(-Double($0 * $0) / (2 * sigma2)) }
        let total = weights.reduce(0, +)
        let p: (Int) -> Double = { k in exp(-Double(k * k) / (2 * sigma2)) / total }
        let cut = Int((sigma2.squareRoot() * 3).rounded(.up))
        let (statistic, critical) = Self.chiSquareHolds(samples: samples, probability: p, cut: cut)
        #expect(statistic < critical, "chi-square \(statistic) over the 0.1 % critical value \(critical)")
        // The discrete Gaussian's variance is the exact sum, slightly below σ² for small σ.
        let exactVariance = (-200...200).reduce(0.0) { $0 + Double($1 * $1) * p($1) }
        #expect(abs(Self.variance(samples) - exactVariance) < 0.06 * exactVariance)
    }

    @Test("Bernoulli(exp(−γ)) is exact for rational γ below and above one")
    func bernoulliExponential() {
        var random = SeededRandom(seed: 0x5EED_0003)
        for (num, den) in [(BigUInt(1), BigUInt(3)), (BigUInt(5), BigUInt(2)), (BigUInt(0), BigUInt(1)), (BigUInt(1), BigUInt(1))] {
            let n = 20_000
            let hits = (0..<n).filter { _ in ExactBernoulli.exponential(num, over: den, using: &random) }.count
            let p = exp(-Double(num) / Double(den))
            let sd = (Double(n) * p * (1 - p)).squareRoot()
            #expect(abs(Double(hits) - Double(n) * p) <= max(5 * sd, 0.5), "γ = \(num)/\(den): \(hits) of \(n), expected \(Double(n) * p)")
        }
    }

    @Test("a noisy count is an integer and the interval holds about 95 % of the noise")
    func intervalCoverage() {
        let sampler = DiscreteLaplace(scaleNumerator: 10, scaleDenominator: 1)
        var random = SeededRandom(seed: 0x5EED_0004)
        let width = sampler.halfWidth(alpha: 0.05)
        let inside = (0..<Self.draws).filter { _ in abs(Double(sampler.sample(using: &random))) <= width }.count
        let share = Double(inside) / Double(Self.draws)
        #expect(share >= 0.945 && share <= 0.96, "\(share) of draws inside ±\(width)")
    }
}
