import DataspaceContracts
import DataspaceCore
import DataspacePrivacy
import Foundation

/// Private set intersection on the provider's side (docs/privacy.md, "Set intersection").
///
/// One run is one request: the consumer sends its identifiers hashed to the curve and blinded
/// with its own key; the provider checks the agreement, the set size and every point, charges
/// the run (with its evidence) and then streams back the consumer's points blinded again with a
/// fresh key of its own, followed by its own column's identifiers hashed and blinded with that
/// key, in a random order. The consumer finishes the second blinding of the provider's points
/// and compares. The key lives for the request only, so no two runs — let alone two agreements —
/// ever share one, and any replica can serve a run.
extension ComputeService {
    /// An admitted run, ready to stream.
    public struct SetIntersectionRun: Sendable {
        public let runID: String
        public let output: PSITerms.Output
        public let column: String
        public let consumerCount: Int
        public let providerCount: Int
        /// Runs left under the agreement after this one (nil: no limit).
        public let runsLeft: Int?
        let key: PSIBlinding
        /// The consumer's points, in a secret random order when only the size is released.
        let consumerPoints: [UInt8]
        /// The provider's identifiers, in a random order.
        let providerIdentifiers: [[UInt8]]

        /// Points per streamed chunk (1 MiB of output).
        public static let chunk = 32_768

        /// Bytes the stream will carry: both blinded sets, 32 bytes a point.
        public var byteCount: Int { (consumerCount + providerCount) * PSIBlinding.pointSize }

        /// Produces the answer chunk by chunk: first the consumer's points blinded again, then the
        /// provider's. Nothing here fails on the consumer's input (it was checked before the charge).
        public func stream(_ write: (ArraySlice<UInt8>) async throws -> Void) async throws {
            let size = PSIBlinding.pointSize
            for start in stride(from: 0, to: consumerCount, by: Self.chunk) {
                let end = min(start + Self.chunk, consumerCount)
                try await write(try await key.blind(packed: Array(consumerPoints[start * size..<end * size]))[...])
            }
            for start in stride(from: 0, to: providerCount, by: Self.chunk) {
                let end = min(start + Self.chunk, providerCount)
                try await write(try await key.hashAndBlind(Array(providerIdentifiers[start..<end]))[...])
            }
        }
    }

    /// The counter key a run is charged to: set-intersection runs use the same exact,
    /// replica-safe counters as privacy budgets, one unit per run.
    static func runCounter(_ agreementID: String) -> String { "psi:" + agreementID }
    static let oneRun = PrivacyAmount(billionths: PrivacyAmount.unitsPerOne)

    /// Admits a run under `agreementID` for `consumer` with `points` (32 bytes each).
    /// `output` asks for less than the offer releases (`cardinality` under an `intersection` offer).
    public func setIntersection(
        agreementID: String, consumer: String, column requested: String?, output asked: PSITerms.Output? = nil, points: [UInt8]
    ) async throws -> SetIntersectionRun {
        let (agreement, policy) = try await agreementAndPolicy(agreementID, consumer: consumer)
        guard let terms = policy.psiTerms else {
            throw ComputeRefusal(
                status: 403, code: "psi.not_offered", field: "agreement",
                "agreement \(agreementID) does not allow set intersection: its offer has no psiSetSize in a compute permission")
        }
        let at = now()
        try permitCompute(agreement, policy, at: at)
        if asked == .intersection, terms.output == .cardinality {
            throw ComputeRefusal(
                status: 403, code: "psi.output", field: "output",
                "this agreement releases only the size of the intersection (psiOutput cardinality); ask for output=cardinality")
        }
        let output = asked ?? terms.output
        let record = try await product(of: agreement)
        let columns = record.compute?.matchColumns ?? []
        guard let first = columns.first else {
            throw ComputeRefusal(
                status: 409, code: "psi.no_column", field: "agreement",
                "product \(record.identifier) declares no identifier column to match; its publisher must publish a version with --match-column")
        }
        let column = requested ?? first
        guard columns.contains(column) else {
            throw ComputeRefusal(status: 422, code: "psi.column", field: "column", "'\(column.prefix(64))' is not offered for matching; the product offers \(columns.joined(separator: ", "))")
        }
        guard points.count % PSIBlinding.pointSize == 0 else {
            throw ComputeRefusal(status: 400, code: "psi.body", field: "body", "the body must be whole 32-byte points; \(points.count) bytes is not")
        }
        let count = points.count / PSIBlinding.pointSize
        guard count <= terms.maximumSetSize else {
            throw ComputeRefusal(
                status: 413, code: "psi.set_size", field: "body",
                "the set has \(count) identifiers; this agreement allows at most \(terms.maximumSetSize) a run")
        }
        if let bad = await offCooperativeThreads({ PSIBlinding.firstUnusable(packed: points) }) {
            throw ComputeRefusal(status: 400, code: "psi.point", field: "body[\(bad)]", "point \(bad) is of small order; send identifiers hashed to the curve and blinded")
        }
        let identifiers = try await providerIdentifiers(sha256: record.distribution.sha256, column: column)
        let runID = UUID().uuidString.lowercased()
        let limit = PrivacyAmount(billionths: UInt64(terms.runs ?? PSITerms.runsRange.upperBound) * PrivacyAmount.unitsPerOne)
        let event = EvidenceEvent(
            kind: "compute.psi.run",
            fields: [
                "agreement": .string(agreementID), "consumer": .string(consumer), "product": .string(record.identifier.description),
                "run": .string(runID), "column": .string(column), "output": .string(output.rawValue),
                "consumerSetSize": .number(Double(count)), "providerSetSize": .number(Double(identifiers.count)),
            ])
        let spent: PrivacySpend
        do {
            spent = try await budgets.chargePrivacy(
                PrivacyCharge(queryID: runID, agreementID: Self.runCounter(agreementID), amount: Self.oneRun, delta: .zero, period: 0, at: at),
                limits: PrivacyLimits(total: limit, period: nil, delta: .zero), evidence: [event])
        } catch is PrivacyBudgetExhausted {
            throw ComputeRefusal(
                status: 403, code: "psi.runs_exhausted", field: "agreement",
                "the agreement's \(terms.runs ?? PSITerms.runsRange.upperBound) set-intersection runs are used up")
        }
        await catalog.evidence?.flush()
        let used = Int(spent.total.billionths / PrivacyAmount.unitsPerOne)
        var random = SystemRandomNumberGenerator()
        var ordered = points
        if output == .cardinality {
            ordered = Self.permuted(points, count: count, using: &random)
        }
        return SetIntersectionRun(
            runID: runID, output: output, column: column, consumerCount: count, providerCount: identifiers.count,
            runsLeft: terms.runs.map { max(0, $0 - used) }, key: PSIBlinding(), consumerPoints: ordered,
            providerIdentifiers: identifiers.shuffled(using: &random))
    }

