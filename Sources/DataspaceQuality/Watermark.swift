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
/// candidate) and a clear lead over the runner-up.
///
/// Survives: any row subset (down to ~40 distinct marked values against one candidate, about
/// 100-150 against many, as the runner-up must trail by 6), row reordering, dropped, reordered or
/// renamed columns, re-quoting. Does not survive: rounding to fewer decimals, re-serialising
/// that drops trailing zeros, added noise. Capacity: one bit per decimal value.
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
        public var z: Double { values == 0 ? 0 : Double(2 * matches - values) / Double(values).squareRoot() }
    }

    /// The verdict over all candidates.
    public struct Trace: Sendable {
        public let evidence: [Evidence]
        /// The attributed agreement: z ≥ `threshold` and at least `threshold` ahead of the next.
        public let attributed: String?
        public static let threshold = 6.0
    }

    /// Scores a leaked file's values against each candidate's key. The values are read once
    /// (which carry a bit, their last digit's parity; one trial per distinct text before the
    /// last digit); each candidate then costs one prepared MAC per trial.
    public static func trace(values: [Substring], candidates: [(id: String, key: SymmetricKey)]) -> Trace {
        // Candidates are independent: a node with many agreements scores them on every core
        // (about a microsecond per value and candidate) once there are 2^20 MACs to compute.
        let cores = values.count * candidates.count >= 1 << 20 ? ProcessInfo.processInfo.activeProcessorCount : 1
        return trace(values: values, candidates: candidates, lanes: cores)
    }

    /// `trace`, scoring the candidates in `lanes` contiguous shares at once.
    static func trace(values: [Substring], candidates: [(id: String, key: SymmetricKey)], lanes wanted: Int) -> Trace {
        // Values sharing a text before their last digit carry the same bit under every key, so
        // they are one trial, not several: counted once (as first seen), or a file repeating one
        // value would match about half of all keys on every value — a z in the hundreds, and a
        // false attribution whenever a single agreement is the only candidate.
        var prefixes: [UInt8] = []
        var marked: [(end: Int, parity: Int)] = []
        var trials = DistinctTrials()
        for value in values {
            let bytes = value.utf8
            guard isDecimal(bytes), let last = bytes.last, trials.isNew(value) else { continue }
            prefixes.append(contentsOf: bytes.dropLast())
            marked.append((prefixes.count, Int(last - 0x30) % 2))
        }
        let lanes = min(candidates.count, wanted)
        var evidence: [Evidence]
        if lanes > 1 {
            let parts = Mutex([[Evidence]](repeating: [], count: lanes))
            DispatchQueue.concurrentPerform(iterations: lanes) { [prefixes, marked] lane in
                let share = candidates[candidates.count * lane / lanes..<candidates.count * (lane + 1) / lanes].map {
                    score($0, prefixes: prefixes, marked: marked)
                }
                parts.withLock { $0[lane] = share }
            }
            evidence = parts.withLock { $0.flatMap { $0 } }
        } else {
            evidence = candidates.map { score($0, prefixes: prefixes, marked: marked) }
        }
        evidence.sort { $0.z > $1.z }
        var attributed: String?
        if let best = evidence.first, best.z >= Trace.threshold, best.z - (evidence.dropFirst().first?.z ?? 0) >= Trace.threshold {
            attributed = best.candidate
        }
        return Trace(evidence: evidence, attributed: attributed)
    }

    /// How many of `marked` values' parities `candidate`'s key predicts; `prefixes` holds each
    /// value's text without its last digit, back to back, ending at the value's `end`.
    private static func score(_ candidate: (id: String, key: SymmetricKey), prefixes: [UInt8], marked: [(end: Int, parity: Int)]) -> Evidence {
        let key = WatermarkKey(candidate.key)
        let matches = prefixes.withUnsafeBytes { all in
            var matches = 0, start = 0
            for value in marked {
                if key.bit(of: UnsafeRawBufferPointer(rebasing: all[start..<value.end])) == value.parity { matches += 1 }
                start = value.end
            }
            return matches
        }
        return Evidence(candidate: candidate.id, matches: matches, values: marked.count)
    }

    /// The decimal numbers of a JSON-lines text, for `trace` (the first `limit`).
    public static func values(jsonLines: String, limit: Int = .max) -> [Substring] {
        sample(jsonLines, format: .jsonLines, limit: limit)
    }

    /// The decimal fields of a CSV text (header skipped), for `trace` (the first `limit`).
    public static func values(csv: String, limit: Int = .max) -> [Substring] {
        sample(csv, format: .csv, limit: limit)
    }

    private static func sample(_ text: String, format: TabularFormat, limit: Int) -> [Substring] {
        var sample = WatermarkSample(format: format, limit: limit)
        var text = text
        text.withUTF8 { sample.feed(UnsafeRawBufferPointer($0)) }
        sample.finish()
        return sample.values
    }
}

/// Which values of a leaked file are separate trials: values sharing their text before the last
/// digit carry the same bit under every key, so only the first of them counts.
struct DistinctTrials {
    private var seen = Set<Substring>()

    /// Whether `value` is the first seen with its text before the last digit.
    mutating func isNew(_ value: Substring) -> Bool { seen.insert(value.dropLast()).inserted }
}
