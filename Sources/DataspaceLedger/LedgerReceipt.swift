import Foundation

/// Offline-verifiable evidence that an entry is in a log: a C2SP tlog-proof
/// (`c2sp.org/tlog-proof@v1`) whose `extra` line carries the entry itself, so the proof needs
/// nothing but the log's verifier key (and, if demanded, witness keys) to check.
public struct LedgerReceipt: Sendable, Equatable {
    public static let header = "c2sp.org/tlog-proof@v1"

    public let entry: [UInt8]
    public let index: UInt64
    public let proof: [MerkleHash]
    /// The signed checkpoint, verbatim, with any cosignatures.
    public let checkpoint: String

    public init(entry: [UInt8], index: UInt64, proof: [MerkleHash], checkpoint: String) {
        self.entry = entry
        self.index = index
        self.proof = proof
        self.checkpoint = checkpoint
    }

    public var text: String {
        var out = "\(Self.header)\nextra \(Data(entry).base64EncodedString())\nindex \(index)\n"
        for hash in proof { out += hash.base64 + "\n" }
        return out + "\n" + checkpoint
    }

    /// Parses the text form strictly: any stray byte is an error, not something to skip.
    public init(parsing text: String) throws(NoteError) {
        var rest = Substring(text)
        func line() throws(NoteError) -> Substring {
            guard let newline = rest.firstIndex(of: "\n") else { throw NoteError("receipt ends inside a line") }
            let l = rest[..<newline]
            rest = rest[rest.index(after: newline)...]
            return l
        }
        guard try line() == Self.header else { throw NoteError("receipt does not start with \(Self.header)") }
        var current = try line()
        guard current.hasPrefix("extra ") else { throw NoteError("receipt has no 'extra' line carrying the entry") }
        guard let entry = StrictBase64.decode(current.dropFirst(6)) else { throw NoteError("receipt extra is not base64") }
        current = try line()
        guard current.hasPrefix("index "), let index = Self.decimal(current.dropFirst(6)) else {
            throw NoteError("receipt index must be a decimal number without leading zeros")
        }
        var proof: [MerkleHash] = []
        while true {
            let l = try line()
            if l.isEmpty { break }
            guard let hash = MerkleHash(base64: String(l)) else { throw NoteError("receipt proof line \(proof.count + 1) is not a base64 SHA-256 hash") }
            proof.append(hash)
            guard proof.count <= 63 else { throw NoteError("receipt proof has more than 63 hashes") }
        }
        self.init(entry: Array(entry), index: index, proof: proof, checkpoint: String(rest))
    }

    /// Checks the log's signature, the inclusion of the entry, and (with `quorum` > 0) the
    /// witnesses' cosignatures; returns the checkpoint the entry is proven against.
    @discardableResult
    public func verify(log: NoteVerifier, witnesses: [CosignatureVerifier] = [], quorum: Int = 0) throws -> Checkpoint {
        let (checkpoint, note) = try Checkpoint.open(self.checkpoint, log: log)
        if quorum > 0 { try note.requireCosignatures(witnesses, quorum: quorum) } else { _ = try note.cosignatures(witnesses) }
        try MerkleProof.verifyInclusion(leaf: .leaf(entry), index: index, size: checkpoint.size, proof: proof, root: checkpoint.root)
        return checkpoint
    }

    static func decimal(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), text == "0" || !text.hasPrefix("0") else { return nil }
        return UInt64(text)
    }
}
