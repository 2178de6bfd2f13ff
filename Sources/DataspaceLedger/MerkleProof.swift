/// Why a proof did not verify.
public struct ProofError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Verification of inclusion and consistency proofs (RFC 9162 §2.1.3.2 and §2.1.4.2). Nothing
/// here trusts the prover: sizes, indices and the proof's length are all checked.
public enum MerkleProof {
    /// Checks that `leaf` is entry `index` of the tree of `size` entries whose root is `root`.
    public static func verifyInclusion(leaf: MerkleHash, index: UInt64, size: UInt64, proof: [MerkleHash], root: MerkleHash) throws(ProofError) {
        guard index < size else { throw ProofError("leaf index \(index) is outside a tree of \(size) entries") }
        let computed = try rootFromInclusion(leaf: leaf, index: index, size: size, proof: proof)
        guard computed == root else { throw ProofError("inclusion proof leads to \(computed), not the root \(root)") }
    }

    /// The root an inclusion proof implies.
    public static func rootFromInclusion(leaf: MerkleHash, index: UInt64, size: UInt64, proof: [MerkleHash]) throws(ProofError) -> MerkleHash {
        guard index < size else { throw ProofError("leaf index \(index) is outside a tree of \(size) entries") }
        var fn = index
        var sn = size - 1
        var r = leaf
        for p in proof {
            guard sn != 0 else { throw ProofError("inclusion proof is longer than the tree is deep") }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw ProofError("inclusion proof is shorter than the tree is deep") }
        return r
    }

    /// Checks that the tree of `size2` entries with root `root2` extends the tree of `size1`
    /// entries with root `root1`: nothing was removed or rewritten, only appended.
    public static func verifyConsistency(size1: UInt64, size2: UInt64, root1: MerkleHash, root2: MerkleHash, proof: [MerkleHash]) throws(ProofError) {
        guard size1 <= size2 else { throw ProofError("size1 \(size1) is larger than size2 \(size2)") }
        guard size1 != 0 else { throw ProofError("there is no consistency proof from the empty tree") }
        if size1 == size2 {
            guard proof.isEmpty else { throw ProofError("a proof between equal sizes must be empty") }
            guard root1 == root2 else { throw ProofError("equal sizes with different roots") }
            return
        }
        guard !proof.isEmpty else { throw ProofError("consistency proof is empty") }
        var path = proof
        // A first tree whose size is a power of two is itself a node of the second: start from it.
        if size1 & (size1 - 1) == 0 { path.insert(root1, at: 0) }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw ProofError("consistency proof is too long") }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw ProofError("consistency proof is too short") }
        guard fr == root1 else { throw ProofError("consistency proof does not lead to the first root") }
        guard sr == root2 else { throw ProofError("consistency proof does not lead to the second root") }
    }
}