    /// Runs used and allowed under an agreement, for its consumer.
    public func setIntersectionRuns(agreementID: String, consumer: String) async throws -> (used: Int, terms: PSITerms)? {
        guard let agreement = try await contracts.agreement(id: agreementID), agreement.role == .provider, agreement.consumer == consumer,
            let terms = (try? CompiledPolicy.parse(agreement.policy))?.psiTerms
        else { return nil }
        let spent = try await budgets.privacySpend(agreementID: Self.runCounter(agreementID), period: 0)
        return (Int(spent.total.billionths / PrivacyAmount.unitsPerOne), terms)
    }

    /// 32-byte points in a uniformly random order (Fisher–Yates over the CSPRNG).
    static func permuted(_ points: [UInt8], count: Int, using random: inout some RandomNumberGenerator) -> [UInt8] {
        let size = PSIBlinding.pointSize
        let order = Array(0..<count).shuffled(using: &random)
        var out = [UInt8](repeating: 0, count: points.count)
        for (to, from) in order.enumerated() {
            out.replaceSubrange(to * size..<(to + 1) * size, with: points[from * size..<(from + 1) * size])
        }
        return out
    }

    /// The distinct identifiers of `column` in a stored CSV, read off the cooperative threads.
    func providerIdentifiers(sha256: String, column: String) async throws -> [[UInt8]] {
        guard let path = catalog.blobs.localPath(sha256) else {
            throw ComputeRefusal(status: 410, code: "blob.missing", "the product's file is no longer stored")
        }
        return try await offCooperativeThreads {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ComputeRefusal(status: 410, code: "blob.missing", "the product's file is no longer stored")
            }
            defer { try? handle.close() }
            var collector = PSIIdentifiers.ColumnCollector(column: column)
            var reader = CSVRecordReader()
            do {
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try chunk.withUnsafeBytes { raw in try reader.feed(raw) { try collector.add($0) } }
                }
                try reader.finish { try collector.add($0) }
            } catch is PSIIdentifiers.ColumnCollector.Failure {
                throw ComputeRefusal(status: 409, code: "psi.column", field: "column", "the stored file has no column '\(column)'")
            } catch let error as CSVRecordReader.Failure {
                throw ComputeRefusal(status: 409, code: "compute.file", field: "file", error.description)
            }
            return collector.values
        }
    }
}

extension ComputeService {
    /// The largest set `consumer` may send in one run under `agreementID`, to bound the body
    /// before it is read. Refuses as `setIntersection` would for an unknown agreement or one
    /// without set intersection.
    public func setIntersectionLimit(agreementID: String, consumer: String) async throws -> Int {
        guard let agreement = try await contracts.agreement(id: agreementID), agreement.role == .provider, agreement.consumer == consumer else {
            throw ComputeRefusal(status: 404, code: "agreement.unknown", field: "agreement", "no agreement \(agreementID) with \(consumer) on this node")
        }
        guard let terms = (try? CompiledPolicy.parse(agreement.policy))?.psiTerms else {
            throw ComputeRefusal(
                status: 403, code: "psi.not_offered", field: "agreement",
                "agreement \(agreementID) does not allow set intersection: its offer has no psiSetSize in a compute permission")
        }
        return terms.maximumSetSize
    }
}
