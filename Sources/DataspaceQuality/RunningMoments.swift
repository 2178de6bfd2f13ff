/// Count, mean and sum of squared deviations of a column's numbers, in one pass and stable.
///
/// Welford's update divides by the count for every value, and each value's update waits on the
/// previous one's: a division's latency per value on the profiler's hot path. Here values are
/// summed in batches as deviations from the batch's first value (the shifted-data algorithm:
/// only additions wait on each other, and the shift keeps the sums small, so no catastrophic
/// cancellation), and each full batch is folded into the running mean and M2 with Chan et al.'s
/// pairwise update.
struct RunningMoments: Sendable {
    /// Numbers folded into `foldedMean` and `foldedM2`.
    private var folded = 0
    private var foldedMean = 0.0
    private var foldedM2 = 0.0
    /// The batch being summed: its size, first value, and the sums of its deviations from that
    /// value and of their squares.
    private var pending = 0
    private var shift = 0.0
    private var sum = 0.0
    private var sumOfSquares = 0.0

    /// Values per batch: small enough that the shifted sums stay exact to a few units in the
    /// last place, large enough that the fold's divisions do not count.
    static let batch = 1_024

    /// Numbers added.
    var count: Int { folded + pending }

    /// Their mean (0 when there are none).
    var mean: Double { foldedWithPending.foldedMean }

    /// Their sum of squared deviations from the mean (M2): the sample variance is M2 / (n - 1).
    var m2: Double { foldedWithPending.foldedM2 }

    @inline(__always)
    mutating func add(_ x: Double) {
        if pending == 0 { shift = x }
        let d = x - shift
        sum += d
        sumOfSquares += d * d
        pending &+= 1
        if pending == Self.batch { foldPending() }
    }

    /// Adds the numbers another accumulator saw.
    mutating func merge(_ other: RunningMoments) {
        foldPending()
        let o = other.foldedWithPending
        if folded == 0 {
            self = o
        } else {
            combine(count: o.folded, delta: o.foldedMean - foldedMean, m2: o.foldedM2)
        }
    }

    private var foldedWithPending: RunningMoments {
        var copy = self
        copy.foldPending()
        return copy
    }

    private mutating func foldPending() {
        guard pending > 0 else { return }
        let n = Double(pending)
        // Rounding can leave a hair below zero; an overflow (values near the largest doubles)
        // stays not-a-number rather than turning into a finite wrong answer.
        let difference = sumOfSquares - sum * sum / n
        let batchM2 = difference < 0 ? 0 : difference
        // The batch mean's distance from the running mean, taken from the shift's distance
        // (both near the data) plus the mean deviation: rounding the batch mean itself first
        // would lose the low digits of values far from zero, and M2 would inherit the loss.
        if folded == 0 {
            (folded, foldedMean, foldedM2) = (pending, shift + sum / n, batchM2)
        } else {
            combine(count: pending, delta: (shift - foldedMean) + sum / n, m2: batchM2)
        }
        pending = 0
        sum = 0
        sumOfSquares = 0
    }

    /// Chan et al.'s update: folds in `count` numbers whose mean lies `delta` above the running
    /// mean and whose squared deviations sum to `m2`.
    private mutating func combine(count: Int, delta: Double, m2: Double) {
        guard count > 0 else { return }
        let n = folded + count
        foldedMean += delta * Double(count) / Double(n)
        foldedM2 += m2 + delta * delta * Double(folded) * Double(count) / Double(n)
        folded = n
    }
}
