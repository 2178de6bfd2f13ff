/// Proofs about subtrees `[start, end)` of a log (the Merkle Tree Certificates draft's subtree
/// inclusion and consistency proofs, which tlog tooling also uses): a subtree is valid when it is
/// non-empty and `start` is a multiple of the smallest power of two at least its size.
public enum SubtreeProof {
    public static func isValid(start: UInt64, end: UInt64) -> Bool {
        guard start < end else { return false }
        let width = end - start
        var aligned: UInt64 = 1
        while aligned < width { aligned <<= 1 }
        return start % aligned == 0
    }

    /// Checks that `leaf` is entry `index` under the subtree `[start, end)` whose hash is `subtreeRoot`.
    public static func verifyInclusion(
        leaf: MerkleHash, index: UInt64, start: UInt64, end: UInt64, proof: [MerkleHash], subtreeRoot: MerkleHash
    ) throws(ProofError) {
        guard isValid(start: start, end: end) else { throw ProofError("[\(start), \(end)) is not a valid subtree") }
        guard index >= start, index < end else { throw ProofError("entry \(index) is outside the subtree [\(start), \(end))") }
        try MerkleProof.verifyInclusion(leaf: leaf, index: index - start, size: end - start, proof: proof, root: subtreeRoot)
    }

    /// Checks that the subtree `[start, end)` with hash `subtreeRoot` is part of the tree of `size`
    /// entries with root `root`.
    public static func verifyConsistency(
        start: UInt64, end: UInt64, size: UInt64, subtreeRoot: MerkleHash, root: MerkleHash, proof: [MerkleHash]
    ) throws(ProofError) {
        if start == end {
            // An empty subtree is part of any tree that reaches it; its hash is the empty hash.
            guard end <= size, proof.isEmpty, subtreeRoot == .empty else { throw ProofError("an empty subtree needs the empty hash and no proof") }
            return
        }
        guard isValid(start: start, end: end) else { throw ProofError("[\(start), \(end)) is not a valid subtree") }
        guard end <= size else { throw ProofError("subtree ends after the tree (\(end) > \(size))") }
        if start == 0 && end == size {
            guard proof.isEmpty else { throw ProofError("the whole tree needs an empty proof") }
            guard subtreeRoot == root else { throw ProofError("the subtree is the whole tree but the roots differ") }
            return
        }
        guard !proof.isEmpty else { throw ProofError("subtree consistency proof is empty") }
        let last = end - 1
        if end == size {
            // The subtree is on the right edge: climb from its root, one left sibling per level
            // where its ancestor is a right child.
            let height = bitLength(last ^ start)
            guard proof.count == (start >> UInt64(height)).nonzeroBitCount else { throw ProofError("subtree consistency proof has the wrong length") }
            var r = subtreeRoot
            for p in proof { r = .node(p, r) }
            guard r == root else { throw ProofError("subtree consistency proof does not lead to the root") }
            return
        }
        // Paths to the subtree's last entry and the tree's last entry part at `fork`; above it,
        // every sibling is on the left (the border).
        let fork = bitLength(last ^ (size - 1))
        let border = (last >> UInt64(fork)).nonzeroBitCount
        // The proof starts at the height of the rightmost perfect subtree inside the subtree.
        let shift = (end - start).trailingZeroBitCount
        let inner = fork - shift
        guard inner >= 0 else { throw ProofError("subtree consistency proof does not fit the sizes") }
        let perfect = end - start == UInt64(1) << UInt64(shift)
        let seed = perfect ? subtreeRoot : proof[0]
        let path = Array(perfect ? proof[...] : proof.dropFirst())
        guard path.count == inner + border else { throw ProofError("subtree consistency proof has the wrong length") }
        let mask = last >> UInt64(shift)
        if !perfect {
            // Recompute the subtree's own hash from the left siblings that lie inside it.
            let height = bitLength(last ^ start)
            let subInner = min(height, fork) - shift
            let subBorder = max(0, border - (last >> UInt64(height)).nonzeroBitCount)
            var own = seed
            for (level, p) in path[0..<max(0, subInner)].enumerated() where (mask >> UInt64(level)) & 1 == 1 { own = .node(p, own) }
            for p in path[inner..<(inner + subBorder)] { own = .node(p, own) }
            guard own == subtreeRoot else { throw ProofError("subtree consistency proof does not lead to the subtree's hash") }
        }
        var r = seed
        for (level, p) in path[0..<inner].enumerated() { r = (mask >> UInt64(level)) & 1 == 0 ? .node(r, p) : .node(p, r) }
        for p in path[inner...] { r = .node(p, r) }
        guard r == root else { throw ProofError("subtree consistency proof does not lead to the root") }
    }

    static func bitLength(_ x: UInt64) -> Int { 64 - x.leadingZeroBitCount }
}
