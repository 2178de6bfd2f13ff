import Crypto
import DataspaceCore
import Foundation

/// What the evidence log records about contracts, derived from the state change itself so every
/// path that ends a negotiation (a message, the outbox giving up, an operator) queues its entry
/// in the same transaction: `negotiation.agreed` when it reaches FINALIZED, with the hash of the
/// agreement both parties signed, and `negotiation.terminated` when it is TERMINATED.
public enum ContractEvidence {
    public static func negotiationEvents(from old: NegotiationState?, to n: ContractNegotiation, agreement: ContractAgreement?) -> [EvidenceEvent] {
        guard old != n.state else { return [] }
        switch n.state {
        case .finalized:
            guard let agreement else { return [] }
            return [
                EvidenceEvent(kind: "negotiation.agreed", fields: [
                    "negotiation": .string(n.id), "role": .string(n.role.rawValue), "agreement": .string(agreement.id),
                    "dataset": .string(agreement.dataset), "provider": .string(agreement.provider), "consumer": .string(agreement.consumer),
                    "agreementSha256": .string(signedAgreementHash(agreement)),
                ])
            ]
        case .terminated:
            return [
                EvidenceEvent(kind: "negotiation.terminated", fields: [
                    "negotiation": .string(n.id), "role": .string(n.role.rawValue), "dataset": .string(n.dataset),
                    "counterparty": .string(n.counterparty),
                ])
            ]
        default:
            return []
        }
    }

    /// SHA-256 of the signed agreement: RFC 8785 JSON of the agreed policy and both signatures.
    public static func signedAgreementHash(_ agreement: ContractAgreement) -> String {
        var object: [String: JSONValue] = ["policy": agreement.policy, "providerSignature": .string(agreement.providerSignature)]
        if let consumer = agreement.consumerSignature { object["consumerSignature"] = .string(consumer) }
        return Hex.encode(Array(SHA256.hash(data: JSONValue.object(object).canonicalBytes)))
    }
}
