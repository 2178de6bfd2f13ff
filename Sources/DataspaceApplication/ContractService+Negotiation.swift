import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation

/// Contract negotiation (DSP 2025-1) in both roles.
extension ContractService {
    // MARK: consumer: starting and steering

    /// Asks `providerURL` for a contract on `dataset`, narrowed to `purpose`. Returns at once with
    /// the REQUESTED negotiation; the rest happens as the provider's messages arrive.
    /// `terms`, when given, proposes other rules than the offer's (a counter-request); the provider
    /// then answers with its own offer instead of an agreement.
    public func requestContract(
        provider providerURL: String, dataset: UnifiedIdentifier, purpose: String?, offerID: String?, terms: JSONValue? = nil,
        by requester: String? = nil
    ) async throws -> ContractNegotiation {
        if let purpose, !Purpose.isKnown(purpose) {
            throw ValidationError(code: "purpose.unknown", field: "purpose", message: "unknown purpose '\(purpose)'; known: \(Purpose.all.joined(separator: ", "))")
        }
        let (base, providerDID) = try await peer(at: providerURL)
        guard providerDID != did else {
            throw ValidationError(code: "provider.self", field: "provider", message: "a node cannot negotiate with itself")
        }
        let token = try await tokenFor(providerDID)
        let reply = try await peers.send(PeerMethod.GET, "\(base)\(DSP.basePath)/catalog/datasets/\(dataset)", headers: [("Authorization", "Bearer \(token)")])
        guard reply.status == 200 else {
            if reply.status == 404 { throw CatalogError(.notFound, "\(base) has no dataset \(dataset)", field: "dataset") }
            throw PeerError("\(base) answered \(reply.status) for dataset \(dataset)", status: reply.status)
        }
        let offers = try reply.json()["hasPolicy"].map { $0.arrayValue ?? [$0] } ?? []
        guard let offerJSON = offerID.map({ id in offers.first { $0["@id"]?.stringValue == id } }) ?? offers.first else {
            throw CatalogError(.notFound, offerID.map { "dataset \(dataset) has no offer \($0)" } ?? "dataset \(dataset) has no offer", field: "offer")
        }
        var offer: UsagePolicy
        do { offer = try UsagePolicy.parse(offerJSON, path: "offer") } catch { throw PeerError("the provider's offer is not valid: \(error)") }
        if let terms {
            let proposed = try CompiledPolicy.parse(terms, path: "terms").source
            offer.permissions = proposed.permissions
            offer.prohibitions = proposed.prohibitions
            offer.obligations = proposed.obligations
        }
        let id = Self.newPid()
        var n = ContractNegotiation(
            id: id, role: .consumer, providerPid: nil, consumerPid: id, state: try NegotiationStateMachine.next(nil, on: .request, from: .consumer),
            counterparty: providerDID.value, counterpartyAddress: base + DSP.basePath, dataset: dataset.description, purpose: purpose,
            offer: ContractTerms.messageOffer(ContractTerms.withPurpose(offer, purpose), target: dataset.description), now: now())
        n.requestedBy = requester
        n.queue.append(OutgoingMessage(
            url: n.counterpartyAddress + "/negotiations/request",
            body: DSPNegotiationMessages.request(consumerPid: id, providerPid: nil, offer: n.offer, callbackAddress: callbackBase)))
        try await store.insertNegotiation(n, agreement: nil)
        kick(.negotiation(id))
        return n
    }

