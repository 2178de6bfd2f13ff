/// Why an identity artefact (token, credential, DID document, signature) was refused.
/// `code` is stable for clients; `message` names the exact problem.
public struct IdentityError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case malformedToken = "malformed_token"
        case unsupportedAlgorithm = "unsupported_algorithm"
        case badSignature = "bad_signature"
        case unknownKey = "unknown_key"
        case expired
        case notYetValid = "not_yet_valid"
        case lifetimeTooLong = "lifetime_too_long"
        case wrongAudience = "wrong_audience"
        case replayed
        case subjectMismatch = "subject_mismatch"
        case credentialMissing = "credential_missing"
        case credentialUntrusted = "credential_untrusted"
        case credentialInvalid = "credential_invalid"
        case credentialExpired = "credential_expired"
        case credentialRevoked = "credential_revoked"
        case didResolution = "did_resolution"
        case missingToken = "missing_token"
        /// The caller could not be verified now — its DID document or its authority's
        /// revocation list could not be fetched (no answer, a timeout, a server error): unlike
        /// the others, worth trying again shortly.
        case verificationUnavailable = "verification_unavailable"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
