import Crypto
import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspacePrivacy
import Foundation

/// Computation in place under agreements, on the provider's side (docs/privacy.md): differentially
/// private queries here — the agreement must grant `compute` with a privacy budget; the query is
/// parsed and planned (refusals cost nothing), charged atomically with its evidence and answered
/// off the cooperative threads — and, in the extensions beside this file, set-intersection runs
/// and secure-aggregation contributions, each counted exactly in the same ledger. Rows never leave.
public final class ComputeService: Sendable {
    let contracts: any ContractStore
    let budgets: any PrivacyBudgetStore
    let catalog: CatalogService
    let stores: QueryStoreCache
    /// Where shares of this node's vectors go in secure aggregation (the node's peer transport).
    let shareDelivery: (any AggregationShareDelivery)?
    public let now: @Sendable () -> Date

    public init(
        contracts: any ContractStore, budgets: any PrivacyBudgetStore, catalog: CatalogService, storeCapacityRows: Int = 200_000_000,
        queryStores: QueryStoreFiles? = nil, shareDelivery: (any AggregationShareDelivery)? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.shareDelivery = shareDelivery
        self.contracts = contracts
        self.budgets = budgets
        self.catalog = catalog
        stores = QueryStoreCache(blobs: catalog.blobs, files: queryStores, capacity: storeCapacityRows)
        self.now = now
    }

    /// A query as a consumer sends it.
    public struct QueryRequest: Sendable {
        public var sql: String
        /// ε or ρ to spend (the agreement's definition); nil: the per-query cap, else a tenth of the total.
        public var amount: PrivacyAmount?
        /// δ to spend when grouping by keys that are not public; nil: a tenth of the total δ.
        public var delta: PrivacyAmount?

        public init(sql: String, amount: PrivacyAmount? = nil, delta: PrivacyAmount? = nil) {
            self.sql = sql
            self.amount = amount
            self.delta = delta
        }
    }

    /// An agreement's budget as both sides see it.
    public struct BudgetStatus: Sendable, Equatable {
        public var terms: PrivacyBudgetTerms
        public var spent: PrivacySpend
        /// The period now (0 from the agreement's start).
        public var period: Int64

        public var remaining: PrivacyAmount { terms.total.amount.subtracting(spent.total) ?? .zero }
        public var remainingInPeriod: PrivacyAmount? { terms.perPeriod.map { $0.subtracting(spent.period) ?? .zero } }
        public var remainingDelta: PrivacyAmount { terms.delta.subtracting(spent.delta) ?? .zero }
    }

    public struct QueryResult: Sendable {
        public var queryID: String
        /// SHA-256 of the query text, as the evidence records it.
        public var queryHash: String
        public var answer: PrivateAnswer
        public var budget: BudgetStatus
    }

    /// The agreement this provider made with `consumer`, and its compute budget.
    func computeAgreement(_ agreementID: String, consumer: String) async throws -> (ContractAgreement, PrivacyBudgetTerms, CompiledPolicy) {
        let (agreement, policy) = try await agreementAndPolicy(agreementID, consumer: consumer)
        guard let terms = policy.computeBudget else {
            throw ComputeRefusal(
                status: 403, code: "compute.not_granted", field: "agreement",
                "the agreement grants no computation with a privacy budget (a compute permission with epsilon or rho)")
        }
        return (agreement, terms, policy)
    }

    /// Refuses unless the policy permits computing now, for the agreement's purpose and recipient.
    func permitCompute(_ agreement: ContractAgreement, _ policy: CompiledPolicy, at: Date) throws {
        let decision = policy.evaluate(
            PolicyRequest(action: "compute", purpose: agreement.purpose, recipient: agreement.recipient.policyRecipient, now: at, agreedAt: agreement.agreedAt, uses: 0))
        guard decision.permitted else {
            throw ComputeRefusal(status: 403, code: "policy.denied", field: "agreement", decision.reasons.map(\.description).joined(separator: "; "))
        }
    }

    /// The agreement this provider made with `consumer` and its compiled policy.
    func agreementAndPolicy(_ agreementID: String, consumer: String) async throws -> (ContractAgreement, CompiledPolicy) {
        guard let agreement = try await contracts.agreement(id: agreementID), agreement.role == .provider, agreement.consumer == consumer else {
            throw ComputeRefusal(status: 404, code: "agreement.unknown", field: "agreement", "no agreement \(agreementID) with \(consumer) on this node")
        }
        do { return (agreement, try CompiledPolicy.parse(agreement.policy)) } catch {
            throw ComputeRefusal(status: 409, code: "agreement.policy", field: "agreement", "the agreement's policy no longer compiles: \(error.message)")
        }
    }

    func period(_ agreement: ContractAgreement, _ terms: PrivacyBudgetTerms, at: Date) -> Int64 {
        let elapsed = max(0, at.timeIntervalSince(agreement.agreedAt))
        return Int64(min(elapsed / terms.period, Double(Int64.max / 2)).rounded(.down))
    }

    /// The budget of an agreement, for its consumer.
    public func budget(agreementID: String, consumer: String) async throws -> BudgetStatus {
        let (agreement, terms, _) = try await computeAgreement(agreementID, consumer: consumer)
        let p = period(agreement, terms, at: now())
        return BudgetStatus(terms: terms, spent: try await budgets.privacySpend(agreementID: agreementID, period: p), period: p)
    }

