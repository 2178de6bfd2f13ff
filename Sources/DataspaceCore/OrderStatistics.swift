/// Order statistics of measured samples (latencies, throughputs), one definition for every
/// benchmark table so that their figures compare with each other and with the peers'.
public enum OrderStatistics {
    /// The nearest-rank percentile of `sorted` (ascending): the smallest value with at least the
    /// fraction `p` (0…1) of the sample at or below it — the ⌈p·n⌉-th value. 0 for an empty
    /// sample. (A rank of ⌊p·n⌋ + 1 made the p99 of 100 samples their maximum.)
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        // nextDown: a product meant to be whole (0.99 × 100) that floating point put a hair
        // above it must not take the next rank.
        let fraction = p.isNaN ? 0 : min(max(p, 0), 1)
        let rank = (fraction * Double(sorted.count)).nextDown.rounded(.up)
        return sorted[min(sorted.count - 1, max(0, Int(rank) - 1))]
    }

    /// The median as Python's `statistics.median` takes it (the peers' benchmark scripts): the
    /// middle value, or the mean of the two middle values of an even count. NaN for no values.
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