    /// Provider: opens a negotiation by offering `dataset` to the node at `consumerURL` (DSP
    /// provider-initiated negotiation). The consumer's operator then accepts or terminates it.
    public func offerContract(consumer consumerURL: String, dataset: UnifiedIdentifier) async throws -> ContractNegotiation {
        let (base, consumerDID) = try await peer(at: consumerURL)
        guard consumerDID != did else { throw ValidationError(code: "consumer.self", field: "consumer", message: "a node cannot offer to itself") }
        guard let record = try await catalog.record(dataset), record.status == .active else {
            throw CatalogError(.notFound, "no active product \(dataset)", field: "dataset")
        }
        var offer = record.offer
        offer.id = DSPCatalogRenderer.offerID(for: record)
        let id = Self.newPid()
        var n = ContractNegotiation(
            id: id, role: .provider, providerPid: id, consumerPid: nil, state: try NegotiationStateMachine.next(nil, on: .offer, from: .provider),
            counterparty: consumerDID.value, counterpartyAddress: base + DSP.basePath + "/callback", dataset: dataset.description, purpose: nil,
            offer: ContractTerms.messageOffer(offer, target: dataset.description), now: now())
        n.queue.append(
            OutgoingMessage(
                url: n.counterpartyAddress + "/negotiations/offers",
                body: DSPNegotiationMessages.offer(providerPid: id, consumerPid: nil, offer: n.offer, callbackAddress: publicURL + DSP.basePath)))
        try await store.insertNegotiation(n, agreement: nil)
        kick(.negotiation(id))
        return n
    }

    /// Consumer: accepts the provider's (counter-)offer.
    public func acceptOffer(_ id: String) async throws -> ContractNegotiation {
        let n = try await store.updateNegotiation(id: id) { n in
            guard n.role == .consumer else { throw ProtocolError(.badRequest, code: "role", "only the consumer accepts an offer") }
            guard let providerPid = n.providerPid else { throw ProtocolError(.badRequest, code: "negotiation.unaddressed", "the provider's pid is not known yet") }
            try n.apply(.accept, from: .consumer, now: self.now())
            n.queue.append(OutgoingMessage(
                url: "\(n.counterpartyAddress)/negotiations/\(providerPid)/events",
                body: DSPNegotiationMessages.event(providerPid: providerPid, consumerPid: n.id, eventType: "ACCEPTED")))
        }
        await negotiationChanged(id)
        kick(.negotiation(id))
        return n
    }

    /// Either role: ends a negotiation and tells the other party why.
    public func terminateNegotiation(_ id: String, reason: String) async throws -> ContractNegotiation {
        let n = try await store.updateNegotiation(id: id) { n in
            try n.apply(.terminate, from: n.role, now: self.now())
            n.reasons = [reason]
            let target: String? =
                switch n.role {
                case .consumer: n.providerPid.map { "\(n.counterpartyAddress)/negotiations/\($0)/termination" }
                case .provider: n.consumerPid.map { "\(n.counterpartyAddress)/negotiations/\($0)/termination" }
                }
            // Termination supersedes anything still queued for the other party.
            n.queue.removeAll()
            if let target, let providerPid = n.providerPid, let consumerPid = n.consumerPid {
                n.queue.append(OutgoingMessage(
                    url: target,
                    body: DSPNegotiationMessages.termination(providerPid: providerPid, consumerPid: consumerPid, code: "terminated", reasons: [reason])))
            }
        }
        await negotiationChanged(id)
        kick(.negotiation(id))
        return n
    }

    // MARK: provider: incoming consumer messages

