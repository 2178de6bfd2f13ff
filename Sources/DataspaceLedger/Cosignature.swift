import Crypto
import Foundation

/// A witness's key for C2SP tlog-cosignature/v1 (Ed25519, algorithm byte 0x04). Its vkey text is
/// `name+hash+base64(0x04 || key)`.
public struct CosignatureVerifier: Sendable, Hashable {
    static let algorithm: UInt8 = 0x04
    public let name: String
    public let keyID: [UInt8]
    public let publicKey: [UInt8]

    public init(name: String, publicKey: Curve25519.Signing.PublicKey) throws(NoteError) {
        guard NoteVerifier.isValidName(name) else { throw NoteError("cosigner name must be non-empty and contain no '+' or spaces") }
        self.name = name
        self.publicKey = Array(publicKey.rawRepresentation)
        keyID = NoteVerifier.keyID(name: name, publicKey: self.publicKey, algorithm: Self.algorithm)
    }

    public init(_ text: String) throws(NoteError) {
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let raw = Data(base64Encoded: parts[2]), raw.count == 33, raw.first == Self.algorithm,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw.dropFirst())
        else { throw NoteError("cosigner key must be name+hash+base64(0x04 || 32-byte Ed25519 key)") }
        try self.init(name: parts[0], publicKey: key)
        guard NoteVerifier.hex(keyID) == parts[1] else { throw NoteError("cosigner key hash does not match its name and key") }
    }

    public var text: String { "\(name)+\(NoteVerifier.hex(keyID))+\(Data([Self.algorithm] + publicKey).base64EncodedString())" }

    /// The message a cosignature signs: a domain-separating header, the time, the checkpoint body.
    static func message(body: String, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n\(body)".utf8)
    }

    /// The cosignature's timestamp when `signature` is this cosigner's valid cosignature of `body`.
    func verify(_ signature: SignedNote.Signature, body: String) -> UInt64? {
        guard signature.name == name, signature.keyID == keyID, signature.signature.count == 72 else { return nil }
        let timestamp = signature.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard timestamp <= UInt64(Int64.max), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
            key.isValidSignature(Array(signature.signature.dropFirst(8)), for: Self.message(body: body, timestamp: timestamp))
        else { return nil }
        return timestamp
    }
}

/// A witness that cosigns checkpoints it has checked for consistency.
public struct Cosigner: Sendable {
    public let verifier: CosignatureVerifier
    let key: Curve25519.Signing.PrivateKey

    public init(name: String, key: Curve25519.Signing.PrivateKey) throws(NoteError) {
        verifier = try CosignatureVerifier(name: name, publicKey: key.publicKey)
        self.key = key
    }

    /// The signature line to append to the checkpoint's note.
    public func cosign(_ checkpoint: Checkpoint, at timestamp: UInt64) throws -> String {
        let signature = try key.signature(for: CosignatureVerifier.message(body: checkpoint.body, timestamp: timestamp))
        var payload = verifier.keyID
        for shift in stride(from: 56, through: 0, by: -8) { payload.append(UInt8(truncatingIfNeeded: timestamp >> UInt64(shift))) }
        payload += Array(signature)
        return "— \(verifier.name) \(Data(payload).base64EncodedString())\n"
    }
}

extension SignedNote {
    /// The valid cosignatures among `witnesses`, with their timestamps. A cosignature line by a
    /// known witness that does not verify is an error: the note was altered.
    public func cosignatures(_ witnesses: [CosignatureVerifier]) throws(NoteError) -> [(witness: CosignatureVerifier, timestamp: UInt64)] {
        var found: [(CosignatureVerifier, UInt64)] = []
        for s in signatures {
            guard let witness = witnesses.first(where: { $0.name == s.name && $0.keyID == s.keyID }) else { continue }
            guard let timestamp = witness.verify(s, body: text) else { throw NoteError("cosignature by \(s.name) does not verify") }
            found.append((witness, timestamp))
        }
        return found
    }

    /// Demands valid cosignatures from at least `quorum` distinct witnesses of `witnesses`.
    public func requireCosignatures(_ witnesses: [CosignatureVerifier], quorum: Int) throws(NoteError) {
        let distinct = Set(try cosignatures(witnesses).map(\.witness))
        guard distinct.count >= quorum else { throw NoteError("\(distinct.count) of the required \(quorum) witness cosignatures") }
    }
}
