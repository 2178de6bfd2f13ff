import Crypto
import DataspaceCore
import Foundation

/// A JWS with detached payload (RFC 7515 appendix F): `header..signature`. Used to sign a
/// contract agreement's canonical bytes so either party can later prove what both agreed to,
/// without the signature carrying (or being able to change) the agreement itself.
public enum DetachedSignature {
    public static func sign(_ payload: Data, kid: String, key: NodeKey) throws -> String {
        let header: JSONValue = ["alg": "EdDSA", "kid": .string(kid), "typ": "agreement+jws"]
        let encodedHeader = Base64URL.encode(header.encoded())
        let signature = try key.sign(Data((encodedHeader + "." + Base64URL.encode(payload)).utf8))
        return encodedHeader + ".." + Base64URL.encode(signature)
    }

    /// The `kid` a detached signature names, to find the signer's key.
    public static func kid(_ jws: String) throws(IdentityError) -> String {
        try CompactJWS(parsing: attach(jws, Data("{}".utf8))).kid ?? ""
    }

    /// Checks `jws` over `payload` with the signer's public key.
    public static func verify(_ jws: String, payload: Data, key: Curve25519.Signing.PublicKey) throws(IdentityError) {
        let parts = jws.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].isEmpty else {
            throw IdentityError(.malformedToken, "a detached JWS has the form header..signature")
        }
        let full = try CompactJWS(parsing: attach(jws, payload))
        try full.verify(with: key)
    }

    static func attach(_ jws: String, _ payload: Data) -> String {
        let parts = jws.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return jws }
        return "\(parts[0]).\(Base64URL.encode(payload)).\(parts[2])"
    }
}
