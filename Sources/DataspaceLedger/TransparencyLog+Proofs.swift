import Foundation

/// Proofs served from the tiles of the latest checkpoint.
extension TransparencyLog {
    /// The tiles as of the latest checkpoint (a snapshot: later appends do not change it).
    public var tiles: TileTree { TileTree(directory: directory, size: size, cache: tileCache) }

    /// The tiles of an earlier checkpoint (every size up to the latest is readable).
    public func tiles(size: UInt64) throws -> TileTree {
        let latest = self.size
        guard size <= latest else { throw ProofError("the log has only \(latest) entries, not \(size)") }
        return TileTree(directory: directory, size: size, cache: tileCache)
    }

    /// The directory holding `checkpoint` and `tile/` (served read-only over HTTP).
    public var storageDirectory: URL { directory }

    /// The audit path of entry `index` in the tree of `treeSize` entries (RFC 9162 PATH).
    public func inclusionProof(index: UInt64, treeSize: UInt64) throws -> [MerkleHash] {
        try tiles.inclusionProof(index: index, treeSize: treeSize)
    }

    /// The proof that the tree of `newSize` entries extends the one of `oldSize` (RFC 9162 PROOF).
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> [MerkleHash] {
        try tiles.consistencyProof(oldSize: oldSize, newSize: newSize)
    }

    /// The root of the tree of `treeSize` entries.
    public func root(treeSize: UInt64) throws -> MerkleHash { try tiles.root(treeSize: treeSize) }

    /// The entry stored at `index`.
    public func entry(_ index: UInt64) throws -> [UInt8] { try tiles.entry(index) }
}

/// A tree of `size` entries read from tlog-tiles in `directory`: any perfect subtree's hash is a
/// slice of one tile, so an inclusion or consistency proof for any size up to `size` reads a
/// handful of tiles. Used by the log itself and to check a mirrored copy.
public struct TileTree: Sendable {
    public let directory: URL
    public let size: UInt64
    let cache: TileCache

    public init(directory: URL, size: UInt64, cache: TileCache = TileCache(capacity: 64)) {
        self.directory = directory
        self.size = size
        self.cache = cache
    }

    public func inclusionProof(index: UInt64, treeSize: UInt64) throws -> [MerkleHash] {
        guard treeSize <= size, index < treeSize else { throw ProofError("no entry \(index) in a tree of \(treeSize) entries (log size \(size))") }
        return try path(index, 0, treeSize)
    }

    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> [MerkleHash] {
        guard oldSize > 0, oldSize <= newSize, newSize <= size else {
            throw ProofError("no consistency proof from \(oldSize) to \(newSize) (log size \(size))")
        }
        return try subproof(oldSize, 0, newSize, complete: true)
    }

    public func root(treeSize: UInt64) throws -> MerkleHash {
        guard treeSize <= size else { throw ProofError("the log has only \(size) entries") }
        return treeSize == 0 ? .empty : try rangeHash(0, treeSize)
    }

    public func entry(_ index: UInt64) throws -> [UInt8] {
        guard index < size else { throw ProofError("no entry \(index) (log size \(size))") }
        let bundle = try entries(bundle: index / TilePath.width)
        let offset = Int(index % TilePath.width)
        guard offset < bundle.count else { throw LogError("entry bundle \(index / TilePath.width) is short") }
        return bundle[offset]
    }

    /// The entries of bundle `index` (full, or partial when it is the last).
    public func entries(bundle index: UInt64) throws -> [[UInt8]] {
        let width = index < size / TilePath.width ? TilePath.width : size % TilePath.width
        guard width > 0 else { throw ProofError("no entry bundle \(index) (log size \(size))") }
        let path = directory.appendingPathComponent(TilePath.entries(index: index, width: width)).path
        guard let data = FileManager.default.contents(atPath: path) else { throw LogError("entry bundle \(path) is missing") }
        let entries = try TransparencyLog.parseBundle(Array(data))
        guard UInt64(entries.count) == width else { throw LogError("entry bundle \(path) holds \(entries.count) entries, not \(width)") }
        return entries
    }

    /// The hashes of tile `index` at `level` (full, or partial when it is the last).
    public func tile(level: Int, index: UInt64) throws -> [MerkleHash] {
        try levels(level: level, index: index)[0]
    }

    func levels(level: Int, index: UInt64) throws -> [[MerkleHash]] {
        let count = size >> UInt64(TilePath.height * level)
        let width = index < count / TilePath.width ? TilePath.width : count % TilePath.width
        guard width > 0 else { throw ProofError("no tile \(level)/\(index) (log size \(size))") }
        return try cache.levels(path: TilePath.tile(level: level, index: index, width: width)) {
            try TransparencyLog.readTile(directory: directory, level: level, index: index, width: width)
        }
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
        let levels = try levels(level: level, index: first / TilePath.width)
        let position = Int(first % TilePath.width) >> within
        guard within < levels.count, position < levels[within].count else {
            throw LogError("tile \(level)/\(first / TilePath.width) is shorter than the tree needs")
        }
        return levels[within][position]
    }
}
