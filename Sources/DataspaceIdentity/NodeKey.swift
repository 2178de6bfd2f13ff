import Crypto
import Foundation

/// A node's Ed25519 signing key. The private key never leaves the data directory; peers learn
/// the public half from the node's DID document as a JWK.
public struct NodeKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey

    public init() { privateKey = Curve25519.Signing.PrivateKey() }

    public init(rawRepresentation: some ContiguousBytes) throws {
        privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation)
    }

    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }
    public var rawRepresentation: Data { privateKey.rawRepresentation }

    /// The public key as an OKP JSON Web Key (RFC 8037).
    public var publicJWK: [String: String] {
        ["kty": "OKP", "crv": "Ed25519", "x": Base64URL.encode(publicKey.rawRepresentation)]
    }

    public func sign(_ data: some DataProtocol) throws -> Data {
        try privateKey.signature(for: data)
    }
}

extension Curve25519.Signing.PublicKey {
    /// Reads an OKP/Ed25519 JWK; throws when the key is of another type or malformed.
    public init(jwk: [String: String]) throws(IdentityError) {
        guard jwk["kty"] == "OKP", jwk["crv"] == "Ed25519" else {
            throw IdentityError(.unknownKey, "verification key must be an OKP Ed25519 JWK")
        }
        guard let x = jwk["x"], let raw = Base64URL.decode(x), raw.count == 32,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            throw IdentityError(.unknownKey, "JWK 'x' is not a 32-byte Ed25519 public key")
        }
        self = key
    }
}