    /// `ContractRequestMessage`, initial (`providerPid` nil) or a counter-request. Returns the
    /// `ContractNegotiation` body to answer with.
    public func receiveRequest(_ json: JSONValue, providerPid: String?, caller: VerifiedCaller) async throws -> JSONValue {
        let m = try DSPMessage(json, type: "ContractRequestMessage")
        let consumerPid = try m.string("consumerPid")
        let offerJSON = try m.objectMember("offer")
        let requested: UsagePolicy
        do { requested = try UsagePolicy.parse(offerJSON, path: "offer") } catch {
            throw ProtocolError(.badRequest, code: "offer.invalid", error.description)
        }
        if let providerPid {
            if let stated = try m.optionalString("providerPid"), stated != providerPid {
                throw ProtocolError(.badRequest, code: "message.providerPid", "providerPid \(stated) does not match the path \(providerPid)")
            }
            let existing = try await ownNegotiation(providerPid, role: .provider, caller: caller)
            guard existing.consumerPid == consumerPid else {
                throw ProtocolError(.badRequest, code: "message.consumerPid", "consumerPid does not match negotiation \(providerPid)")
            }
            let digest = Self.digest(json)
            if existing.lastInbound == digest { return negotiationBody(existing) }
            let record = try await activeRecord(existing.dataset)
            var n = existing
            try n.apply(.request, from: .consumer, now: self.now())
            n.lastInbound = digest
            let (decided, agreement) = try decide(n, requested: requested, record: record, initial: false)
            try await persist(decided, agreement: agreement)
            return negotiationBody(n)
        }
        let callback = try m.string("callbackAddress")
        try Self.checkCallback(callback, caller: caller)
        if let existing = try await store.providerNegotiation(consumer: caller.did.value, consumerPid: consumerPid) {
            // A retried request gets the answer the first one got.
            if existing.state == .terminated, existing.queue.isEmpty {
                throw ProtocolError(.forbidden, code: "policy.denied", reasons: existing.reasons)
            }
            return negotiationBody(existing)
        }
        guard let target = requested.target, let identifier = try? UnifiedIdentifier(parsing: target) else {
            throw ProtocolError(.badRequest, code: "offer.target", "offer.target must be the unified identifier of a dataset in this catalog")
        }
        let record = try await activeRecord(identifier.description)
        let id = Self.newPid()
        var n = ContractNegotiation(
            id: id, role: .provider, providerPid: id, consumerPid: consumerPid, state: try NegotiationStateMachine.next(nil, on: .request, from: .consumer),
            counterparty: caller.did.value, counterpartyAddress: callback, dataset: identifier.description, purpose: nil, offer: offerJSON, now: now())
        n.recipient = Self.recipientFacts(caller)
        n.lastInbound = Self.digest(json)
        let (decided, agreement) = try decide(n, requested: requested, record: record, initial: true)
        try await store.insertNegotiation(decided, agreement: agreement)
        await negotiationChanged(id)
        if decided.state == .terminated {
            throw ProtocolError(.forbidden, code: "policy.denied", reasons: decided.reasons)
        }
        CrashPoint.hit("provider.agreed")
        kick(.negotiation(id))
        return negotiationBody(n)
    }

    /// Provider: the consumer accepted our offer.
    public func receiveProviderEvent(_ json: JSONValue, providerPid: String, caller: VerifiedCaller) async throws {
        let m = try DSPMessage(json, type: "ContractNegotiationEventMessage")
        var existing = try await ownNegotiation(providerPid, role: .provider, caller: caller)
        // A negotiation we opened learns the consumer's pid from its answer; accept it here too.
        if existing.consumerPid == nil { existing.consumerPid = try m.string("consumerPid") }
        try checkPids(m, existing)
        let digest = Self.digest(json)
        if existing.lastInbound == digest { return }
        let eventType = try m.string("eventType")
        guard eventType == "ACCEPTED" else {
            throw ProtocolError(.badRequest, code: "transition.invalid", "a consumer can only send the ACCEPTED event, not \(eventType)")
        }
        var n = existing
        try n.apply(.accept, from: .consumer, now: self.now())
        n.lastInbound = digest
        if n.recipient == nil { n.recipient = Self.recipientFacts(caller) }
        guard let record = try? await activeRecord(n.dataset) else {
            try n.apply(.terminate, from: .provider, now: self.now())
            n.reasons = ["dataset \(n.dataset) is no longer offered"]
            if let message = terminationMessage(n, code: "dataset.withdrawn") { n.queue.append(message) }
            try await persist(n, agreement: nil)
            return
        }
        let requested: UsagePolicy
        do { requested = try UsagePolicy.parse(n.offer, path: "offer") } catch { throw ProtocolError(.badRequest, code: "offer.invalid", error.description) }
        let (decided, agreement) = try decide(n, requested: requested, record: record, initial: false)
        try await persist(decided, agreement: agreement)
    }

