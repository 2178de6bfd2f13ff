import Foundation

/// A C2SP tlog-checkpoint: the log's origin, its size and root hash, as the body of a signed note
/// whose signing key is named after the origin.
public struct Checkpoint: Sendable, Hashable {
    public let origin: String
    public let size: UInt64
    public let root: MerkleHash
    /// Optional extension lines after the root (opaque, kept in order).
    public let extensions: [String]

    public init(origin: String, size: UInt64, root: MerkleHash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// The note text: `origin\nsize\nroot\n` and any extension lines.
    public var body: String {
        ([origin, String(size), root.base64] + extensions).map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint body (the note text, without signatures).
    public init(body: String) throws(NoteError) {
        guard body.hasSuffix("\n") else { throw NoteError("checkpoint must end with a newline") }
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { throw NoteError("checkpoint needs origin, size and root lines") }
        guard !lines[0].isEmpty else { throw NoteError("checkpoint origin is empty") }
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.allSatisfy(\.isASCII), sizeText.allSatisfy(\.isNumber), sizeText == "0" || !sizeText.hasPrefix("0"),
            let size = UInt64(sizeText)
        else { throw NoteError("checkpoint size must be a decimal number without leading zeros") }
        guard let root = MerkleHash(base64: lines[2]) else { throw NoteError("checkpoint root must be a base64 SHA-256 hash") }
        guard !lines.dropFirst(3).contains(where: \.isEmpty) else { throw NoteError("checkpoint extension lines must not be empty") }
        self.init(origin: lines[0], size: size, root: root, extensions: Array(lines.dropFirst(3)))
    }

    /// Signs the checkpoint with the log's key (whose name must be the origin).
    public func signed(by signer: NoteSigner, cosigners: [NoteSigner] = []) throws -> String {
        guard signer.verifier.name == origin else { throw NoteError("the log key is named \(signer.verifier.name), not the origin \(origin)") }
        return try SignedNote.sign(body, with: [signer] + cosigners)
    }

    /// Parses a signed checkpoint and checks the log's own signature.
    public static func open(_ note: String, log: NoteVerifier) throws(NoteError) -> (checkpoint: Checkpoint, note: SignedNote) {
        let signed = try SignedNote(parsing: note)
        let checkpoint = try Checkpoint(body: signed.text)
        guard checkpoint.origin == log.name else { throw NoteError("checkpoint origin \(checkpoint.origin) is not the log \(log.name)") }
        _ = try signed.verify([log])
        return (checkpoint, signed)
    }
}
