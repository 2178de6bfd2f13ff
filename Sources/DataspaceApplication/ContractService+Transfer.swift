import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceProtocol
import Foundation

/// Transfer processes (DSP 2025-1, HTTP pull) in both roles.
extension ContractService {
    public var dataPlaneBase: String { publicURL + "/data" }

    // MARK: consumer

    /// Asks the provider to start a transfer under a finalized agreement — or, with
    /// `continueOpen`, returns the agreement's transfer that is still open (requested, started
    /// or suspended), so a consumer that failed to store the data retries within the same
    /// delivery instead of using another (docs/policies.md). `reused` tells which.
    public func requestTransfer(agreementID: String, continueOpen: Bool = false) async throws -> (transfer: TransferProcess, reused: Bool) {
        guard let agreement = try await store.agreement(id: agreementID), agreement.role == .consumer else {
            throw ContractNotFound("agreement", agreementID)
        }
        guard let n = try await store.negotiation(id: agreement.negotiationID), n.state == .finalized else {
            throw ProtocolError(.badRequest, code: "agreement.not_final", "the negotiation of \(agreementID) is not FINALIZED yet")
        }
        if continueOpen, let open = try await store.transfers(agreementID: agreementID, limit: 100).first(where: { $0.role == .consumer && !$0.state.isTerminal }) {
            return (open, true)
        }
        let id = Self.newPid()
        var t = TransferProcess(
            id: id, role: .consumer, providerPid: nil, consumerPid: id, agreementID: agreementID, dataset: agreement.dataset,
            state: try TransferStateMachine.next(nil, on: .request, from: .consumer), counterparty: agreement.provider,
            counterpartyAddress: n.counterpartyAddress, format: DSP.pullFormat, now: now())
        t.queue.append(OutgoingMessage(
            url: n.counterpartyAddress + "/transfers/request",
            body: DSPTransferMessages.request(consumerPid: id, agreementID: agreementID, format: DSP.pullFormat, callbackAddress: callbackBase)))
        try await store.insertTransfer(t)
        kick(.transfer(id))
        return (t, false)
    }

    /// Consumer: the data arrived and checked out; tells the provider.
    public func completeTransfer(_ id: String) async throws -> TransferProcess {
        try await changeTransfer(id) { t in
            guard t.role == .consumer else { throw ProtocolError(.badRequest, code: "role", "the provider completes by delivering; the consumer confirms") }
            try t.apply(.complete, from: .consumer, now: self.now())
            t.queue.append(
                try self.peerMessage(t, DSPTransferMessages.completion(providerPid: try self.pid(t.providerPid), consumerPid: try self.pid(t.consumerPid)), "completion"))
        }
    }

    public func suspendTransfer(_ id: String, reason: String) async throws -> TransferProcess {
        try await changeTransfer(id) { t in
            try t.apply(.suspend, from: t.role, now: self.now())
            t.reasons = [reason]
            t.queue.append(try self.peerMessage(
                t,
                DSPTransferMessages.suspension(providerPid: try self.pid(t.providerPid), consumerPid: try self.pid(t.consumerPid), code: "suspended", reasons: [reason]),
                "suspension"))
        }
    }

    /// Either side resumes a suspended transfer; a provider hands out a fresh data address.
    public func resumeTransfer(_ id: String) async throws -> TransferProcess {
        try await changeTransfer(id) { t in
            try t.apply(.start, from: t.role, now: self.now())
            // Not a ternary: JSONValue is nil-literal expressible, so `: nil` would become `.null`.
            var address: JSONValue?
            if t.role == .provider { address = try self.freshAddress(&t) }
            t.queue.append(try self.peerMessage(
                t, DSPTransferMessages.start(providerPid: try self.pid(t.providerPid), consumerPid: try self.pid(t.consumerPid), dataAddress: address), "start"))
        }
    }

    public func terminateTransfer(_ id: String, reason: String) async throws -> TransferProcess {
        try await changeTransfer(id) { t in
            try t.apply(.terminate, from: t.role, now: self.now())
            t.reasons = [reason]
            // Termination supersedes anything still queued for the other party.
            t.queue.removeAll()
            if let message = try? self.peerMessage(
                t,
                DSPTransferMessages.termination(providerPid: try self.pid(t.providerPid), consumerPid: try self.pid(t.consumerPid), code: "terminated", reasons: [reason]),
                "termination")
            {
                t.queue.append(message)
            }
        }
    }

