import Crypto
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceProtocol
import Foundation

extension ContractService {
    /// Wakes waiters on the negotiation. Its evidence (agreed, terminated) was queued by the store
    /// with the state change; append it now.
    public func negotiationChanged(_ id: String) async {
        await notifier.notify(id)
        await ledger?.flush()
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
        let reply = try await peers.send(PeerMethod.GET, address.endpoint + "/receipt", headers: [("Authorization", "Bearer \(address.token)")], limit: 1 << 20)
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
