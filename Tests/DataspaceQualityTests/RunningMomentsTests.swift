import Testing

@testable import DataspaceQuality

#if arch(x86_64) || arch(i386)
/// Extended precision for the reference where the platform has it.
typealias Wide = Float80
#else
typealias Wide = Double
#endif

@Suite("Running mean and variance")
struct RunningMomentsTests {
    /// Mean and M2 by two passes (in extended precision where there is one): the reference.
    static func reference(_ xs: [Double]) -> (mean: Double, m2: Double) {
        let mean = xs.reduce(Wide(0)) { $0 + Wide($1) } / Wide(xs.count)
        let m2 = xs.reduce(Wide(0)) { $0 + (Wide($1) - mean) * (Wide($1) - mean) }
        return (Double(mean), Double(m2))
    }

    static func close(_ a: Double, _ b: Double, relative: Double) -> Bool {
        abs(a - b) <= relative * max(1, abs(b))
    }

    @Test("Matches two passes across batch edges, also far from zero with a small spread", arguments: [1, 2, 1_023, 1_024, 1_025, 5_000])
    func matchesTwoPasses(count: Int) {
        var random = SeededGenerator(seed: UInt64(count))
        for offset in [0.0, 1e9, -3.5e12] {
            let xs = (0..<count).map { _ in offset + Double.random(in: -50...50, using: &random) }
            var moments = RunningMoments()
            for x in xs { moments.add(x) }
            let (mean, m2) = Self.reference(xs)
            #expect(moments.count == count)
            // The mean is compared with the values' magnitude: its last place is theirs.
            #expect(abs(moments.mean - mean) <= 1e-14 * max(1, abs(offset) + 50), "mean \(moments.mean) vs \(mean)")
            // M2 relative to itself. Values near 3.5e12 keep only a few hundredths' precision
            // (their last place is 0.0005) against a spread of 50: a rounding of the mean costs
            // M2 more there (Welford's per-value update is off by 2.6e-6 on this data).
            let relative = abs(offset) > 1e10 ? 1e-7 : 1e-10
            #expect(abs(moments.m2 - m2) <= relative * max(1, m2), "m2 \(moments.m2) vs \(m2) at offset \(offset)")
        }
    }

    @Test("Merging parts gives the whole's moments")
    func mergeEqualsWhole() {
        var random = SeededGenerator(seed: 7)
        let xs = (0..<7_000).map { _ in Double.random(in: 0...1_000, using: &random) }
        var whole = RunningMoments()
        for x in xs { whole.add(x) }
        var merged = RunningMoments()
        for part in [xs[0..<10], xs[10..<3_000], xs[3_000..<3_000], xs[3_000...]] {
            var moments = RunningMoments()
            for x in part { moments.add(x) }
            merged.merge(moments)
        }
        #expect(merged.count == whole.count)
        #expect(Self.close(merged.mean, whole.mean, relative: 1e-13))
        #expect(Self.close(merged.m2, whole.m2, relative: 1e-12))
    }

    @Test("Numbers whose squares overflow give no finite wrong spread")
    func overflowIsNotHidden() {
        var moments = RunningMoments()
        for x in [1e308, -1e308, 1e308] { moments.add(x) }
        // Their squared deviations sum past the largest double: no finite M2 is right.
        #expect(!moments.m2.isFinite)
    }

    @Test("Small exact cases stay exact")
    func exactCases() {
        var moments = RunningMoments()
        #expect(moments.count == 0 && moments.mean == 0 && moments.m2 == 0)
        for x in [10.5, 20, 30.5, 20] { moments.add(x) }
        #expect(moments.mean == 20.25)
        #expect(moments.m2 == 200.25)
        var one = RunningMoments()
        one.add(-0.0)
        #expect(one.count == 1 && one.mean == 0 && one.m2 == 0)
    }
}
