import Crypto
import DataspaceCore
import Foundation
import Synchronization

/// An invisible, per-agreement fingerprint for delivered tabular data.
///
/// Scheme: every decimal value written with at least one fractional digit carries one bit.
/// The bit is HMAC-SHA256(agreement key, the value's text without its last digit) & 1, and the
/// last digit's parity is set to it by changing that digit by one (never carrying, so the
/// value keeps its text length and its prefix, and moves by at most one unit in its last
/// place — within the tolerance the publisher declares by writing that precision).
///
/// Tracing reads every such value of a leaked file and counts, per candidate agreement, how
/// many parities match. An innocent file matches about half (binomial); the right agreement
/// matches nearly all. The z-score (2m − n)/√n over the n distinct values (by their text before
/// the last digit) decides: attribution needs z ≥ 6 (a chance match about one in 10^9 per
/// candidate), and a runner-up either 6 behind or within what chance gives the other
/// candidates (so two deliveries mixed in one file are not laid on one consumer). Given a file's
/// columns, each is scored on its own too, and the bar rises with the number of groups tried.
///
/// Survives: any row subset (down to ~40 distinct marked values), row reordering, dropped,
/// reordered, renamed or added columns, re-quoting. Does not survive: rounding to fewer
/// decimals, re-serialising that drops trailing zeros, added noise. Capacity: one bit per
/// decimal value.
public enum Watermark {
    /// The key for one agreement, from the node's secret.
    public static func key(secret: SymmetricKey, agreement: String) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(("dataspace-watermark-v1\n" + agreement).utf8), using: secret))
    }

    /// Whether the bytes are a plain decimal number with a fractional part: an optional leading
    /// sign, digits, one point, at least one digit after it. Dotted identifiers such as IPv4
    /// addresses or version numbers carry no bit and are never changed.
    static func isDecimal(_ b: some Collection<UInt8>) -> Bool {
        var seenPoint = false, digitsAfter = 0, digitsBefore = 0, first = true
        for c in b {
            defer { first = false }
            if c >= 0x30 && c <= 0x39 {
                if seenPoint { digitsAfter += 1 } else { digitsBefore += 1 }
            } else if c == UInt8(ascii: ".") {
                if seenPoint { return false }
                seenPoint = true
            } else if (c == UInt8(ascii: "-") || c == UInt8(ascii: "+")) && first {
                continue
            } else {
                return false
            }
        }
        return seenPoint && digitsAfter > 0 && digitsBefore > 0
    }

    /// The last byte `value` has once marked under `key` (its last digit, or that digit moved
    /// by one to the bit's parity); nil when the value carries no bit.
    static func markedLastByte(_ value: UnsafeRawBufferPointer, key: WatermarkKey) -> UInt8? {
        guard isDecimal(value), let lastByte = value.last else { return nil }
        let last = Int(lastByte - 0x30)
        let bit = key.bit(of: UnsafeRawBufferPointer(rebasing: value.dropLast()))
        guard last % 2 != bit else { return lastByte }
        return UInt8(0x30 + (last < 9 ? last + 1 : last - 1))
    }

    /// Marks one value in place; true when it carries a bit (whether or not its digit changed).
    public static func markInPlace(_ value: inout [UInt8], key: WatermarkKey) -> Bool {
        guard let last = value.withUnsafeBytes({ markedLastByte($0, key: key) }) else { return false }
        value[value.count - 1] = last
        return true
    }

    /// As `markInPlace(_:key:)` with a key prepared for this one value.
    public static func markInPlace(_ value: inout [UInt8], key: SymmetricKey) -> Bool {
        markInPlace(&value, key: WatermarkKey(key))
    }

    /// The marked form of one value (unchanged when it carries no bit).
    public static func mark(_ value: Substring, key: SymmetricKey) -> String {
        var bytes = Array(value.utf8)
        _ = markInPlace(&bytes, key: WatermarkKey(key))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Marks every decimal field of a CSV text — the same rewrite the data plane streams
    /// (`DeliveryTransformer`), applied to a whole text.
    public static func mark(csv: String, key: SymmetricKey) -> String {
        let plan = DeliveryPlan(format: .csv, masking: [:], masker: ValueMasker(hashKey: key), watermarkKey: key)
        var transformer = DeliveryTransformer(plan: plan)
        var out: [UInt8] = []
        out.reserveCapacity(csv.utf8.count)
        var text = csv
        text.withUTF8 { transformer.consume(UnsafeRawBufferPointer($0), into: &out) }
        transformer.finish(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// One candidate's evidence.
    public struct Evidence: Sendable, Equatable {
        public let candidate: String
        public let matches: Int
        public let values: Int
        public var z: Double { Self.z(matches: matches, values: values) }

        /// (2m − n)/√n: how many standard deviations `matches` lies above half of `values`.
        static func z(matches: Int, values: Int) -> Double { values == 0 ? 0 : Double(2 * matches - values) / Double(values).squareRoot() }
    }

    /// The verdict over all candidates.
    public struct Trace: Sendable {
        /// Every candidate's evidence in the values that decided (`column`'s, or all), best first.
        public let evidence: [Evidence]
        /// The attributed agreement: z ≥ `threshold`, and the next either `threshold` behind or
        /// below what chance gives the other candidates once in a thousand traces.
        public let attributed: String?
        /// The column whose values `evidence` counts: the one that alone gave the attribution or,
        /// when nothing was attributed, the one whose best reached `threshold` but was not clear
        /// of its runner-up (why nobody was named); nil for all values together.
        public let column: Int?
        /// The z (and lead) attribution needed: `baseThreshold` when all values were scored as
        /// one group; higher when each column was scored too, so that trying several groups does
        /// not raise the chance of a false attribution (Bonferroni over the groups tried).
        public let threshold: Double
        /// Distinct values that carry a bit (one trial each), in the whole file.
        public let values: Int
        /// A chance match this far above half is about one in 10^9 per candidate.
        public static let baseThreshold = 6.0
    }

    /// Scores a leaked file's values against each candidate's key, all values as one group.
    /// The values are read once (which carry a bit, their last digit's parity; one trial per
    /// distinct text before the last digit); each candidate then costs one prepared MAC per trial.
    public static func trace(values: [Substring], candidates: [(id: String, key: SymmetricKey)]) -> Trace {
        trace(values: values, columns: nil, candidates: candidates, lanes: lanes(values.count * candidates.count))
    }

    /// As `trace(values:candidates:)`, and each column of the sample scored on its own as well:
    /// a leaker who adds unmarked columns of decimals dilutes the evidence of all values
    /// together, not that of the marked column. Scores the sample's first
    /// `tracedValues(candidates:)` values.
    public static func trace(_ sample: WatermarkSample, candidates: [(id: String, key: SymmetricKey)]) -> Trace {
        let count = min(sample.values.count, tracedValues(candidates: candidates.count))
        return trace(
            values: Array(sample.values.prefix(count)), columns: Array(sample.columns.prefix(count)), distinct: true, candidates: candidates,
            lanes: lanes(count * candidates.count))
    }

    /// How many distinct values a trace against `candidates` agreements scores: as many as
    /// `traceMACs` allow, at least `minimumTracedValues` and at most `maximumTracedValues`. z is
    /// the marked values over √n, so an undiluted leak is certain long before 20,000; a leak
    /// hidden among unmarked rows needs n in proportion to the square of its dilution, and a
    /// trace narrowed to a few agreements can afford it.
    public static func tracedValues(candidates: Int) -> Int {
        min(maximumTracedValues, max(minimumTracedValues, traceMACs / max(1, candidates)))
    }

    /// MACs a trace may compute beyond its minimum: 20,000 values against 1,000 agreements, some
    /// 20 s on one core.
    public static let traceMACs = 20_000_000
    /// Values scored however many candidates there are.
    public static let minimumTracedValues = 20_000
    /// Values a trace keeps at most (about 100 bytes each while the file is read): reached with
    /// up to 80 candidates.
    public static let maximumTracedValues = 250_000

    /// Candidates are independent: a node with many agreements scores them on every core
    /// (about a microsecond per value and candidate) once there are 2^20 MACs to compute.
    private static func lanes(_ work: Int) -> Int { work >= 1 << 20 ? ProcessInfo.processInfo.activeProcessorCount : 1 }

    /// `trace`, scoring the candidates in `lanes` contiguous shares at once; `columns` (one per
    /// value, or nil) groups the values by column as well; `distinct` says the values are
    /// decimals, one per trial already (a `WatermarkSample`'s), so they need no second set.
    static func trace(
        values: [Substring], columns: [Int?]? = nil, distinct: Bool = false, candidates: [(id: String, key: SymmetricKey)], lanes: Int
    ) -> Trace {
        let trials = Trials(values: values, columns: columns, distinct: distinct)
        return verdict(trials, candidates: candidates, scores: scores(trials, candidates: candidates, lanes: min(candidates.count, lanes)))
    }

    /// The values of a file that are separate trials, with their groups (0 every value, c + 1
    /// column c). Values sharing a text before their last digit carry the same bit under every
    /// key, so they are one trial, not several: counted once (as first seen), or a file
    /// repeating one value would match about half of all keys on every value — a z in the
    /// hundreds, and a false attribution whenever a single agreement is the only candidate.
    struct Trials {
        /// Each trial's text without its last digit, back to back.
        var prefixes: [UInt8] = []
        var marked: [MarkedValue] = []
        /// Values per group.
        var sizes = [0]

        init(values: [Substring], columns: [Int?]?, distinct: Bool) {
            var seen = DistinctTrials()
            for (i, value) in values.enumerated() {
                let bytes = value.utf8
                guard isDecimal(bytes), let last = bytes.last, distinct || seen.isNew(value) else { continue }
                prefixes.append(contentsOf: bytes.dropLast())
                let column = columns.flatMap { i < $0.count ? $0[i] : nil }.flatMap { (0..<WatermarkSample.maxColumns).contains($0) ? $0 : nil }
                let group = column.map { $0 + 1 } ?? 0
                marked.append(MarkedValue(end: prefixes.count, parity: Int(last - 0x30) % 2, group: group))
                if group >= sizes.count { sizes += [Int](repeating: 0, count: group + 1 - sizes.count) }
                sizes[0] += 1
                if group > 0 { sizes[group] += 1 }
            }
        }
    }

    /// Each candidate's matches per group, the candidates scored in `lanes` contiguous shares at once.
    private static func scores(_ trials: Trials, candidates: [(id: String, key: SymmetricKey)], lanes: Int) -> [[Int]] {
        let groups = trials.sizes.count
        guard lanes > 1 else { return candidates.map { matches($0.key, trials.prefixes, trials.marked, groups: groups) } }
        let parts = Mutex([[[Int]]](repeating: [], count: lanes))
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            let share = candidates[candidates.count * lane / lanes..<candidates.count * (lane + 1) / lanes].map {
                matches($0.key, trials.prefixes, trials.marked, groups: groups)
            }
            parts.withLock { $0[lane] = share }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }

    /// Decides from the scores: all values together, and each column that could decide alone.
    private static func verdict(_ trials: Trials, candidates: [(id: String, key: SymmetricKey)], scores: [[Int]]) -> Trace {
        let sizes = trials.sizes
        // A column holding every value is the whole file again; one with fewer than
        // baseThreshold² values can never reach it (z ≤ √n), so it adds no chance to be wrong.
        let columnsTried = sizes.indices.dropFirst().filter { sizes[$0] < sizes[0] && Double(sizes[$0]) >= Trace.baseThreshold * Trace.baseThreshold }
        let threshold = threshold(groups: 1 + columnsTried.count)
        let chance = chanceBar(others: candidates.count - 1)
        // Each group's best two in one pass (only the deciding group's evidence is sorted: a
        // large node has many candidates). The best must be far beyond chance; the runner-up far
        // behind it, or no more than chance (a small leak against many candidates: the
        // runner-up of 1,000 innocent scores is about 3.2, so a lead of 6 alone would need some
        // 85 values where 40 show the match).
        func bestTwo(_ group: Int) -> (candidate: Int, z: Double, second: Double) {
            var best = (candidate: -1, z: -Double.infinity), second = -Double.infinity
            for (i, counts) in scores.enumerated() {
                let z = Evidence.z(matches: counts[group], values: sizes[group])
                if z > best.z {
                    second = best.z
                    best = (i, z)
                } else if z > second {
                    second = z
                }
            }
            return (best.candidate, best.z, second)
        }
        // The group that names an agreement (the highest such best); failing that, the one whose
        // best reached the bar but not clear of its runner-up — the evidence the officer reads
        // then shows why nobody was named, even when all values together match nothing.
        var decided: (group: Int, candidate: Int, z: Double)?
        var nearest: (group: Int, z: Double)?
        for group in [0] + columnsTried {
            let best = bestTwo(group)
            guard best.candidate >= 0, best.z >= threshold else { continue }
            if best.z - best.second >= threshold || best.second < chance {
                if best.z > decided?.z ?? -.infinity { decided = (group, best.candidate, best.z) }
            } else if best.z > nearest?.z ?? -.infinity {
                nearest = (group, best.z)
            }
        }
        let group = decided?.group ?? nearest?.group ?? 0
        let evidence = zip(candidates, scores).map { Evidence(candidate: $0.id, matches: $1[group], values: sizes[group]) }.sorted { $0.z > $1.z }
        return Trace(
            evidence: evidence, attributed: decided.map { candidates[$0.candidate].id }, column: group == 0 ? nil : group - 1,
            threshold: threshold, values: sizes[0])
    }

    /// The z whose chance of being reached by any of `groups` innocent groups is that of
    /// `baseThreshold` for one: P(Z ≥ z) = P(Z ≥ 6) / groups (rounded up to hundredths).
    static func threshold(groups: Int) -> Double {
        guard groups > 1 else { return Trace.baseThreshold }
        return (z(tail: tail(Trace.baseThreshold) / Double(groups)) * 100).rounded(.up) / 100
    }

    /// The z that the best of `others` innocent scores passes once in a thousand traces.
    static func chanceBar(others: Int) -> Double {
        others < 1 ? .infinity : z(tail: 0.001 / Double(others))
    }

    /// P(Z ≥ z) for a standard normal Z.
    static func tail(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// The z with P(Z ≥ z) = `tail` (0 < tail ≤ 0.5; bisection, the tail falls with z).
    static func z(tail wanted: Double) -> Double {
        var low = 0.0, high = 40.0
        for _ in 0..<100 {
            let mid = (low + high) / 2
            if tail(mid) > wanted { low = mid } else { high = mid }
        }
        return high
    }

    /// A value that carries a bit: where its text before the last digit ends in the trace's
    /// prefix bytes, its last digit's parity, and its group (0 all, c + 1 column c).
    struct MarkedValue {
        let end: Int
        let parity: Int
        let group: Int
    }

    /// How many of the `marked` values' parities `key` predicts: all of them at 0, each group's
    /// at its index; `prefixes` holds each value's text without its last digit, back to back.
    private static func matches(_ key: SymmetricKey, _ prefixes: [UInt8], _ marked: [MarkedValue], groups: Int) -> [Int] {
        let key = WatermarkKey(key)
        var counts = [Int](repeating: 0, count: groups)
        prefixes.withUnsafeBytes { all in
            var start = 0
            for value in marked {
                if key.bit(of: UnsafeRawBufferPointer(rebasing: all[start..<value.end])) == value.parity {
                    counts[0] += 1
                    if value.group > 0 { counts[value.group] += 1 }
                }
                start = value.end
            }
        }
        return counts
    }

    /// The decimal numbers of a JSON-lines text, for `trace` (the first `limit`).
    public static func values(jsonLines: String, limit: Int = .max) -> [Substring] {
        sample(jsonLines, format: .jsonLines, limit: limit).values
    }

    /// The decimal fields of a CSV text (header skipped), for `trace` (the first `limit`).
    public static func values(csv: String, limit: Int = .max) -> [Substring] {
        sample(csv, format: .csv, limit: limit).values
    }

    /// The decimal fields of a CSV text with their columns, for `trace(_:candidates:)`.
    public static func sample(csv: String, limit: Int = .max) -> WatermarkSample {
        sample(csv, format: .csv, limit: limit)
    }

    private static func sample(_ text: String, format: TabularFormat, limit: Int) -> WatermarkSample {
        var sample = WatermarkSample(format: format, limit: limit)
        var text = text
        text.withUTF8 { sample.feed(UnsafeRawBufferPointer($0)) }
        sample.finish()
        return sample
    }
}

/// Which values of a leaked file are separate trials: values sharing their text before the last
/// digit carry the same bit under every key, so only the first of them counts.
struct DistinctTrials {
    private var seen = Set<Substring>()

    /// Whether `value` is the first seen with its text before the last digit.
    mutating func isNew(_ value: Substring) -> Bool { seen.insert(value.dropLast()).inserted }
}