    /// Provider: the consumer's countersignature; the negotiation is then finalized.
    public func receiveVerification(_ json: JSONValue, providerPid: String, caller: VerifiedCaller) async throws {
        let m = try DSPMessage(json, type: "ContractAgreementVerificationMessage")
        let existing = try await ownNegotiation(providerPid, role: .provider, caller: caller)
        try checkPids(m, existing)
        let digest = Self.digest(json)
        if existing.lastInbound == digest { return }
        guard let signature = m.object[DSP.signatureProperty]?.stringValue else {
            throw ProtocolError(.badRequest, code: "signature.missing", "the verification message must carry the consumer's agreement signature (\(DSP.signatureProperty))")
        }
        guard let agreementID = existing.agreementID, var agreement = try await store.agreement(id: agreementID) else {
            throw NegotiationStateMachine.error(existing.state, .verify).protocolError
        }
        let document = try await resolver.resolve(caller.did)
        do {
            try DetachedSignature.verify(signature, payload: agreement.canonicalBytes, key: try document.publicKey(for: try DetachedSignature.kid(signature)))
        } catch {
            throw ProtocolError(.badRequest, code: "signature.invalid", "the consumer's agreement signature does not verify: \(error.message)")
        }
        agreement.consumerSignature = signature
        var n = existing
        try n.apply(.verify, from: .consumer, now: self.now())
        try n.apply(.finalize, from: .provider, now: self.now())
        n.lastInbound = digest
        let consumerPid = n.consumerPid ?? ""
        n.queue.append(OutgoingMessage(
            url: "\(n.counterpartyAddress)/negotiations/\(consumerPid)/events",
            body: DSPNegotiationMessages.event(providerPid: n.id, consumerPid: consumerPid, eventType: "FINALIZED")))
        let final = n
        _ = try await store.saveAgreement(agreement, negotiationID: n.id) { $0 = final }
        await negotiationChanged(n.id)
        kick(.negotiation(n.id))
    }

    /// Either role: the other party terminated.
    public func receiveTermination(_ json: JSONValue, pid: String, role: ContractRole, caller: VerifiedCaller) async throws {
        let m = try DSPMessage(json, type: "ContractNegotiationTerminationMessage")
        let existing = try await ownNegotiation(pid, role: role, caller: caller)
        try checkPids(m, existing)
        let digest = Self.digest(json)
        if existing.lastInbound == digest { return }
        var n = existing
        try n.apply(.terminate, from: role == .provider ? .consumer : .provider, now: self.now())
        n.lastInbound = digest
        n.reasons = m.reasons.isEmpty ? ["terminated by \(caller.did.value)"] : m.reasons
        n.queue.removeAll()
        try await persist(n, agreement: nil)
    }

    // MARK: consumer: incoming provider messages

    /// Consumer: an offer, either opening a negotiation (`consumerPid` nil) or countering ours.
    public func receiveOffer(_ json: JSONValue, consumerPid: String?, caller: VerifiedCaller) async throws -> JSONValue? {
        let m = try DSPMessage(json, type: "ContractOfferMessage")
        let providerPid = try m.string("providerPid")
        let offerJSON = try m.objectMember("offer")
        let offer: UsagePolicy
        do { offer = try UsagePolicy.parse(offerJSON, path: "offer") } catch { throw ProtocolError(.badRequest, code: "offer.invalid", error.description) }
        guard let consumerPid else {
            let callback = try m.string("callbackAddress")
            try Self.checkCallback(callback, caller: caller)
            guard let target = offer.target else { throw ProtocolError(.badRequest, code: "offer.target", "an initial offer needs offer.target") }
            let id = Self.derivedPid(caller.did.value, providerPid)
            if let existing = try await store.negotiation(id: id) { return negotiationBody(existing) }
            var n = ContractNegotiation(
                id: id, role: .consumer, providerPid: providerPid, consumerPid: id, state: try NegotiationStateMachine.next(nil, on: .offer, from: .provider),
                counterparty: caller.did.value, counterpartyAddress: callback, dataset: target, purpose: nil, offer: offerJSON, now: now())
            n.lastInbound = Self.digest(json)
            try await store.insertNegotiation(n, agreement: nil)
            await negotiationChanged(id)
            return negotiationBody(n)
        }
        let existing = try await ownNegotiation(consumerPid, role: .consumer, caller: caller)
        let digest = Self.digest(json)
        if existing.lastInbound == digest { return nil }
        var n = existing
        try n.apply(.offer, from: .provider, now: self.now())
        if n.providerPid == nil { n.providerPid = providerPid }
        guard n.providerPid == providerPid else { throw ProtocolError(.badRequest, code: "message.providerPid", "providerPid does not match") }
        n.offer = offerJSON
        n.lastInbound = digest
        try await persist(n, agreement: nil)
        return nil
    }

