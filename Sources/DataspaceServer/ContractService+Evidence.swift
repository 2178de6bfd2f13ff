import Crypto
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceProtocol
import Foundation

/// Negotiations that end — agreed (FINALIZED) or TERMINATED — are recorded in the evidence log
/// by each party, with the hash of the signed agreement.
extension ContractService {
    /// Wakes waiters on the negotiation and records its outcome once it has one.
    func negotiationChanged(_ id: String) async {
        await notifier.notify(id)
        guard let ledger, let n = try? await store.negotiation(id: id) else { return }
        switch n.state {
        case .finalized:
            guard let agreementID = n.agreementID else { return }
            await ledger.recordOnce(.negotiationAgreed, ref: n.id) {
                guard let agreement = try await store.agreement(id: agreementID) else { return nil }
                return [
                    "negotiation": .string(n.id), "role": .string(n.role.rawValue), "agreement": .string(agreement.id),
                    "dataset": .string(agreement.dataset), "provider": .string(agreement.provider), "consumer": .string(agreement.consumer),
                    "agreementSha256": .string(Self.signedAgreementHash(agreement)),
                ]
            }
        case .terminated:
            await ledger.recordOnce(.negotiationTerminated, ref: n.id) {
                [
                    "negotiation": .string(n.id), "role": .string(n.role.rawValue), "dataset": .string(n.dataset),
                    "counterparty": .string(n.counterparty),
                ]
            }
        default:
            return
        }
    }

    /// SHA-256 of the signed agreement: RFC 8785 JSON of the agreed policy and both signatures.
    static func signedAgreementHash(_ agreement: ContractAgreement) -> String {
        var object: [String: JSONValue] = ["policy": agreement.policy, "providerSignature": .string(agreement.providerSignature)]
        if let consumer = agreement.consumerSignature { object["consumerSignature"] = .string(consumer) }
        return Hex.encode(Array(SHA256.hash(data: JSONValue.object(object).canonicalBytes)))
    }
}

extension ContractService {
    /// Consumer: fetches the provider's receipt for its latest delivery on `transferID`, checks
    /// it against the log key the provider publishes in its DID document and that the entry
    /// really is that delivery, and keeps it — evidence against the provider held by the consumer.
    public func fetchDeliveryReceipt(transferID: String) async throws -> (index: UInt64, text: String) {
        guard let t = try await store.transfer(id: transferID) else { throw ContractNotFound("transfer", transferID) }
        guard t.role == .consumer, let address = t.dataAddress, let providerPid = t.providerPid else {
            throw ProtocolError(.badRequest, code: "receipt.unavailable", "only a consumer's started transfer has a provider receipt")
        }
        let reply = try await peers.send(.GET, address.endpoint + "/receipt", headers: [("Authorization", "Bearer \(address.token)")], limit: 1 << 20)
        guard reply.status == 200 else {
            throw PeerError("the provider answered \(reply.status) for the receipt: \(String(decoding: reply.body.prefix(300), as: UTF8.self))", status: reply.status)
        }
        let text = String(decoding: reply.body, as: UTF8.self)
        let provider = try WebDID(t.counterparty)
        let document = try await resolver.resolve(provider)
        guard let keyText = document.verifierKey(ofServiceType: DIDDocument.logServiceType) else {
            throw PeerError("\(provider.value) publishes no log key in its DID document")
        }
        let receipt: LedgerReceipt
        let event: LedgerEvent
        do {
            receipt = try LedgerReceipt(parsing: text)
            try receipt.verify(log: try NoteVerifier(keyText))
            event = try LedgerEvent(entry: receipt.entry)
        } catch {
            throw PeerError("the provider's receipt does not verify: \(error)")
        }
        guard event.kind == .transferDelivered, event.node == provider.value, event.fields["transfer"]?.stringValue == providerPid,
            event.fields["agreement"]?.stringValue == t.agreementID
        else {
            throw PeerError("the provider's receipt is for another event (\(event.kind.rawValue), transfer \(event.fields["transfer"]?.stringValue ?? "none"))")
        }
        try await store.saveDeliveryReceipt(transferID: t.id, index: receipt.index, receipt: text)
        return (receipt.index, text)
    }
}