    /// Answers `request` under agreement `agreementID` for `consumer`.
    public func query(agreementID: String, consumer: String, _ request: QueryRequest) async throws -> QueryResult {
        let (agreement, terms, policy) = try await computeAgreement(agreementID, consumer: consumer)
        let at = now()
        try permitCompute(agreement, policy, at: at)
        let record = try await product(of: agreement)
        guard let schema = record.compute else {
            throw ComputeRefusal(
                status: 409, code: "compute.undeclared", field: "agreement",
                "product \(record.identifier) declares no privacy unit or bounds for computation; its publisher must publish a version with them")
        }
        // The amount: asked, else the per-query cap, else a tenth of the total.
        let cap = terms.perQuery ?? terms.total.amount
        let amount = request.amount ?? min(cap, terms.total.amount.share(of: 10))
        guard amount > .zero else {
            throw ComputeRefusal(status: 422, code: "privacy.amount", field: terms.total.parameter, "\(terms.total.parameter) must be above zero")
        }
        guard amount <= cap else {
            throw ComputeRefusal(
                status: 422, code: "privacy.query_cap", field: terms.total.parameter,
                "\(terms.total.parameter) \(amount) is more than one query may spend under this agreement (\(cap))")
        }
        let query: PrivateQuery
        do { query = try PrivateQueryParser.parse(request.sql) } catch {
            throw ComputeRefusal(status: 422, code: "query.refused", field: error.part, error.message)
        }
        let queryStore = try await stores.store(sha256: record.distribution.sha256, schema: schema)
        let engine = PrivateQueryEngine(store: queryStore)
        let deltaAsked = request.delta ?? terms.delta.share(of: 10)
        if deltaAsked > terms.delta {
            throw ComputeRefusal(status: 422, code: "privacy.delta", field: "delta", "delta \(deltaAsked) is more than the agreement's total δ (\(terms.delta))")
        }
        let plan: PrivateQueryEngine.Plan
        do { plan = try engine.plan(query, loss: terms.total.with(amount), delta: deltaAsked) } catch {
            throw ComputeRefusal(status: 422, code: "query.refused", field: error.part, error.message)
        }
        let delta = plan.thresholded ? deltaAsked : .zero
        let p = period(agreement, terms, at: at)
        let queryID = UUID().uuidString.lowercased()
        let hash = SHA256.hash(data: Data(request.sql.utf8)).map { String(format: "%02x", $0) }.joined()
        let limits = PrivacyLimits(total: terms.total.amount, period: terms.perPeriod, delta: terms.delta)
        let event = EvidenceEvent(
            kind: "compute.query.charged",
            fields: [
                "agreement": .string(agreementID), "consumer": .string(consumer), "product": .string(record.identifier.description),
                "query": .string(queryID), "queryHash": .string(hash), "parameter": .string(terms.total.parameter),
                "cost": .string(amount.description), "delta": .string(delta.description), "period": .number(Double(p)),
            ])
        let spent: PrivacySpend
        do {
            // The store adds what the charge leaves (`remaining`), read in the charging transaction.
            spent = try await budgets.chargePrivacy(
                PrivacyCharge(queryID: queryID, agreementID: agreementID, amount: amount, delta: delta, period: p, at: at), limits: limits,
                evidence: [event])
        } catch let exhausted as PrivacyBudgetExhausted {
            throw Self.refusal(exhausted, terms: terms, amount: amount, delta: delta)
        }
        await catalog.evidence?.flush()
        // Nothing after the charge can fail, so there is no refund here yet (docs/privacy.md: lost
        // answers wait for idempotent queries; the ledger's refund is ready for them).
        let answer = await Self.answer(engine, plan)
        return QueryResult(queryID: queryID, queryHash: hash, answer: answer, budget: BudgetStatus(terms: terms, spent: spent, period: p))
    }

    func product(of agreement: ContractAgreement) async throws -> DatasetRecord {
        guard let identifier = try? UnifiedIdentifier(parsing: agreement.dataset),
            let record = try await catalog.record(identifier, version: agreement.datasetVersion)
        else {
            throw ComputeRefusal(status: 410, code: "product.missing", field: "agreement", "the agreed product \(agreement.dataset) is no longer here")
        }
        guard record.status != .withdrawn else {
            throw ComputeRefusal(status: 410, code: "product.withdrawn", field: "agreement", "product \(record.identifier) was withdrawn")
        }
        return record
    }

    static func refusal(_ e: PrivacyBudgetExhausted, terms: PrivacyBudgetTerms, amount: PrivacyAmount, delta: PrivacyAmount) -> ComputeRefusal {
        let name = terms.total.parameter
        switch e.limit {
        case "period":
            return ComputeRefusal(
                status: 403, code: "privacy.budget_exhausted", field: name,
                "this period's \(name) budget is spent: \(e.spent.period) of \(terms.perPeriod?.description ?? "?") used, the query asks \(amount); the next period starts \(ISO8601.formatDuration(terms.period)) after the last began")
        case "delta":
            return ComputeRefusal(
                status: 403, code: "privacy.budget_exhausted", field: "delta",
                "the agreement's δ budget is spent: \(e.spent.delta) of \(terms.delta) used, the query asks \(delta); group by public keys only, which spends no δ")
        default:
            let left = terms.total.amount.subtracting(e.spent.total) ?? .zero
            return ComputeRefusal(
                status: 403, code: "privacy.budget_exhausted", field: name,
                "the agreement's \(name) budget is spent: \(e.spent.total) of \(terms.total.amount) used, \(left) left, the query asks \(amount)")
        }
    }

    /// The engine's scan and noise are long synchronous work, run off the cooperative threads.
    static func answer(_ engine: PrivateQueryEngine, _ plan: PrivateQueryEngine.Plan) async -> PrivateAnswer {
        await offCooperativeThreads {
            var random = SystemRandomNumberGenerator()
            return engine.answer(plan, using: &random)
        }
    }
}