    /// Consumer: the provider's signed agreement. Checked against what we asked for, countersigned,
    /// and answered with a verification message.
    public func receiveAgreement(_ json: JSONValue, consumerPid: String, caller: VerifiedCaller) async throws {
        let m = try DSPMessage(json, type: "ContractAgreementMessage")
        let existing = try await ownNegotiation(consumerPid, role: .consumer, caller: caller)
        let providerPid = try m.string("providerPid")
        if let known = existing.providerPid, known != providerPid {
            throw ProtocolError(.badRequest, code: "message.providerPid", "providerPid does not match negotiation \(consumerPid)")
        }
        let digest = Self.digest(json)
        if existing.lastInbound == digest { return }
        let agreementJSON = try m.objectMember("agreement")
        guard let signature = m.object[DSP.signatureProperty]?.stringValue else {
            throw ProtocolError(.badRequest, code: "signature.missing", "the agreement message must carry the provider's signature (\(DSP.signatureProperty))")
        }
        let agreed: UsagePolicy
        do { agreed = try CompiledPolicy.parse(agreementJSON, path: "agreement").source } catch {
            throw ProtocolError(.badRequest, code: "agreement.invalid", error.description)
        }
        guard agreed.kind == .agreement, !agreed.id.isEmpty else {
            throw ProtocolError(.badRequest, code: "agreement.invalid", "agreement needs @type Agreement and an @id")
        }
        guard agreed.target == existing.dataset, agreed.assignee == did.value, agreed.assigner == caller.did.value else {
            throw ProtocolError(.badRequest, code: "agreement.parties", "agreement target, assigner and assignee must be \(existing.dataset), \(caller.did.value) and \(did.value)")
        }
        let expected: UsagePolicy
        do { expected = ContractTerms.withPurpose(try UsagePolicy.parse(existing.offer, path: "offer"), existing.purpose) } catch {
            throw ProtocolError(.badRequest, code: "offer.invalid", error.description)
        }
        guard agreed.permissions == expected.permissions, agreed.prohibitions == expected.prohibitions, agreed.obligations == expected.obligations else {
            throw ProtocolError(.badRequest, code: "agreement.terms", "the agreement's rules differ from the offer that was requested")
        }
        let bytes = ContractAgreement.canonicalBytes(agreementJSON)
        let document = try await resolver.resolve(caller.did)
        do {
            try DetachedSignature.verify(signature, payload: bytes, key: try document.publicKey(for: try DetachedSignature.kid(signature)))
        } catch {
            throw ProtocolError(.badRequest, code: "signature.invalid", "the provider's agreement signature does not verify: \(error.message)")
        }
        let countersignature = try DetachedSignature.sign(bytes, kid: keyID, key: key)
        var n = existing
        try n.apply(.agree, from: .provider, now: self.now())
        try n.apply(.verify, from: .consumer, now: self.now())
        n.providerPid = providerPid
        n.agreementID = agreed.id
        n.lastInbound = digest
        n.queue.append(OutgoingMessage(
            url: "\(n.counterpartyAddress)/negotiations/\(providerPid)/agreement/verification",
            body: DSPNegotiationMessages.verification(providerPid: providerPid, consumerPid: consumerPid, signature: countersignature)))
        let timestamp = agreementJSON["timestamp"]?.stringValue.flatMap(ISO8601.parseDateTime) ?? now()
        let agreement = ContractAgreement(
            id: agreed.id, negotiationID: n.id, role: .consumer, dataset: existing.dataset, provider: caller.did.value, consumer: did.value,
            purpose: existing.purpose, agreedAt: timestamp, policy: agreementJSON, providerSignature: signature, consumerSignature: countersignature,
            recipient: RecipientFacts(did: did.value, sector: nil, region: nil, role: nil))
        try await persist(n, agreement: agreement)
    }