    // MARK: provider

    /// `TransferRequestMessage`: checks the agreement is the caller's and still permits a delivery
    /// (counting this one), then starts the transfer with a fresh data address.
    public func receiveTransferRequest(_ json: JSONValue, caller: VerifiedCaller) async throws -> JSONValue {
        let m = try DSPMessage(json, type: "TransferRequestMessage")
        let consumerPid = try m.string("consumerPid")
        let agreementID = try m.string("agreementId")
        let format = try m.string("format")
        let callback = try m.string("callbackAddress")
        try Self.checkCallback(callback, caller: caller)
        guard format == DSP.pullFormat else {
            throw ProtocolError(.badRequest, code: "format.unsupported", "format \(format) is not offered; use \(DSP.pullFormat)")
        }
        let id = Self.derivedPid(caller.did.value, consumerPid)
        if let existing = try await store.transfer(id: id) {
            if existing.state == .terminated, existing.queue.isEmpty {
                throw ProtocolError(.forbidden, code: "policy.denied", reasons: existing.reasons)
            }
            return transferBody(existing, state: .requested)
        }
        guard let agreement = try await store.agreement(id: agreementID), agreement.role == .provider, agreement.consumer == caller.did.value else {
            throw ProtocolError(.notFound, code: "agreement.unknown", "no agreement \(agreementID) with \(caller.did.value)")
        }
        guard let n = try await store.negotiation(id: agreement.negotiationID), n.state == .verified || n.state == .finalized else {
            throw ProtocolError(.badRequest, code: "agreement.not_final", "agreement \(agreementID) has not been verified by both parties")
        }
        guard let datasetID = try? UnifiedIdentifier(parsing: agreement.dataset), let current = try await catalog.record(datasetID), current.status == .active
        else {
            throw ProtocolError(.badRequest, code: "dataset.withdrawn", "dataset \(agreement.dataset) is no longer offered")
        }
        // The file delivered is the version the agreement was made on, not whatever is current.
        var record: DatasetRecord? = current
        if let version = agreement.datasetVersion, version != current.version { record = try await catalog.record(datasetID, version: version) }
        guard let record else {
            throw ProtocolError(.gone, code: "dataset.version", "version \(agreement.datasetVersion ?? 0) of \(agreement.dataset) is no longer stored")
        }
        let compiled: CompiledPolicy
        do { compiled = try agreement.compiled() } catch { throw ProtocolError(.badRequest, code: "agreement.invalid", error.description) }
        let recipient = Self.recipientFacts(caller).policyRecipient
        let now = self.now()
        var t = TransferProcess(
            id: id, role: .provider, providerPid: id, consumerPid: consumerPid, agreementID: agreementID, dataset: agreement.dataset,
            state: try TransferStateMachine.next(nil, on: .request, from: .consumer), counterparty: caller.did.value, counterpartyAddress: callback,
            format: format, now: now)
        t.lastInbound = Self.digest(json)
        t.sha256 = record.distribution.sha256
        t.byteSize = record.distribution.byteSize
        t.rowCount = record.distribution.rowCount
        t.mediaType = record.distribution.format.mediaType
        t.credentialID = caller.membership?.id
        t.credentialIssuer = caller.membership?.issuer.value
        try t.apply(.start, from: .provider, now: self.now())
        let address = try freshAddress(&t)
        t.queue.append(OutgoingMessage(
            url: "\(callback)/transfers/\(consumerPid)/start", body: DSPTransferMessages.start(providerPid: id, consumerPid: consumerPid, dataAddress: address)))
        let purpose = agreement.purpose
        let agreedAt = agreement.agreedAt
        do {
            t = try await store.insertNumberedTransfer(t) { sequence in
                let decision = compiled.evaluate(
                    PolicyRequest(action: "download", purpose: purpose, recipient: recipient, now: now, agreedAt: agreedAt, uses: sequence - 1))
                if !decision.permitted {
                    throw ProtocolError(.forbidden, code: "policy.denied", reasons: decision.reasons.map(\.description))
                }
            }
        } catch let error as ProtocolError where error.code == "policy.denied" {
            var refused = t
            refused.state = .terminated
            refused.queue.removeAll()
            refused.dataAddress = nil
            refused.reasons = error.reasons
            try await store.insertTransfer(refused)
            await notifier.notify(id)
            throw error
        }
        await notifier.notify(id)
        CrashPoint.hit("provider.transfer-started")
        kick(.transfer(id))
        return transferBody(t, state: .requested)
    }

