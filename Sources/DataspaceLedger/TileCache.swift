import Foundation

/// Tiles never change once written (a partial tile's path names its width), so their hashes —
/// and the interior nodes of each tile's little tree, which proofs need — are kept in memory.
/// Bounded; when full an arbitrary tile is dropped.
public final class TileCache: @unchecked Sendable {
    private let lock = NSLock()
    private var tiles: [String: [[MerkleHash]]] = [:]
    private let capacity: Int

    /// `capacity` tiles (a full tile with its interior nodes takes about 16 KiB).
    public init(capacity: Int = 4_096) { self.capacity = capacity }

    /// The tile's levels: `[0]` its hashes, `[j]` the roots of its aligned 2^j-hash spans.
    func levels(path: String, load: () throws -> [MerkleHash]) rethrows -> [[MerkleHash]] {
        lock.lock()
        if let cached = tiles[path] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        var levels = [try load()]
        while let last = levels.last, last.count > 1 {
            levels.append(stride(from: 0, to: last.count - 1, by: 2).map { MerkleHash.node(last[$0], last[$0 + 1]) })
        }
        lock.lock()
        if tiles.count >= capacity, let victim = tiles.keys.first { tiles[victim] = nil }
        tiles[path] = levels
        lock.unlock()
        return levels
    }
}
