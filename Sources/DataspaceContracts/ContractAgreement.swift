import Crypto
import DataspaceCore
import DataspaceIdentity
import Foundation

/// An agreement both parties signed: the ODRL `Agreement` exactly as exchanged, with each party's
/// detached EdDSA signature over its canonical bytes (sorted keys, no whitespace).
public struct ContractAgreement: Sendable, Hashable {
    public var id: String
    public var negotiationID: String
    public var role: ContractRole
    public var dataset: String
    public var provider: String
    public var consumer: String
    public var purpose: String?
    public var agreedAt: Date
    /// The `Agreement` object of the ContractAgreementMessage.
    public var policy: JSONValue
    public var providerSignature: String
    public var consumerSignature: String?
    /// The consumer's credential facts when it agreed, re-used at every delivery.
    public var recipient: RecipientFacts
    /// Provider side: the product version the agreement was made on. Deliveries stream that
    /// version under its own controls (or stricter ones from a later regrade or version); a
    /// later, laxer version never loosens the agreement. Nil on records from before it was kept.
    public var datasetVersion: Int?

    public init(
        id: String, negotiationID: String, role: ContractRole, dataset: String, provider: String, consumer: String, purpose: String?,
        agreedAt: Date, policy: JSONValue, providerSignature: String, consumerSignature: String?, recipient: RecipientFacts,
        datasetVersion: Int? = nil
    ) {
        self.datasetVersion = datasetVersion
        self.id = id
        self.negotiationID = negotiationID
        self.role = role
        self.dataset = dataset
        self.provider = provider
        self.consumer = consumer
        self.purpose = purpose
        self.agreedAt = agreedAt
        self.policy = policy
        self.providerSignature = providerSignature
        self.consumerSignature = consumerSignature
        self.recipient = recipient
    }

    /// The bytes both parties sign.
    public static func canonicalBytes(_ policy: JSONValue) -> Data { policy.encoded() }

    public var canonicalBytes: Data { Self.canonicalBytes(policy) }

    /// SHA-256 of the canonical agreement, hex: what the evidence log will record.
    public var digest: String { Self.digest(policy) }

    public static func digest(_ policy: JSONValue) -> String {
        Hex.encode(SHA256.hash(data: canonicalBytes(policy)))
    }

    /// The agreement's policy, compiled for evaluation at each delivery.
    public func compiled() throws(ValidationError) -> CompiledPolicy {
        try CompiledPolicy.parse(policy, path: "agreement")
    }

    /// Verifies both signatures against the parties' DID documents.
    public func verifySignatures(provider providerDocument: DIDDocument, consumer consumerDocument: DIDDocument?) throws(IdentityError) {
        let bytes = canonicalBytes
        let providerKey = try providerDocument.publicKey(for: try DetachedSignature.kid(providerSignature))
        try DetachedSignature.verify(providerSignature, payload: bytes, key: providerKey)
        if let consumerDocument, let consumerSignature {
            let consumerKey = try consumerDocument.publicKey(for: try DetachedSignature.kid(consumerSignature))
            try DetachedSignature.verify(consumerSignature, payload: bytes, key: consumerKey)
        }
    }
}
