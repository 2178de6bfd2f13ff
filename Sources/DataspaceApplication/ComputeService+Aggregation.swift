import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspacePrivacy
import Foundation

/// Hands a share of this node's vector to an aggregator (the node's peer transport, as the
/// provider's own DSP call).
public protocol AggregationShareDelivery: Sendable {
    func deliverShare(round: String, aggregator: WebDID, values: [UInt64]) async throws
}

/// A provider's contribution to a secure-aggregation round (docs/privacy.md, "Secure
/// aggregation"): the agreement must grant `compute` with `aggregateRounds`; the product's own
/// vector (sums of a bounded column and counts, per requested group of a public key) is computed
/// in place, the round is charged with its evidence, and the vector leaves only as two additive
/// shares, one to each aggregator. The consumer never receives anything from the provider but
/// the acknowledgement.
extension ComputeService {
    public struct AggregationContribution: Sendable {
        public var round: String
        /// Rounds left under the agreement after this one.
        public var roundsLeft: Int
    }

    static func roundCounter(_ agreementID: String) -> String { "aggregate:" + agreementID }

    public func contribute(agreementID: String, consumer: String, query: AggregationQuery) async throws -> AggregationContribution {
        let (agreement, policy) = try await agreementAndPolicy(agreementID, consumer: consumer)
        guard let rounds = policy.aggregateRounds else {
            throw ComputeRefusal(
                status: 403, code: "aggregate.not_offered", field: "agreement",
                "agreement \(agreementID) does not allow secure aggregation: its offer has no aggregateRounds in a compute permission")
        }
        let at = now()
        try permitCompute(agreement, policy, at: at)
        for (i, did) in query.aggregators.enumerated() where did == consumer || did == agreement.provider {
            throw ComputeRefusal(
                status: 422, code: "aggregate.aggregators", field: "aggregators[\(i)]",
                "an aggregator must be neither the consumer nor this provider: shares are safe only with two other nodes that do not collude")
        }
        guard let delivery = shareDelivery else {
            throw ComputeRefusal(status: 503, code: "aggregate.unavailable", "this node cannot send shares to aggregators")
        }
        let record = try await product(of: agreement)
        guard let schema = record.compute else {
            throw ComputeRefusal(
                status: 409, code: "compute.undeclared", field: "agreement",
                "product \(record.identifier) declares no bounds or public keys for computation; its publisher must publish a version with them")
        }
        let queryStore = try await stores.store(sha256: record.distribution.sha256, schema: schema)
        let vector: [Int64]
        do {
            vector = try await offCooperativeThreads { try AggregationInput.vector(query, over: queryStore) }
        } catch let refusal as AggregationInput.Refusal {
            throw ComputeRefusal(status: 422, code: "aggregate.query", field: refusal.field, refusal.message)
        }
        let runID = UUID().uuidString.lowercased()
        var fields: [String: JSONValue] = [
            "agreement": .string(agreementID), "consumer": .string(consumer), "product": .string(record.identifier.description),
            "round": .string(query.round), "groups": .number(Double(max(1, query.groups.count))), "providers": .number(Double(query.providers)),
            "aggregators": .array(query.aggregators.map { .string($0) }),
        ]
        if let column = query.column { fields["column"] = .string(column) }
        if let key = query.groupBy { fields["groupBy"] = .string(key) }
        let spent: PrivacySpend
        do {
            spent = try await budgets.chargePrivacy(
                PrivacyCharge(queryID: runID, agreementID: Self.roundCounter(agreementID), amount: Self.oneRun, delta: .zero, period: 0, at: at),
                limits: PrivacyLimits(total: PrivacyAmount(billionths: UInt64(rounds) * PrivacyAmount.unitsPerOne), period: nil, delta: .zero),
                evidence: [EvidenceEvent(kind: "compute.aggregate.contribution", fields: fields)])
        } catch is PrivacyBudgetExhausted {
            throw ComputeRefusal(status: 403, code: "aggregate.rounds_exhausted", field: "agreement", "the agreement's \(rounds) secure-aggregation rounds are used up")
        }
        await catalog.evidence?.flush()
        var random = SystemRandomNumberGenerator()
        let shares = AdditiveShares.split(vector, using: &random)
        let aggregators = try query.aggregators.map { try WebDID($0) }
        async let first: Void = delivery.deliverShare(round: query.round, aggregator: aggregators[0], values: shares.first)
        async let second: Void = delivery.deliverShare(round: query.round, aggregator: aggregators[1], values: shares.second)
        var failures: [(Int, any Error)] = []
        do { try await first } catch { failures.append((0, error)) }
        do { try await second } catch { failures.append((1, error)) }
        if let (i, error) = failures.first {
            throw ComputeRefusal(
                status: 502, code: "aggregate.delivery", field: "aggregators[\(i)]",
                "the share for \(query.aggregators[i]) was not accepted: \(error); the consumer must abort the round")
        }
        let used = Int(spent.total.billionths / PrivacyAmount.unitsPerOne)
        return AggregationContribution(round: query.round, roundsLeft: max(0, rounds - used))
    }
}
