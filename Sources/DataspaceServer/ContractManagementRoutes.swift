import DataspaceContracts
import DataspaceCore
import DataspaceProtocol
import Foundation
import Hummingbird

/// Management API for contracts: negotiate, list agreements, run transfers, read usage.
/// `wait=SECONDS` on a GET returns as soon as the process reaches a state worth reporting
/// (event-driven: the handler is woken by the state change, it does not poll).
enum ContractManagementRoutes {
    typealias Route = ManagementRoutes.Route
    typealias Handler = ManagementRoutes.Handler

    static let routes: [Route] = [
        Route(ManagementAPI.negotiate, handler: negotiate),
        Route(ManagementAPI.listNegotiations, handler: listNegotiations),
        Route(ManagementAPI.showNegotiation, handler: showNegotiation),
        Route(ManagementAPI.acceptOffer, handler: acceptOffer),
        Route(ManagementAPI.makeOffer, handler: offer),
        Route(ManagementAPI.terminateNegotiation, handler: terminateNegotiation),
        Route(ManagementAPI.listAgreements, handler: listAgreements),
        Route(ManagementAPI.showAgreement, handler: showAgreement),
        Route(ManagementAPI.reconcileAgreement, handler: reconcileAgreement),
        Route(ManagementAPI.queryAgreement, handler: queryAgreement),
        Route(ManagementAPI.intersectAgreement, handler: intersectAgreement),
        Route(ManagementAPI.aggregate, handler: aggregate),
        Route(ManagementAPI.agreementBudget, handler: agreementBudget),
        Route(ManagementAPI.startTransfer, handler: startTransfer),
        Route(ManagementAPI.listTransfers, handler: listTransfers),
        Route(ManagementAPI.showTransfer, handler: showTransfer),
        Route(ManagementAPI.completeTransfer, handler: completeTransfer),
        Route(ManagementAPI.suspendTransfer, handler: suspendTransfer),
        Route(ManagementAPI.resumeTransfer, handler: resumeTransfer),
        Route(ManagementAPI.terminateTransfer, handler: terminateTransfer),
        Route(ManagementAPI.listUsage, handler: usage),
    ]