    /// Consumer: the provider's FINALIZED event.
    public func receiveConsumerEvent(_ json: JSONValue, consumerPid: String, caller: VerifiedCaller) async throws {
        let m = try DSPMessage(json, type: "ContractNegotiationEventMessage")
        let existing = try await ownNegotiation(consumerPid, role: .consumer, caller: caller)
        try checkPids(m, existing)
        let digest = Self.digest(json)
        if existing.lastInbound == digest { return }
        let eventType = try m.string("eventType")
        guard eventType == "FINALIZED" else {
            throw ProtocolError(.badRequest, code: "transition.invalid", "a provider can only send the FINALIZED event, not \(eventType)")
        }
        var n = existing
        try n.apply(.finalize, from: .provider, now: self.now())
        n.lastInbound = digest
        try await persist(n, agreement: nil)
    }

    // MARK: helpers

    /// The other node's base URL (without a trailing slash) and DID. A DID that follows from the
    /// URL is resolved through the resolver's cache; otherwise the node is asked for its document.
    func peer(at url: String) async throws -> (base: String, did: WebDID) {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard let did = WebDID(baseURL: base) else { return (base, try await peers.didDocument(baseURL: base).id) }
        do { return (base, try await resolver.resolve(did).id) } catch { throw PeerError("cannot resolve \(did.value): \(error.message)") }
    }

    /// The provider's decision on a request: agree when the terms are the offer's and the policy
    /// permits, refuse with reasons when it does not, counter-offer when the terms were changed.
    func decide(_ negotiation: ContractNegotiation, requested: UsagePolicy, record: DatasetRecord, initial: Bool) throws -> (ContractNegotiation, ContractAgreement?) {
        var n = negotiation
        let now = self.now()
        switch ContractTerms.compare(requested: requested, offered: record.offer) {
        case .changed(let purpose):
            n.purpose = purpose ?? n.purpose
            try n.apply(.offer, from: .provider, now: self.now())
            var offer = record.offer
            offer.id = DSPCatalogRenderer.offerID(for: record)
            n.offer = ContractTerms.messageOffer(offer, target: record.identifier.description)
            let consumerPid = n.consumerPid ?? ""
            n.queue.append(OutgoingMessage(
                url: "\(n.counterpartyAddress)/negotiations/\(consumerPid)/offers",
                body: DSPNegotiationMessages.offer(providerPid: n.id, consumerPid: consumerPid, offer: n.offer, callbackAddress: nil)))
            return (n, nil)
        case .accepted(let purpose):
            n.purpose = purpose ?? n.purpose
        }
        let compiled = try CompiledPolicy(record.offer)
        let recipient = (n.recipient ?? RecipientFacts(did: n.counterparty, sector: nil, region: nil, role: nil)).policyRecipient
        // The grade's controls come first: the agreement names the consumer as its assignee, and
        // only a consumer with a membership credential counts as identified.
        let gradeDecision = GradeControls.agreement(
            grade: record.grade, assignee: n.counterparty, verifiedRecipient: n.recipient?.role != nil ? n.recipient?.did : nil,
            offeredActions: Set(record.offer.permissions.map(\.action.name)))
        var reasons: [String] = gradeDecision.permitted ? [] : gradeDecision.reasons.map(\.description)
        var permitted = false
        for action in gradeDecision.permitted ? Set(record.offer.permissions.map(\.action.name)).sorted() : [] {
            let decision = compiled.evaluate(PolicyRequest(action: action, purpose: n.purpose, recipient: recipient, now: now))
            if decision.permitted {
                permitted = true
                break
            }
            reasons += decision.reasons.map(\.description)
        }
        guard permitted else {
            try n.apply(.terminate, from: .provider, now: self.now())
            n.reasons = reasons
            if !initial, let message = terminationMessage(n, code: gradeDecision.permitted ? "policy.denied" : "grade.denied") { n.queue.append(message) }
            return (n, nil)
        }
        let agreementID = Self.newPid()
        let json = ContractTerms.agreement(
            id: agreementID, offer: record.offer, purpose: n.purpose, target: record.identifier.description, provider: did.value, consumer: n.counterparty,
            at: now)
        let signature = try DetachedSignature.sign(ContractAgreement.canonicalBytes(json), kid: keyID, key: key)
        try n.apply(.agree, from: .provider, now: self.now())
        n.agreementID = agreementID
        let consumerPid = n.consumerPid ?? ""
        n.queue.append(OutgoingMessage(
            url: "\(n.counterpartyAddress)/negotiations/\(consumerPid)/agreement",
            body: DSPNegotiationMessages.agreement(providerPid: n.id, consumerPid: consumerPid, agreement: json, signature: signature)))
        let agreement = ContractAgreement(
            id: agreementID, negotiationID: n.id, role: .provider, dataset: record.identifier.description, provider: did.value, consumer: n.counterparty,
            purpose: n.purpose, agreedAt: ISO8601.parseDateTime(ISO8601.format(now)) ?? now, policy: json, providerSignature: signature,
            consumerSignature: nil, recipient: n.recipient ?? RecipientFacts(did: n.counterparty, sector: nil, region: nil, role: nil),
            datasetVersion: record.version)
        return (n, agreement)
    }

