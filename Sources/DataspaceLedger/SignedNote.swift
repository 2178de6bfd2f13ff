import Crypto
import DataspaceCore
import Foundation

/// A C2SP signed-note key (Ed25519, algorithm byte 0x01): a name, a 4-byte key id derived from the
/// name and public key, and the key itself.
public struct NoteVerifier: Sendable, Hashable {
    public let name: String
    public let keyID: [UInt8]
    public let publicKey: [UInt8]

    static let ed25519: UInt8 = 0x01

    /// Parses `name+hash+base64(0x01 || key)` and checks the hash.
    public init(_ text: String) throws(NoteError) {
        // The base64 key may itself contain '+': split only the first two.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, NoteVerifier.isValidName(parts[0]) else { throw NoteError("verifier key must be name+hash+key") }
        guard let key = Data(base64Encoded: parts[2]), key.count == 33, key.first == Self.ed25519 else {
            throw NoteError("verifier key must be base64 of 0x01 and a 32-byte Ed25519 key")
        }
        let publicKey = Array(key.dropFirst())
        let id = Self.keyID(name: parts[0], publicKey: publicKey)
        guard parts[1] == Self.hex(id) else { throw NoteError("verifier key hash \(parts[1]) does not match its name and key") }
        name = parts[0]
        keyID = id
        self.publicKey = publicKey
    }

    public init(name: String, publicKey: Curve25519.Signing.PublicKey) throws(NoteError) {
        guard Self.isValidName(name) else { throw NoteError("key name must be non-empty and contain no '+', spaces or newlines") }
        self.name = name
        self.publicKey = Array(publicKey.rawRepresentation)
        keyID = Self.keyID(name: name, publicKey: self.publicKey)
    }

    /// The standard text form, as published in DID documents and configuration.
    public var text: String { "\(name)+\(Self.hex(keyID))+\(Data([Self.ed25519] + publicKey).base64EncodedString())" }

    static func keyID(name: String, publicKey: [UInt8], algorithm: UInt8 = ed25519) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, algorithm] + publicKey)
        return Array(hasher.finalize().prefix(4))
    }

    static func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains(where: { $0 == "+" || $0.isWhitespace })
    }

    func verify(signature: [UInt8], over text: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: text)
    }
}

/// A C2SP signed-note signer.
public struct NoteSigner: Sendable {
    public let verifier: NoteVerifier
    let key: Curve25519.Signing.PrivateKey

    public init(name: String, key: Curve25519.Signing.PrivateKey) throws(NoteError) {
        verifier = try NoteVerifier(name: name, publicKey: key.publicKey)
        self.key = key
    }

    /// Parses the Go sumdb form `PRIVATE+KEY+name+hash+base64(0x01 || seed)`.
    public init(privateKey text: String) throws(NoteError) {
        let parts = text.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else { throw NoteError("private key must be PRIVATE+KEY+name+hash+key") }
        guard let raw = Data(base64Encoded: parts[4]), raw.count == 33, raw.first == NoteVerifier.ed25519,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw.dropFirst())
        else { throw NoteError("private key must be base64 of 0x01 and a 32-byte Ed25519 seed") }
        try self.init(name: parts[2], key: key)
        guard NoteVerifier.hex(verifier.keyID) == parts[3] else { throw NoteError("private key hash does not match") }
    }

    /// The signature line for `text` (Ed25519 over the note text, which ends with a newline).
    public func signatureLine(for text: String) throws -> String {
        let signature = try key.signature(for: Array(text.utf8))
        return "— \(verifier.name) \(Data(verifier.keyID + Array(signature)).base64EncodedString())\n"
    }
}

/// A note and its signatures (C2SP signed-note): text ending in a newline, a blank line, then
/// one `— name base64(keyID || signature)` line per signature.
public struct SignedNote: Sendable, Hashable {
    public let text: String
    public let signatures: [Signature]

    public struct Signature: Sendable, Hashable {
        public let name: String
        public let keyID: [UInt8]
        public let signature: [UInt8]
    }

    public static func sign(_ text: String, with signers: [NoteSigner]) throws -> String {
        guard text.hasSuffix("\n"), !text.contains("\n\n") else { throw NoteError("note text must end with a newline and contain no blank line") }
        var out = text + "\n"
        for signer in signers { out += try signer.signatureLine(for: text) }
        return out
    }

    /// Splits a signed note; nothing is verified yet.
    public init(parsing note: String) throws(NoteError) {
        guard let split = note.range(of: "\n\n", options: .backwards) else { throw NoteError("signed note has no blank line before its signatures") }
        let text = String(note[..<split.lowerBound]) + "\n"
        let block = note[split.upperBound...]
        guard block.hasSuffix("\n") else { throw NoteError("signature block must end with a newline") }
        var signatures: [Signature] = []
        for line in block.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("— ") else { throw NoteError("signature line must start with an em dash: \(line.prefix(40))") }
            let fields = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, NoteVerifier.isValidName(String(fields[0])), let raw = StrictBase64.decode(fields[1]), raw.count > 4 else {
                throw NoteError("malformed signature line: \(line.prefix(60))")
            }
            signatures.append(Signature(name: String(fields[0]), keyID: Array(raw.prefix(4)), signature: Array(raw.dropFirst(4))))
        }
        guard !signatures.isEmpty else { throw NoteError("signed note carries no signature") }
        self.text = text
        self.signatures = signatures
    }

    /// The verifiers (among `known`) whose valid signature the note carries. A signature by a
    /// known key that does not verify is an error: it means the note was altered.
    public func verify(_ known: [NoteVerifier]) throws(NoteError) -> [NoteVerifier] {
        var valid: [NoteVerifier] = []
        for s in signatures {
            guard let verifier = known.first(where: { $0.name == s.name && $0.keyID == s.keyID }) else { continue }
            guard verifier.verify(signature: s.signature, over: Array(text.utf8)) else {
                throw NoteError("signature by \(s.name) does not verify")
            }
            valid.append(verifier)
        }
        guard !valid.isEmpty else { throw NoteError("no signature by a known key") }
        return valid
    }
}

public struct NoteError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
