import Crypto
import Foundation

/// A SHA-256 Merkle tree hash as RFC 9162 §2.1.1 defines them: leaves are hashed with a `0x00`
/// prefix and interior nodes with `0x01`, so a leaf can never be passed off as a node.
public struct MerkleHash: Sendable, Hashable, CustomStringConvertible {
    public static let size = 32
    public let bytes: [UInt8]

    /// Wraps 32 bytes; nil for any other length.
    public init?(_ bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        guard array.count == Self.size else { return nil }
        self.bytes = array
    }

    init(digest: SHA256.Digest) { bytes = Array(digest) }

    /// The root of the empty tree: SHA-256 of the empty string.
    public static let empty = MerkleHash(digest: SHA256.hash(data: Data()))

    public static func leaf(_ entry: some DataProtocol) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: entry)
        return MerkleHash(digest: hasher.finalize())
    }

    public static func node(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left.bytes)
        hasher.update(data: right.bytes)
        return MerkleHash(digest: hasher.finalize())
    }

    public var base64: String { Data(bytes).base64EncodedString() }

    public init?(base64: String) {
        guard let data = StrictBase64.decode(base64) else { return nil }
        self.init(data)
    }

    public var description: String { base64 }
}