    func terminationMessage(_ n: ContractNegotiation, code: String) -> OutgoingMessage? {
        guard let providerPid = n.providerPid, let consumerPid = n.consumerPid else { return nil }
        let pid = n.role == .provider ? consumerPid : providerPid
        return OutgoingMessage(
            url: "\(n.counterpartyAddress)/negotiations/\(pid)/termination",
            body: DSPNegotiationMessages.termination(providerPid: providerPid, consumerPid: consumerPid, code: code, reasons: n.reasons))
    }

    /// Stores a changed negotiation (and agreement), wakes waiters, sends what it queued.
    ///
    /// `n` was computed from a copy read earlier: it is stored only if nobody changed the
    /// negotiation since (compare-and-swap on its revision), else `ContractConflict`, and the
    /// caller recomputes from the new state (`retryingConflicts`).
    func persist(_ n: ContractNegotiation, agreement: ContractAgreement?) async throws {
        _ = try await store.replaceNegotiation(n, agreement: agreement)
        await negotiationChanged(n.id)
        if !n.queue.isEmpty { kick(.negotiation(n.id)) }
    }

    /// A negotiation of ours in `role` with the caller as counterparty; anything else is 404.
    public func ownNegotiation(_ pid: String, role: ContractRole, caller: VerifiedCaller) async throws -> ContractNegotiation {
        guard let n = try await store.negotiation(id: pid), n.role == role, n.counterparty == caller.did.value else {
            throw ProtocolError(.notFound, code: "negotiation.unknown", "no negotiation \(pid)")
        }
        return n
    }

    func checkPids(_ m: DSPMessage, _ n: ContractNegotiation) throws {
        let providerPid = try m.string("providerPid")
        let consumerPid = try m.string("consumerPid")
        guard providerPid == n.providerPid || n.providerPid == nil, consumerPid == n.consumerPid else {
            throw ProtocolError(.badRequest, code: "message.pids", "providerPid/consumerPid do not match negotiation \(n.id)")
        }
    }

    func activeRecord(_ identifier: String) async throws -> DatasetRecord {
        guard let id = try? UnifiedIdentifier(parsing: identifier), let record = try await catalog.record(id), record.status == .active else {
            throw ProtocolError(.badRequest, code: "offer.target", "no active dataset \(identifier) in this catalog")
        }
        return record
    }

    public func negotiationBody(_ n: ContractNegotiation) -> JSONValue {
        DSPNegotiationMessages.negotiation(providerPid: n.providerPid ?? "", consumerPid: n.consumerPid ?? "", state: n.state.rawValue)
    }
}

extension NegotiationStateMachine {
    static func error(_ state: NegotiationState, _ event: NegotiationEvent) -> TransitionError {
        TransitionError(from: state.rawValue, event: event.rawValue, message: "cannot \(event.rawValue) a negotiation in state \(state.rawValue)")
    }
}
