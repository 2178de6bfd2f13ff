/// A Merkle tree over leaf hashes held in memory, computing roots and proofs as RFC 9162 §2.1
/// defines them (MTH, PATH, PROOF). The durable, tiled log builds on the same definitions; this
/// form serves verification tools and tests.
public struct MerkleTree: Sendable {
    public private(set) var leaves: [MerkleHash] = []

    public init(leaves: [MerkleHash] = []) { self.leaves = leaves }

    public var size: UInt64 { UInt64(leaves.count) }

    public mutating func append(_ leaf: MerkleHash) { leaves.append(leaf) }

    /// The root of the first `size` entries.
    public func root(size: UInt64? = nil) -> MerkleHash {
        let n = Int(size ?? self.size)
        return n == 0 ? .empty : Self.hash(leaves[0..<n])
    }

    /// The audit path of entry `index` in the tree of `size` entries.
    public func inclusionProof(index: UInt64, size: UInt64) throws(ProofError) -> [MerkleHash] {
        guard size <= self.size, index < size else { throw ProofError("no entry \(index) in a tree of \(size) entries") }
        return Self.path(Int(index), leaves[0..<Int(size)])
    }

    /// The proof that the tree of `size2` entries extends the one of `size1`.
    public func consistencyProof(size1: UInt64, size2: UInt64) throws(ProofError) -> [MerkleHash] {
        guard size1 > 0, size1 <= size2, size2 <= self.size else { throw ProofError("no consistency proof from \(size1) to \(size2)") }
        return Self.subproof(Int(size1), leaves[0..<Int(size2)], complete: true)
    }

    /// The largest power of two smaller than `n` (n ≥ 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    static func hash(_ d: ArraySlice<MerkleHash>) -> MerkleHash {
        if d.count == 1, let only = d.first { return only }
        let k = split(d.count)
        let mid = d.startIndex + k
        return .node(hash(d[d.startIndex..<mid]), hash(d[mid..<d.endIndex]))
    }

    static func path(_ m: Int, _ d: ArraySlice<MerkleHash>) -> [MerkleHash] {
        guard d.count > 1 else { return [] }
        let k = split(d.count)
        let mid = d.startIndex + k
        if m < k { return path(m, d[d.startIndex..<mid]) + [hash(d[mid..<d.endIndex])] }
        return path(m - k, d[mid..<d.endIndex]) + [hash(d[d.startIndex..<mid])]
    }

    static func subproof(_ m: Int, _ d: ArraySlice<MerkleHash>, complete: Bool) -> [MerkleHash] {
        if m == d.count { return complete ? [] : [hash(d)] }
        let k = split(d.count)
        let mid = d.startIndex + k
        if m <= k { return subproof(m, d[d.startIndex..<mid], complete: complete) + [hash(d[mid..<d.endIndex])] }
        return subproof(m - k, d[mid..<d.endIndex], complete: false) + [hash(d[d.startIndex..<mid])]
    }
}
