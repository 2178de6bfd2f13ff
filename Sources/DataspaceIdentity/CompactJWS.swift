import Crypto
import DataspaceCore
import Foundation

/// A compact JWS (RFC 7515) signed with EdDSA/Ed25519 (RFC 8037): the one format this node uses
/// for ID tokens, credentials, applications and revocation lists.
public struct CompactJWS: Sendable {
    public let header: [String: JSONValue]
    public let claims: [String: JSONValue]
    public let signingInput: Data
    public let signature: Data
    public let compact: String

    /// Splits and decodes a token without checking its signature.
    public init(parsing token: String) throws(IdentityError) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw IdentityError(.malformedToken, "a compact JWS has three dot-separated parts, found \(parts.count)")
        }
        guard let headerData = Base64URL.decode(parts[0]), let header = try? JSONValue.parse(headerData).objectValue else {
            throw IdentityError(.malformedToken, "JWS header is not base64url-encoded JSON")
        }
        guard let claimsData = Base64URL.decode(parts[1]), let claims = try? JSONValue.parse(claimsData).objectValue else {
            throw IdentityError(.malformedToken, "JWS payload is not base64url-encoded JSON")
        }
        guard let signature = Base64URL.decode(parts[2]), signature.count == 64 else {
            throw IdentityError(.malformedToken, "JWS signature is not a base64url 64-byte Ed25519 signature")
        }
        guard header["alg"]?.stringValue == "EdDSA" else {
            throw IdentityError(.unsupportedAlgorithm, "only alg EdDSA is accepted, got \(header["alg"]?.stringValue ?? "none")")
        }
        self.header = header
        self.claims = claims
        self.signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        self.signature = signature
        self.compact = token
    }

    /// Signs claims with the given key; `kid` names the DID verification method.
    public static func sign(claims: [String: JSONValue], type: String, kid: String, key: NodeKey) throws -> String {
        let header: JSONValue = ["alg": "EdDSA", "typ": .string(type), "kid": .string(kid)]
        let input = Base64URL.encode(header.encoded()) + "." + Base64URL.encode(JSONValue.object(claims).encoded())
        let signature = try key.sign(Data(input.utf8))
        return input + "." + Base64URL.encode(signature)
    }

    public var kid: String? { header["kid"]?.stringValue }

    public func verify(with key: Curve25519.Signing.PublicKey) throws(IdentityError) {
        guard key.isValidSignature(signature, for: signingInput) else {
            throw IdentityError(.badSignature, "signature does not verify with the key \(kid ?? "given")")
        }
    }

    public func string(_ claim: String) -> String? { claims[claim]?.stringValue }

    /// A NumericDate claim (RFC 7519 §2) as a date, or nil when it is missing, not a number, or
    /// outside 1970…9999 (`TimeWindow.numericDates`): a token claiming to expire in the year
    /// 10^300 is malformed, not valid forever, and never reaches date formatting.
    public func date(_ claim: String) -> Date? {
        guard let seconds = claims[claim]?.doubleValue, TimeWindow.numericDates.contains(seconds) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }
}
