import Foundation

/// Proofs served from the tiles: any perfect subtree's hash is a slice of one tile, so an
/// inclusion or consistency proof for any size up to the current one reads a handful of tiles.
extension TransparencyLog {
    /// The audit path of entry `index` in the tree of `treeSize` entries (RFC 9162 PATH).
    public func inclusionProof(index: UInt64, treeSize: UInt64) throws -> [MerkleHash] {
        guard treeSize <= size, index < treeSize else { throw ProofError("no entry \(index) in a tree of \(treeSize) entries (log size \(size))") }
        return try path(index, 0, treeSize)
    }

    /// The proof that the tree of `newSize` entries extends the one of `oldSize` (RFC 9162 PROOF).
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> [MerkleHash] {
        guard oldSize > 0, oldSize <= newSize, newSize <= size else {
            throw ProofError("no consistency proof from \(oldSize) to \(newSize) (log size \(size))")
        }
        return try subproof(oldSize, 0, newSize, complete: true)
    }

    /// The root of the tree of `treeSize` entries.
    public func root(treeSize: UInt64) throws -> MerkleHash {
        guard treeSize <= size else { throw ProofError("the log has only \(size) entries") }
        return treeSize == 0 ? .empty : try rangeHash(0, treeSize)
    }

    /// The entry stored at `index`.
    public func entry(_ index: UInt64) throws -> [UInt8] {
        guard index < size else { throw ProofError("no entry \(index) (log size \(size))") }
        let bundleIndex = index / TilePath.width
        let complete = size / TilePath.width
        let width = bundleIndex < complete ? TilePath.width : size % TilePath.width
        let path = directory.appendingPathComponent(TilePath.entries(index: bundleIndex, width: width)).path
        guard let data = FileManager.default.contents(atPath: path) else { throw LogError("entry bundle \(path) is missing") }
        let entries = try Self.parseBundle(Array(data))
        let offset = Int(index % TilePath.width)
        guard offset < entries.count else { throw LogError("entry bundle \(path) is short") }
        return entries[offset]
    }

    static func split(_ n: UInt64) -> UInt64 {
        var k: UInt64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    func path(_ m: UInt64, _ start: UInt64, _ end: UInt64) throws -> [MerkleHash] {
        let n = end - start
        guard n > 1 else { return [] }
        let k = Self.split(n)
        if m < k { return try path(m, start, start + k) + [rangeHash(start + k, end)] }
        return try path(m - k, start + k, end) + [rangeHash(start, start + k)]
    }

    func subproof(_ m: UInt64, _ start: UInt64, _ end: UInt64, complete: Bool) throws -> [MerkleHash] {
        let n = end - start
        if m == n { return complete ? [] : [try rangeHash(start, end)] }
        let k = Self.split(n)
        if m <= k { return try subproof(m, start, start + k, complete: complete) + [rangeHash(start + k, end)] }
        return try subproof(m - k, start + k, end, complete: false) + [rangeHash(start, start + k)]
    }

    /// MTH of entries `[start, end)`, where `start` is a split point of the RFC recursion.
    func rangeHash(_ start: UInt64, _ end: UInt64) throws -> MerkleHash {
        let n = end - start
        if n & (n - 1) == 0, start % n == 0 { return try perfectHash(height: n.trailingZeroBitCount, index: start / n) }
        let k = Self.split(n)
        return .node(try rangeHash(start, start + k), try rangeHash(start + k, end))
    }

    /// The hash of the perfect subtree of `height` levels at position `index` on its level.
    func perfectHash(height: Int, index: UInt64) throws -> MerkleHash {
        let level = height / TilePath.height
        let within = height % TilePath.height
        let first = index << UInt64(within)
        let tileIndex = first / TilePath.width
        let count = size >> UInt64(TilePath.height * level)
        let width = tileIndex < count / TilePath.width ? TilePath.width : count % TilePath.width
        let hashes = try Self.readTile(directory: directory, level: level, index: tileIndex, width: width)
        let offset = Int(first % TilePath.width)
        let span = 1 << within
        guard offset + span <= hashes.count else { throw LogError("tile \(level)/\(tileIndex) is shorter than the tree needs") }
        return MerkleTree(leaves: Array(hashes[offset..<(offset + span)])).root()
    }
}