    /// Start, completion, suspension and termination messages, in either role.
    public func receiveTransferMessage(_ json: JSONValue, type: String, pid: String, role: ContractRole, caller: VerifiedCaller) async throws {
        let m = try DSPMessage(json, type: type)
        guard let existing = try await store.transfer(id: pid), existing.role == role, existing.counterparty == caller.did.value else {
            throw ProtocolError(.notFound, code: "transfer.unknown", "no transfer process \(pid)")
        }
        let providerPid = try m.string("providerPid")
        let consumerPid = try m.string("consumerPid")
        guard consumerPid == existing.consumerPid, existing.providerPid == nil || existing.providerPid == providerPid else {
            throw ProtocolError(.badRequest, code: "message.pids", "providerPid/consumerPid do not match transfer \(pid)")
        }
        let digest = Self.digest(json)
        if existing.lastInbound == digest { return }
        let sender: ContractRole = role == .provider ? .consumer : .provider
        var t = existing
        t.providerPid = providerPid
        t.lastInbound = digest
        switch type {
        case "TransferStartMessage":
            if role == .consumer {
                guard let address = m.object["dataAddress"] else {
                    throw ProtocolError(.badRequest, code: "message.dataAddress", "an HTTP-pull TransferStartMessage needs a dataAddress")
                }
                let (endpoint, token) = try DSPTransferMessages.parseDataAddress(address)
                // The data address must be the provider's own: we will send the token there and
                // fetch receipts from it, so a provider cannot aim us at a third party.
                let providerBase = (try? WebDID(existing.counterparty))?.baseURL ?? ""
                guard !providerBase.isEmpty, endpoint.hasPrefix(providerBase + "/") else {
                    throw ProtocolError(.badRequest, code: "message.dataAddress", "the data address must be under the provider's own base URL \(providerBase)")
                }
                t.dataAddress = DataAddress(endpoint: endpoint, token: token, expiresAt: nil)
                // A fresh address for a running transfer (after the consumer resumed) is not a transition.
                if t.state != .started { try t.apply(.start, from: sender, now: self.now()) }
            } else {
                try t.apply(.start, from: sender, now: self.now())
                let address = try freshAddress(&t)
                t.queue.append(OutgoingMessage(
                    url: "\(t.counterpartyAddress)/transfers/\(consumerPid)/start",
                    body: DSPTransferMessages.start(providerPid: providerPid, consumerPid: consumerPid, dataAddress: address)))
            }
        case "TransferCompletionMessage":
            try t.apply(.complete, from: sender, now: self.now())
            if role == .consumer { t.reasons = [Self.completedByProvider] }
        case "TransferSuspensionMessage":
            try t.apply(.suspend, from: sender, now: self.now())
            t.reasons = m.reasons
        default:
            try t.apply(.terminate, from: sender, now: self.now())
            t.reasons = m.reasons.isEmpty ? ["terminated by \(caller.did.value)"] : m.reasons
            t.queue.removeAll()
        }
        let final = try await store.replaceTransfer(t)
        await notifier.notify(pid)
        if !final.queue.isEmpty { kick(.transfer(pid)) }
    }

    // MARK: helpers

    /// Issues a new access token for a provider-side transfer and returns its data address.
    func freshAddress(_ t: inout TransferProcess) throws -> JSONValue {
        let endpoint = "\(dataPlaneBase)/\(t.id)"
        let (token, expires) = try DataAccessToken.issue(
            provider: did, key: key, audience: dataPlaneBase, transferID: t.id, agreementID: t.agreementID, consumer: t.counterparty,
            lifetime: accessTokenLifetime, now: now())
        t.dataAddress = DataAddress(endpoint: endpoint, token: token, expiresAt: expires)
        return DSPTransferMessages.dataAddress(endpoint: endpoint, token: token)
    }

