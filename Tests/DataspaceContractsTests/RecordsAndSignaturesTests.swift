import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import Foundation
import Testing

@Suite struct RecordsAndSignaturesTests {
    @Test func negotiationsAndTransfersRoundTripThroughTheirStoredForm() throws {
        var n = ContractNegotiation(
            id: "urn:uuid:n", role: .provider, providerPid: "urn:uuid:n", consumerPid: "urn:uuid:c", state: .agreed, counterparty: "did:web:c.example",
            counterpartyAddress: "https://c.example/dsp/callback", dataset: "86.440100.X/Y", purpose: "research",
            offer: ["permission": [["action": "use"]]], now: Date(timeIntervalSince1970: 1_790_000_000.25))
        n.recipient = RecipientFacts(did: "did:web:c.example", sector: "transport", region: "440106", role: "participant")
        n.queue = [OutgoingMessage(url: "https://c.example/a", body: ["x": 1]), OutgoingMessage(url: "https://c.example/b", body: ["y": "二"])]
        n.queue[0].attempts = 3
        n.reasons = ["one", "two"]
        n.agreementID = "urn:uuid:a"
        n.lastInbound = "abc"
        #expect(try ContractNegotiation(json: try JSONValue.parse(n.json.encodedString())) == n)

        var t = TransferProcess(
            id: "urn:uuid:t", role: .consumer, providerPid: nil, consumerPid: "urn:uuid:t", agreementID: "urn:uuid:a", dataset: "86.440100.X/Y",
            state: .started, counterparty: "did:web:p.example", counterpartyAddress: "https://p.example/dsp", format: "HttpData-PULL",
            now: Date(timeIntervalSince1970: 1_790_000_000.5))
        t.dataAddress = DataAddress(endpoint: "https://p.example/data/1", token: "tok", expiresAt: Date(timeIntervalSince1970: 1_790_000_600))
        t.sequence = 2
        t.byteSize = 1 << 33
        t.rowCount = 12
        t.sha256 = String(repeating: "a", count: 64)
        #expect(try TransferProcess(json: try JSONValue.parse(t.json.encodedString())) == t)
        #expect(throws: RecordDecodingError.self) { try TransferProcess(json: ["id": "x"]) }
    }

    @Test func agreementSignaturesBindEveryByte() throws {
        let provider = NodeKey(), consumer = NodeKey()
        let providerDID = try WebDID("did:web:p.example"), consumerDID = try WebDID("did:web:c.example")
        let offer = try UsagePolicy.parse(["permission": [["action": "use"]]])
        let policy = ContractTerms.agreement(
            id: "urn:uuid:a", offer: offer, purpose: "research", target: "86.440100.X/Y", provider: providerDID.value, consumer: consumerDID.value,
            at: Date(timeIntervalSince1970: 1_790_000_000))
        let bytes = ContractAgreement.canonicalBytes(policy)
        let agreement = ContractAgreement(
            id: "urn:uuid:a", negotiationID: "urn:uuid:n", role: .provider, dataset: "86.440100.X/Y", provider: providerDID.value, consumer: consumerDID.value,
            purpose: "research", agreedAt: Date(), policy: policy,
            providerSignature: try DetachedSignature.sign(bytes, kid: "\(providerDID.value)#key-1", key: provider),
            consumerSignature: try DetachedSignature.sign(bytes, kid: "\(consumerDID.value)#key-1", key: consumer),
            recipient: RecipientFacts(did: consumerDID.value, sector: nil, region: nil, role: nil))
        let providerDocument = DIDDocument.forNode(did: providerDID, key: provider, baseURL: "https://p.example")
        let consumerDocument = DIDDocument.forNode(did: consumerDID, key: consumer, baseURL: "https://c.example")
        try agreement.verifySignatures(provider: providerDocument, consumer: consumerDocument)
        // The purpose the consumer declared is part of what both signed.
        #expect(agreement.policy.encodedString().contains(#""rightOperand":"research""#))

        var tampered = agreement
        var object = policy.objectValue ?? [:]
        object["assignee"] = "did:web:someone-else.example"
        tampered.policy = .object(object)
        #expect(throws: IdentityError.self) { try tampered.verifySignatures(provider: providerDocument, consumer: consumerDocument) }
        var swapped = agreement
        swapped.consumerSignature = agreement.providerSignature
        #expect(throws: IdentityError.self) { try swapped.verifySignatures(provider: providerDocument, consumer: consumerDocument) }
        #expect(agreement.digest.count == 64)
    }
}
