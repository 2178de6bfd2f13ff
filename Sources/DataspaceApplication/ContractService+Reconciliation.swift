import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation

/// Both parties' counts of an agreement's deliveries side by side, transfer by transfer, with
/// what each difference means and what to do about it (`dataspace reconcile`).
public struct DeliveryReconciliation: Sendable {
    public struct Line: Sendable {
        public var transfer: String
        public var consumerState: String?
        public var providerDelivery: DeliveryState?
        public var bytes: Int64?
        public var agrees: Bool
        public var note: String
    }

    public var agreementID: String
    public var role: ContractRole
    public var consumer: DeliveryCounts?
    public var provider: DeliveryCounts?
    public var lines: [Line]
    /// Why the other side's view is missing (the provider could not be asked).
    public var providerProblem: String?

    /// Both sides counted the same deliveries used and held.
    public var agrees: Bool { consumer != nil && consumer == provider }
}

extension ContractService {
    /// Provider side of the reconciliation (DSP extension, `GET /dsp/agreements/{id}/deliveries`):
    /// the agreement's deliveries as this node counts them, to its consumer only.
    public func deliveryStatement(agreementID: String, caller: VerifiedCaller) async throws -> JSONValue {
        guard let agreement = try await store.agreement(id: agreementID), agreement.role == .provider, agreement.consumer == caller.did.value else {
            throw ProtocolError(.notFound, code: "agreement.unknown", "no agreement \(agreementID) with \(caller.did.value)")
        }
        let counts = try await store.deliveryCounts(agreementID: agreementID)
        var items: [JSONValue] = []
        for d in try await store.deliveries(agreementID: agreementID) {
            guard let t = try await store.transfer(id: d.transferID) else { continue }
            var o: [String: JSONValue] = [
                "providerPid": .string(d.transferID), "consumerPid": .string(t.consumerPid ?? ""), "number": .number(Double(d.number)),
                "state": .string(d.state.rawValue), "bytes": .number(Double(d.bytes)), "requests": .number(Double(d.requests)),
                "transferState": .string(t.state.rawValue), "reservedAt": .string(ISO8601.format(d.reservedAt)),
            ]
            if let c = d.completedAt { o["completedAt"] = .string(ISO8601.format(c)) }
            items.append(.object(o))
        }
        return [
            "agreementId": .string(agreementID), "reserved": .number(Double(counts.reserved)), "complete": .number(Double(counts.complete)),
            "deliveries": .array(items),
        ]
    }

    /// This node's count of an agreement's deliveries beside the other party's: a consumer asks
    /// its provider; a provider shows its own (it cannot see what the consumer stored).
    public func reconcile(agreementID: String) async throws -> DeliveryReconciliation {
        guard let agreement = try await store.agreement(id: agreementID) else { throw ContractNotFound("agreement", agreementID) }
        if agreement.role == .provider {
            let lines = try await store.deliveries(agreementID: agreementID).map { d in
                DeliveryReconciliation.Line(
                    transfer: d.transferID, consumerState: nil, providerDelivery: d.state, bytes: d.bytes, agrees: true, note: Self.providerNote(d.state))
            }
            return DeliveryReconciliation(
                agreementID: agreementID, role: .provider, consumer: nil, provider: try await store.deliveryCounts(agreementID: agreementID), lines: lines)
        }
        let mine = try await store.transfers(agreementID: agreementID, limit: 10_000).filter { $0.role == .consumer }
        let consumerCounts = try await deliveryCounts(agreement)
        var reconciliation = DeliveryReconciliation(agreementID: agreementID, role: .consumer, consumer: consumerCounts, provider: nil, lines: [])
        let theirs: [String: JSONValue]
        do {
            let statement = try await providerStatement(agreement)
            reconciliation.provider = DeliveryCounts(reserved: statement["reserved"]?.intValue ?? 0, complete: statement["complete"]?.intValue ?? 0)
            var byConsumerPid: [String: JSONValue] = [:]
            for item in statement["deliveries"]?.arrayValue ?? [] { if let pid = item["consumerPid"]?.stringValue { byConsumerPid[pid] = item } }
            theirs = byConsumerPid
        } catch {
            reconciliation.providerProblem = "\(error)"
            theirs = [:]
        }
        for t in mine.sorted(by: { $0.createdAt < $1.createdAt }) {
            let item = theirs[t.id]
            let delivery = item?["state"]?.stringValue.flatMap(DeliveryState.init(rawValue:))
            let (agrees, note) = reconciliation.providerProblem == nil ? Self.compare(t, delivery) : (false, "the provider could not be asked")
            reconciliation.lines.append(DeliveryReconciliation.Line(
                transfer: t.id, consumerState: t.state.rawValue, providerDelivery: delivery, bytes: item?["bytes"]?.int64Value, agrees: agrees, note: note))
        }
        return reconciliation
    }

    func providerStatement(_ agreement: ContractAgreement) async throws -> JSONValue {
        guard let n = try await store.negotiation(id: agreement.negotiationID) else { throw ContractNotFound("negotiation", agreement.negotiationID) }
        let provider = try WebDID(agreement.provider)
        let token = try await tokenFor(provider)
        let encoded = agreement.id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? agreement.id
        let reply = try await peers.send(PeerMethod.GET, n.counterpartyAddress + "/agreements/\(encoded)/deliveries", headers: [("Authorization", "Bearer \(token)")])
        guard reply.status == 200 else {
            let reason = Self.peerReason((try? reply.json()) ?? .null)
            throw PeerError("the provider \(n.counterpartyAddress) answered \(reply.status): \(reason)", status: reply.status)
        }
        return try reply.json()
    }

    /// The reason a consumer's transfer carries when the provider, not this node, completed it.
    static let completedByProvider = "completed by the provider"

    static func providerNote(_ state: DeliveryState) -> String {
        switch state {
        case .complete: "delivered: the file streamed whole (a use)"
        case .reserved: "open: held against the limit until delivered or timed out"
        case .released: "released: the transfer ended before the file streamed whole (no use)"
        }
    }

    /// Whether one consumer transfer and the provider's delivery for it tell the same story.
    static func compare(_ t: TransferProcess, _ delivery: DeliveryState?) -> (Bool, String) {
        switch (t.state, delivery) {
        case (.completed, .complete?):
            // Completed by this node after a verified fetch, or by the provider's time-out.
            return (true, t.reasons.contains(completedByProvider) ? "delivered; completed by the provider, never confirmed here" : "delivered and confirmed")
        case (.terminated, .released?), (.terminated, nil): return (true, "ended; nothing used")
        case (.requested, nil): return (true, "not yet accepted by the provider")
        case (.requested, .reserved?), (.started, .reserved?), (.suspended, .reserved?):
            return (true, "open: not yet delivered (run `dataspace fetch` to continue it)")
        case (.started, .complete?), (.suspended, .complete?):
            return (false, "the provider streamed the whole file but this node has not confirmed it: run `dataspace fetch` again to retry within the same delivery")
        case (.terminated, .complete?):
            return (false, "the provider streamed the whole file (a use) but this transfer ended before the data was stored here")
        case (.completed, _):
            return (false, "confirmed here, but the provider records no complete delivery for it")
        case (_, .released?):
            return (false, "the provider released this delivery (timed out); this transfer will time out too — request a new one")
        default:
            return (false, "the provider has no record of this transfer")
        }
    }
}