    func pid(_ value: String?) throws -> String {
        guard let value else { throw ProtocolError(.badRequest, code: "transfer.unaddressed", "the other party's process id is not known yet") }
        return value
    }

    /// A message to the other party about transfer `t`, at the path its role exposes.
    func peerMessage(_ t: TransferProcess, _ body: JSONValue, _ verb: String) throws -> OutgoingMessage {
        let pid = t.role == .consumer ? try pid(t.providerPid) : try pid(t.consumerPid)
        return OutgoingMessage(url: "\(t.counterpartyAddress)/transfers/\(pid)/\(verb)", body: body)
    }

    func changeTransfer(_ id: String, _ change: @escaping @Sendable (inout TransferProcess) throws -> Void) async throws -> TransferProcess {
        let t = try await store.updateTransfer(id: id, change)
        await notifier.notify(id)
        if !t.queue.isEmpty { kick(.transfer(id)) }
        return t
    }

    public func transferBody(_ t: TransferProcess, state: TransferState? = nil) -> JSONValue {
        DSPTransferMessages.process(providerPid: t.providerPid ?? "", consumerPid: t.consumerPid ?? "", state: (state ?? t.state).rawValue)
    }
}

/// What a delivery under an agreement must do: the grade it is judged by and the masking and
/// watermark applied on the way out.
public struct DeliveryControls: Sendable {
    public var grade: DataGrade
    public var protection: DeliveryProtection
    public var format: TabularFormat?
}

extension ContractService {
    /// The controls for delivering transfer `t` under `agreement`: those of the version the
    /// agreement was made on, tightened by the product's current grade and protection (a regrade
    /// or a new version can make deliveries stricter, never laxer).
    public func deliveryControls(transfer t: TransferProcess, agreement: ContractAgreement) async throws -> DeliveryControls {
        let identifier = try UnifiedIdentifier(parsing: t.dataset)
        let current = try await catalog.record(identifier)
        var agreed: DatasetRecord?
        if let version = agreement.datasetVersion { agreed = try await catalog.record(identifier, version: version) }
        guard let base = agreed ?? current else {
            return DeliveryControls(grade: .general, protection: DeliveryProtection(), format: nil)
        }
        var grade = base.grade
        var protection = base.protection
        if let current {
            grade = grade.stricter(current.grade)
            protection = protection.combined(with: current.protection)
        }
        return DeliveryControls(grade: grade, protection: protection, format: base.distribution.format)
    }
}

/// A data-plane request the provider will not serve, as status, code and explanation.
public struct DeliveryRefusal: Error, Sendable {
    public let status: Int
    public let code: String
    public let detail: String
}

/// A data-plane request admitted under its agreement: what to apply and which delivery it is.
public struct AdmittedDelivery: Sendable {
    public var agreement: ContractAgreement
    public var controls: DeliveryControls
    public var slot: DeliverySlot
}

extension ContractService {
    /// Decides whether a data-plane request for the started transfer `t` may be served: the
    /// grade's controls first, then the agreement's policy (time limits, purpose, region) for the
    /// transfer's delivery, which was reserved when the transfer was accepted — every request of
    /// a transfer (a continuation, a repeat after the consumer failed to store it) joins it.
    public func admitDelivery(_ t: TransferProcess, now: Date) async throws -> AdmittedDelivery {
        guard let agreement = try await store.agreement(id: t.agreementID) else {
            throw DeliveryRefusal(status: 404, code: "agreement.unknown", detail: "no agreement \(t.agreementID)")
        }
        let controls = try await deliveryControls(transfer: t, agreement: agreement)
        let grade = GradeControls.delivery(
            grade: controls.grade, protection: controls.protection, assignee: agreement.policy["assignee"]?.stringValue, consumer: t.counterparty)
        guard grade.permitted else {
            logger.info("delivery refused by grade", metadata: ["transfer": "\(t.id)", "reason": "\(grade.explanation)"])
            throw DeliveryRefusal(status: 403, code: "grade.denied", detail: grade.explanation)
        }
        let compiled = try agreement.compiled()
        let purpose = agreement.purpose
        let recipient = agreement.recipient.policyRecipient
        let agreedAt = agreement.agreedAt
        let slot: DeliverySlot
        do {
            slot = try await store.beginDelivery(agreementID: agreement.id, transferID: t.id, at: now) { uses in
                let decision = compiled.evaluate(
                    PolicyRequest(action: "download", purpose: purpose, recipient: recipient, now: now, agreedAt: agreedAt, uses: uses))
                if !decision.permitted { throw DeliveryRefusal(status: 403, code: "policy.denied", detail: decision.explanation) }
            }
        } catch let unavailable as DeliveryUnavailable {
            throw DeliveryRefusal(status: 409, code: "delivery.released", detail: unavailable.description)
        }
        return AdmittedDelivery(agreement: agreement, controls: controls, slot: slot)
    }