    static func id(_ context: NodeRequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// `since=REVISION`: a wait also ends at any change after that revision (a failed delivery
    /// attempt, say), so a person waiting sees progress as it happens.
    static func sinceRevision(_ request: Request) throws -> Int? {
        guard request.query("since") != nil else { return nil }
        return try QueryRange.integer(request.query("since"), field: "since", in: 0...Int(Int32.max), default: 0)
    }

    static func waitSeconds(_ request: Request) throws -> Double {
        guard let text = request.query("wait") else { return 0 }
        guard let v = Double(text), (0...120).contains(v) else {
            throw ValidationError(code: "wait.invalid", field: "wait", message: "wait must be 0–120 seconds")
        }
        return v
    }

    static func bodyString(_ json: JSONValue, _ key: String, required: Bool) throws -> String? {
        guard let v = json[key], v != .null else {
            if required { throw ValidationError(code: "\(key).missing", field: key, message: "\(key) is required") }
            return nil
        }
        guard let s = v.stringValue, !s.isEmpty else { throw ValidationError(code: "\(key).type", field: key, message: "\(key) must be a non-empty string") }
        return s
    }

    static func bodyBool(_ json: JSONValue, _ key: String) throws -> Bool? {
        guard let v = json[key], v != .null else { return nil }
        guard case .bool(let b) = v else { throw ValidationError(code: "\(key).type", field: key, message: "\(key) must be true or false") }
        return b
    }

    /// The `dataset` member: a unified identifier, errors attributed to the field.
    static func datasetField(_ json: JSONValue) throws -> UnifiedIdentifier {
        let text = try bodyString(json, "dataset", required: true) ?? ""
        do { return try UnifiedIdentifier(parsing: text) } catch { throw error.at("dataset") }
    }

    // MARK: negotiations

    static let negotiate: Handler = { request, context, s in
        let json = try await request.jsonBody()
        let provider = try bodyString(json, "provider", required: true) ?? ""
        let dataset = try datasetField(json)
        let n = try await s.contracts.requestContract(
            provider: provider, dataset: dataset, purpose: try bodyString(json, "purpose", required: false), offerID: try bodyString(json, "offer", required: false),
            terms: json["terms"], by: context.managementCaller?.attribution)
        return Responses.json(try await negotiationJSON(n, s), status: .created, headers: [.location: "/api/v1/negotiations/\(n.id)"])
    }

    static let offer: Handler = { request, _, s in
        let json = try await request.jsonBody()
        let consumer = try bodyString(json, "consumer", required: true) ?? ""
        let dataset = try datasetField(json)
        let n = try await s.contracts.offerContract(consumer: consumer, dataset: dataset)
        return Responses.json(try await negotiationJSON(n, s), status: .created, headers: [.location: "/api/v1/negotiations/\(n.id)"])
    }

    static let listNegotiations: Handler = { _, _, s in
        var items: [JSONValue] = []
        for n in try await s.store.negotiations(limit: 500) { items.append(try await negotiationJSON(n, s)) }
        return Responses.json(["items": .array(items)])
    }

    static let showNegotiation: Handler = { request, context, s in
        let id = id(context)
        let since = try sinceRevision(request)
        let store = s.store
        let n = try await s.contracts.notifier.wait(
            id, timeout: try waitSeconds(request),
            read: { () async throws -> ContractNegotiation in
                guard let n = try await store.negotiation(id: id) else { throw ContractNotFound("negotiation", id) }
                return n
            },
            done: { (n: ContractNegotiation) in
                n.state.isTerminal || (n.state == .offered && n.role == .consumer) || since.map { n.revision > $0 } == true
            })
        return Responses.json(try await negotiationJSON(n, s))
    }

    static let acceptOffer: Handler = { _, context, s in
        Responses.json(try await negotiationJSON(try await s.contracts.acceptOffer(id(context)), s))
    }

    static let terminateNegotiation: Handler = { request, context, s in
        let reason = (try? await request.jsonBody()).flatMap { $0["reason"]?.stringValue } ?? "terminated by the operator"
        return Responses.json(try await negotiationJSON(try await s.contracts.terminateNegotiation(id(context), reason: reason), s))
    }

    static func negotiationJSON(_ n: ContractNegotiation, _ s: NodeServices) async throws -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(n.id), "role": .string(n.role.rawValue), "state": .string(n.state.rawValue), "counterparty": .string(n.counterparty),
            "dataset": .string(n.dataset), "offer": n.offer, "reasons": .array(n.reasons.map { .string($0) }),
            "createdAt": .string(ISO8601.format(n.createdAt)), "updatedAt": .string(ISO8601.format(n.updatedAt)),
            "pendingDelivery": .bool(!n.queue.isEmpty), "revision": .number(Double(n.revision)),
        ]
        if let p = n.providerPid { o["providerPid"] = .string(p) }
        if let p = n.consumerPid { o["consumerPid"] = .string(p) }
        if let p = n.purpose { o["purpose"] = .string(p) }
        if let by = n.requestedBy { o["requestedBy"] = .string(by) }
        if let next = n.outbox { o["outbox"] = outboxJSON(next) }
        if let a = n.agreementID, let agreement = try await s.store.agreement(id: a) {
            o["agreement"] = try await agreementJSON(agreement, s)
        }
        return .object(o)
    }

    // MARK: agreements

    static let listAgreements: Handler = { _, _, s in
        var items: [JSONValue] = []
        for a in try await s.store.agreements(limit: 500) { items.append(try await agreementJSON(a, s)) }
        return Responses.json(["items": .array(items)])
    }

    static let showAgreement: Handler = { _, context, s in
        let id = id(context)
        guard let a = try await s.store.agreement(id: id) else { throw ContractNotFound("agreement", id) }
        return Responses.json(try await agreementJSON(a, s))
    }

    /// A consumer's query goes to the provider; its answer (or refusal) comes back as it was.
    static let queryAgreement: Handler = { request, context, s in
        let body = try await request.jsonBody(limit: ComputeRoutes.maximumBody)
        _ = try ComputeJSON.request(body)  // refuse a malformed request here, before calling anyone
        let reply = try await s.contracts.askProvider(agreementID: id(context), query: body)
        return Responses.json(reply.body, status: HTTPResponse.Status(code: reply.status), contentType: reply.status == 200 ? "application/json" : "application/problem+json")
    }

    /// Identifiers sent for matching through the management API: enough for ten million short ids.
    static let maximumIdentifiersBody = 256 << 20

    /// A consumer's set intersection: identifiers are blinded here; the provider's refusal comes back as it was.
    static let intersectAgreement: Handler = { request, context, s in
        let body = try await request.jsonBody(limit: maximumIdentifiersBody)
        let (identifiers, column, output) = try ComputeJSON.identifiers(body)
        do {
            let result = try await s.contracts.runSetIntersection(agreementID: id(context), identifiers: identifiers, column: column, output: output)
            return Responses.json(ComputeJSON.intersection(result))
        } catch let refusal as ContractService.ProviderRefusal {
            return Responses.json(refusal.body, status: HTTPResponse.Status(code: refusal.status), contentType: "application/problem+json")
        }
    }

    /// A secure-aggregation round across this node's agreements with several providers.
    static let aggregate: Handler = { request, _, s in
        let body = try await request.jsonBody(limit: 256 << 10)
        return Responses.json(ComputeJSON.aggregation(try await s.contracts.runAggregation(try ComputeJSON.aggregation(body))))
    }

    /// The budget: a provider reads its own ledger, a consumer asks its provider.
    static let agreementBudget: Handler = { _, context, s in
        let agreementID = id(context)
        guard let agreement = try await s.store.agreement(id: agreementID) else { throw ContractNotFound("agreement", agreementID) }
        if agreement.role == .provider {
            return Responses.json(ComputeJSON.budget(try await s.compute.budget(agreementID: agreementID, consumer: agreement.consumer)))
        }
        let reply = try await s.contracts.askProvider(agreementID: agreementID, query: nil)
        return Responses.json(reply.body, status: HTTPResponse.Status(code: reply.status), contentType: reply.status == 200 ? "application/json" : "application/problem+json")
    }

    static let reconcileAgreement: Handler = { _, context, s in
        Responses.json(reconciliationJSON(try await s.contracts.reconcile(agreementID: id(context))))
    }

    static func reconciliationJSON(_ r: DeliveryReconciliation) -> JSONValue {
        func counts(_ c: DeliveryCounts?) -> JSONValue {
            guard let c else { return .null }
            return ["delivered": .number(Double(c.complete)), "open": .number(Double(c.reserved))]
        }
        var o: [String: JSONValue] = [
            "agreement": .string(r.agreementID), "role": .string(r.role.rawValue), "consumer": counts(r.consumer), "provider": counts(r.provider),
            "agrees": .bool(r.agrees),
            "transfers": .array(r.lines.map { l in
                var line: [String: JSONValue] = ["transfer": .string(l.transfer), "agrees": .bool(l.agrees), "note": .string(l.note)]
                if let c = l.consumerState { line["consumerState"] = .string(c) }
                if let d = l.providerDelivery { line["providerDelivery"] = .string(d.rawValue) }
                if let b = l.bytes { line["bytes"] = .number(Double(b)) }
                return .object(line)
            }),
        ]
        if let p = r.providerProblem { o["providerProblem"] = .string(p) }
        return .object(o)
    }

    static func agreementJSON(_ a: ContractAgreement, _ s: NodeServices) async throws -> JSONValue {
        let state = try await s.store.negotiation(id: a.negotiationID)?.state.rawValue ?? "unknown"
        let counts = try await s.contracts.deliveryCounts(a)
        var o: [String: JSONValue] = [
            "id": .string(a.id), "role": .string(a.role.rawValue), "dataset": .string(a.dataset), "provider": .string(a.provider),
            "consumer": .string(a.consumer), "agreedAt": .string(ISO8601.format(a.agreedAt)), "state": .string(state), "policy": a.policy,
            "providerSignature": .string(a.providerSignature), "sha256": .string(a.digest), "deliveries": .number(Double(counts.complete)),
            "reservedDeliveries": .number(Double(counts.reserved)),
        ]
        if let c = a.consumerSignature { o["consumerSignature"] = .string(c) }
        if let p = a.purpose { o["purpose"] = .string(p) }
        if let compiled = try? a.compiled() {
            if let remaining = compiled.remainingUses(action: "download", uses: counts.used) { o["remainingUses"] = .number(Double(remaining)) }
            if let pay = compiled.compensation { o["compensation"] = ["amount": .number(pay.amount), "unit": .string(pay.unit)] }
            // A compute agreement's budget: the provider reads its ledger; a consumer shows the
            // terms (what is spent it asks with GET …/budget, which goes to the provider).
            if let terms = compiled.computeBudget {
                var budget: [String: JSONValue] = ["parameter": .string(terms.total.parameter), "total": .string(terms.total.amount.description)]
                if let q = terms.perQuery { budget["perQuery"] = .string(q.description) }
                if a.role == .provider, let status = try? await s.compute.budget(agreementID: a.id, consumer: a.consumer) {
                    budget = ComputeJSON.budget(status).objectValue ?? budget
                }
                o["privacyBudget"] = .object(budget)
            }
        }
        return .object(o)
    }

    // MARK: transfers

    static let startTransfer: Handler = { request, _, s in
        let json = try await request.jsonBody()
        let agreement = try bodyString(json, "agreement", required: true) ?? ""
        let continueOpen = try bodyBool(json, "continueOpen") ?? false
        let (t, reused) = try await s.contracts.requestTransfer(agreementID: agreement, continueOpen: continueOpen)
        var body = transferJSON(t).objectValue ?? [:]
        body["continued"] = .bool(reused)
        return Responses.json(.object(body), status: reused ? .ok : .created, headers: [.location: "/api/v1/transfers/\(t.id)"])
    }

    static let listTransfers: Handler = { request, _, s in
        let items = try await s.store.transfers(agreementID: request.query("agreement"), limit: 500)
        return Responses.json(["items": .array(items.map(transferJSON))])
    }

    static let showTransfer: Handler = { request, context, s in
        let id = id(context)
        let since = try sinceRevision(request)
        let store = s.store
        let t = try await s.contracts.notifier.wait(
            id, timeout: try waitSeconds(request),
            read: { () async throws -> TransferProcess in
                guard let t = try await store.transfer(id: id) else { throw ContractNotFound("transfer", id) }
                return t
            },
            done: { (t: TransferProcess) in t.state != .requested || since.map { t.revision > $0 } == true })
        return Responses.json(transferJSON(t))
    }

    static let completeTransfer: Handler = { _, context, s in Responses.json(transferJSON(try await s.contracts.completeTransfer(id(context)))) }

    static let suspendTransfer: Handler = { request, context, s in
        let reason = (try? await request.jsonBody()).flatMap { $0["reason"]?.stringValue } ?? "suspended by the operator"
        return Responses.json(transferJSON(try await s.contracts.suspendTransfer(id(context), reason: reason)))
    }

    static let resumeTransfer: Handler = { _, context, s in Responses.json(transferJSON(try await s.contracts.resumeTransfer(id(context)))) }

    static let terminateTransfer: Handler = { request, context, s in
        let reason = (try? await request.jsonBody()).flatMap { $0["reason"]?.stringValue } ?? "terminated by the operator"
        return Responses.json(transferJSON(try await s.contracts.terminateTransfer(id(context), reason: reason)))
    }

    /// A transfer as the operator sees it; the consumer's data address includes its token, since
    /// the operator (admin token) is the one who pulls the data.
    /// What a person waiting on a message needs: where it goes, how often it failed and why.
    static func outboxJSON(_ next: OutgoingMessage) -> JSONValue {
        var outbox: [String: JSONValue] = ["url": .string(next.url), "attempts": .number(Double(next.attempts))]
        if let why = next.lastError { outbox["lastError"] = .string(why) }
        return .object(outbox)
    }

    static func transferJSON(_ t: TransferProcess) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(t.id), "role": .string(t.role.rawValue), "state": .string(t.state.rawValue), "agreement": .string(t.agreementID),
            "dataset": .string(t.dataset), "counterparty": .string(t.counterparty), "format": .string(t.format),
            "reasons": .array(t.reasons.map { .string($0) }), "updatedAt": .string(ISO8601.format(t.updatedAt)),
            "pendingDelivery": .bool(!t.queue.isEmpty), "revision": .number(Double(t.revision)),
        ]
        if let p = t.providerPid { o["providerPid"] = .string(p) }
        if let p = t.consumerPid { o["consumerPid"] = .string(p) }
        if let n = t.sequence { o["delivery"] = .number(Double(n)) }
        if let h = t.sha256 { o["sha256"] = .string(h) }
        if t.role == .consumer, let a = t.dataAddress { o["dataAddress"] = ["endpoint": .string(a.endpoint), "token": .string(a.token)] }
        if let next = t.outbox { o["outbox"] = outboxJSON(next) }
        return .object(o)
    }

    // MARK: usage

    static let usage: Handler = { request, _, s in
        let records = try await s.store.usage(agreementID: request.query("agreement"))
        let items: [JSONValue] = records.map { r in
            var o: [String: JSONValue] = [
                "agreement": .string(r.agreementID), "transfer": .string(r.transferID), "consumer": .string(r.consumer), "dataset": .string(r.dataset),
                "at": .string(ISO8601.format(r.at)), "bytes": .number(Double(r.bytes)), "rangeStart": .number(Double(r.rangeStart)),
                "complete": .bool(r.complete), "sha256": .string(r.sha256),
            ]
            if let rows = r.rows { o["rows"] = .number(Double(rows)) }
            return .object(o)
        }
        let summary: [JSONValue] = AgreementUsage.summarize(records).map { u in
            [
                "agreement": .string(u.agreementID), "bytes": .number(Double(u.bytes)), "rows": .number(Double(u.rows)),
                "requests": .number(Double(u.requests)), "completeDeliveries": .number(Double(u.completeDeliveries)),
            ]
        }
        return Responses.json(["items": .array(items), "summary": .array(summary)])
    }
}
