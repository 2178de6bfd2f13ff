import Crypto
import DataspaceCore
import Foundation

/// A node's DID document: its Ed25519 verification key as a JWK, and its DSP service endpoints
/// (the `CatalogService` entry follows the DSP 2025-1 DID service schema).
public struct DIDDocument: Sendable, Hashable {
    public struct VerificationMethod: Sendable, Hashable {
        public var id: String
        public var controller: String
        public var publicKeyJwk: [String: String]
    }

    public struct Service: Sendable, Hashable {
        public var id: String
        public var type: String
        public var endpoint: String
        /// A C2SP note verifier key (`name+hash+base64`) for log and witness services.
        public var verifierKey: String?

        public init(id: String, type: String, endpoint: String, verifierKey: String? = nil) {
            self.id = id
            self.type = type
            self.endpoint = endpoint
            self.verifierKey = verifierKey
        }
    }

    /// Service types for the evidence log and for a witness that cosigns other nodes' logs.
    public static let logServiceType = "TransparencyLog"
    public static let witnessServiceType = "TransparencyLogWitness"

    /// The verifier key of the first service of `type`.
    public func verifierKey(ofServiceType type: String) -> String? {
        services.first { $0.type == type }?.verifierKey
    }

    public var id: WebDID
    public var verificationMethods: [VerificationMethod]
    public var services: [Service]

    public static let keyFragment = "key-1"

    /// The document for a node whose public base URL is `baseURL`.
    /// `logKey` and `witnessKey` are the C2SP verifier keys of the node's evidence log and,
    /// when it witnesses other logs, of its cosignatures.
    public static func forNode(did: WebDID, key: NodeKey, baseURL: String, logKey: String? = nil, witnessKey: String? = nil) -> DIDDocument {
        let kid = "\(did.value)#\(keyFragment)"
        var services = [
            Service(id: "\(did.value)#catalog", type: "CatalogService", endpoint: "\(baseURL)/dsp/catalog"),
            Service(id: "\(did.value)#dsp", type: "DataService", endpoint: "\(baseURL)/.well-known/dspace-version"),
        ]
        if let logKey { services.append(Service(id: "\(did.value)#ledger", type: logServiceType, endpoint: "\(baseURL)/ledger", verifierKey: logKey)) }
        if let witnessKey {
            services.append(Service(id: "\(did.value)#witness", type: witnessServiceType, endpoint: "\(baseURL)/ledger/witness", verifierKey: witnessKey))
        }
        return DIDDocument(
            id: did,
            verificationMethods: [VerificationMethod(id: kid, controller: did.value, publicKeyJwk: key.publicJWK)],
            services: services)
    }

    public var json: JSONValue {
        .object([
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1", "https://w3id.org/dspace/2025/1/context.jsonld"],
            "id": .string(id.value),
            "verificationMethod": .array(verificationMethods.map { vm in
                .object([
                    "id": .string(vm.id), "type": "JsonWebKey2020", "controller": .string(vm.controller),
                    "publicKeyJwk": .object(vm.publicKeyJwk.mapValues { .string($0) }),
                ])
            }),
            "authentication": .array(verificationMethods.map { .string($0.id) }),
            "assertionMethod": .array(verificationMethods.map { .string($0.id) }),
            "service": .array(services.map { service in
                var object: [String: JSONValue] = [
                    "id": .string(service.id), "type": .string(service.type), "serviceEndpoint": .string(service.endpoint),
                ]
                if let key = service.verifierKey { object["verifierKey"] = .string(key) }
                return .object(object)
            }),
        ])
    }

    /// Reads a DID document, checking that it is the document of `expected`.
    public static func parse(_ json: JSONValue, expected: WebDID) throws(IdentityError) -> DIDDocument {
        guard json["id"]?.stringValue == expected.value else {
            throw IdentityError(.didResolution, "DID document id \(json["id"]?.stringValue ?? "missing") does not match \(expected.value)")
        }
        var methods: [VerificationMethod] = []
        for vm in json["verificationMethod"]?.arrayValue ?? [] {
            guard let id = vm["id"]?.stringValue, let jwkObject = vm["publicKeyJwk"]?.objectValue else { continue }
            let jwk = jwkObject.compactMapValues(\.stringValue)
            let fullID = id.hasPrefix("#") ? expected.value + id : id
            methods.append(VerificationMethod(id: fullID, controller: vm["controller"]?.stringValue ?? expected.value, publicKeyJwk: jwk))
        }
        var services: [Service] = []
        for s in json["service"]?.arrayValue ?? [] {
            if let id = s["id"]?.stringValue, let type = s["type"]?.stringValue, let endpoint = s["serviceEndpoint"]?.stringValue {
                services.append(Service(id: id, type: type, endpoint: endpoint, verifierKey: s["verifierKey"]?.stringValue))
            }
        }
        return DIDDocument(id: expected, verificationMethods: methods, services: services)
    }

    /// The public key a JWS `kid` names; only keys of this DID are considered.
    public func publicKey(for kid: String?) throws(IdentityError) -> Curve25519.Signing.PublicKey {
        guard let kid else { throw IdentityError(.unknownKey, "token header has no kid") }
        let fullKid = kid.hasPrefix("#") ? id.value + kid : kid
        guard let method = verificationMethods.first(where: { $0.id == fullKid }) else {
            throw IdentityError(.unknownKey, "key \(kid) is not a verification method of \(id.value)")
        }
        return try Curve25519.Signing.PublicKey(jwk: method.publicKeyJwk)
    }

    public func serviceEndpoint(type: String) -> String? { services.first { $0.type == type }?.endpoint }
}

/// Looks up DID documents. The server implements it over HTTP with a cache; tests may use a table.
public protocol DIDResolver: Sendable {
    func resolve(_ did: WebDID) async throws(IdentityError) -> DIDDocument
}
