import DataspaceContracts
import DataspaceCore
import DataspaceQuality
import Foundation

/// What a leaked file's watermark points to, among this node's provider agreements.
public struct LeakTrace: Sendable {
    /// One candidate's score, with the agreement it stands for.
    public struct Match: Sendable {
        public let evidence: Watermark.Evidence
        public let agreement: ContractAgreement?
    }

    /// How many agreements were compared (those that delivered data).
    public let candidates: Int
    /// How many values of the file could carry a mark.
    public let markedValues: Int
    /// The best five scores, best first.
    public let top: [Match]
    /// The agreement the file is attributed to, if one matches clearly.
    public let attributed: Match?
    /// The column whose values `top` counts: the one that alone named the agreement, or, when
    /// nothing was attributed, the one whose match was not clear of its runner-up (nil: all values).
    public let column: String?
    /// The z that attribution needed (rises when columns are scored one by one).
    public let threshold: Double
    /// Why nothing was attributed, in words for the officer (nil when something was).
    public let explanation: String?
}

extension ContractService {
    /// Scores the decimal values sampled from a leaked file (all together and column by column)
    /// against the watermark of every provider agreement (of `dataset` only, when given) that
    /// delivered data, and names the one it came from. Agreements that never delivered are left
    /// out: their consumers hold no copy, and each needless candidate is one more chance score
    /// the true one must lead.
    public func traceLeak(_ sample: WatermarkSample, dataset: String?) async throws -> LeakTrace {
        let agreements = try await store.deliveredAgreements(dataset: dataset, limit: 1_000_000)
        let candidates = deliverySecret.map { secret in agreements.map { (id: $0.id, key: Watermark.key(secret: secret, agreement: $0.id)) } } ?? []
        // Seconds of MACs for a large node: not on the threads that serve requests.
        let verdict = await offCooperativeThreads { Watermark.trace(sample, candidates: candidates) }
        let byID = Dictionary(agreements.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func match(_ evidence: Watermark.Evidence) -> LeakTrace.Match { LeakTrace.Match(evidence: evidence, agreement: byID[evidence.candidate]) }
        let marked = verdict.values
        let attributed = verdict.attributed.flatMap { id in verdict.evidence.first { $0.candidate == id } }.map(match)
        let column = verdict.column.map { sample.columnNames.indices.contains($0) ? sample.columnNames[$0] : "column \($0 + 1)" }
        var explanation: String?
        if attributed == nil {
            explanation =
                candidates.isEmpty
                ? (dataset == nil ? "no agreement of this node has delivered data yet" : "no agreement for this product has delivered data yet")
                : marked < 40 ? "only \(marked) distinct values could carry a mark; at least about 40 are needed"
                : Self.unclear(
                    best: verdict.evidence.first?.z ?? 0, next: verdict.evidence.dropFirst().first?.z ?? 0, threshold: verdict.threshold,
                    others: candidates.count - 1, column: column)
        }
        return LeakTrace(
            candidates: candidates.count, markedValues: marked, top: verdict.evidence.prefix(5).map(match), attributed: attributed, column: column,
            threshold: verdict.threshold, explanation: explanation)
    }

    /// Why a trace with enough values named nobody: no match, two matches (rows of several
    /// deliveries), or a match whose runner-up is closer than the bar and above chance; `column`
    /// names the values these scores count when they are one column's.
    static func unclear(best: Double, next: Double, threshold: Double, others: Int, column: String?) -> String {
        let bar = String(format: "%g", threshold)
        let scored = column.map { " in column \($0)" } ?? ""
        if best < threshold { return "no agreement's watermark matches (z ≥ \(bar))" }
        if next >= threshold { return "more than one agreement's watermark matches (z ≥ \(bar))\(scored): the file holds rows of several deliveries" }
        let z = { (value: Double) in String(format: "%.1f", value) }
        return "the best match (z \(z(best))\(scored)) is not clear of the next (z \(z(next)), more than chance gives \(others) other agreements): trace more rows of the file"
    }
}