    /// The `transfer.delivered` evidence of a request that sent `bytes` of transfer `t`: who,
    /// what, how much, from where in the file, whether it completed the delivery, and the digest
    /// of what left (`extra` adds the protection a rewritten delivery applied).
    public func deliveredEvidence(
        _ t: TransferProcess, slot: DeliverySlot, bytes: Int64, rangeStart: Int64, complete: Bool, sha256: String, extra: [String: JSONValue] = [:]
    ) -> EvidenceEvent {
        var fields: [String: JSONValue] = [
            "transfer": .string(t.id), "agreement": .string(t.agreementID), "dataset": .string(t.dataset),
            "provider": .string(did.value), "consumer": .string(t.counterparty),
            "bytes": .number(Double(bytes)), "rangeStart": .number(Double(rangeStart)), "complete": .bool(complete),
            "delivery": .number(Double(slot.number)), "sha256": .string(sha256),
        ]
        fields.merge(extra) { _, new in new }
        return EvidenceEvent(kind: LedgerEvent.Kind.transferDelivered.rawValue, fields: fields)
    }

    /// Ends a request's share of a delivery, with its usage record and evidence in one
    /// transaction, then appends the evidence. A failure to record it is logged (and counted),
    /// never thrown into a response that has already been sent.
    public func endDelivery(
        _ slot: DeliverySlot, bytes: Int64, complete: Bool, now: Date, usage: UsageRecord? = nil, evidence: [EvidenceEvent] = []
    ) async {
        do { try await store.endDelivery(slot, bytes: bytes, complete: complete, at: now, usage: usage, evidence: evidence) } catch {
            logger.error("cannot record the end of a delivery", metadata: ["agreement": "\(slot.agreementID)", "number": "\(slot.number)", "error": "\(error)"])
        }
        if !evidence.isEmpty { await ledger?.flush() }
    }
}

extension ContractService {
    /// The one rule for how many deliveries an agreement holds and has used (docs/policies.md):
    /// the provider counts its transfers' deliveries — reserved while a transfer is open, complete
    /// once the file streamed whole, released if it ended first; the consumer counts its
    /// transfers the provider accepted — open ones as reserved, completed ones as delivered.
    public func deliveryCounts(_ agreement: ContractAgreement) async throws -> DeliveryCounts {
        if agreement.role == .provider { return try await store.deliveryCounts(agreementID: agreement.id) }
        return Self.consumerCounts(try await store.transfers(agreementID: agreement.id, limit: 10_000))
    }

    /// The counts of many agreements, for a page that lists them: the consumer's transfers are
    /// read once when they all fit in one read (else per agreement); the provider's per agreement.
    public func deliveryCounts(_ agreements: [ContractAgreement]) async throws -> [String: DeliveryCounts] {
        let limit = 10_000
        let recent = try await store.transfers(agreementID: nil, limit: limit)
        let byAgreement = recent.count < limit ? Dictionary(grouping: recent.filter { $0.role == .consumer }, by: \.agreementID) : nil
        var counts: [String: DeliveryCounts] = [:]
        for a in agreements {
            if a.role == .consumer, let byAgreement {
                counts[a.id] = Self.consumerCounts(byAgreement[a.id, default: []])
            } else {
                counts[a.id] = try await deliveryCounts(a)
            }
        }
        return counts
    }

    /// The consumer's rule: transfers the provider accepted, open ones reserved, completed ones delivered.
    static func consumerCounts(_ transfers: [TransferProcess]) -> DeliveryCounts {
        let accepted = transfers.filter { $0.providerPid != nil }
        return DeliveryCounts(reserved: accepted.filter { !$0.state.isTerminal }.count, complete: accepted.filter { $0.state == .completed }.count)
    }
}
