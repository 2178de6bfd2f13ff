import Foundation

/// Checks a whole log as a tlog-tiles client sees it: reads every entry bundle and tile the
/// checkpoint covers (through `fetch`, from a URL or a directory), recomputes each tile from
/// the level below — leaf hashes from the entries — and the root from the tiles, and compares
/// with the signed checkpoint. Nothing is trusted but the log's verifier key.
public struct LogAudit: Sendable {
    public struct Result: Sendable, Equatable {
        public let checkpoint: Checkpoint
        public let entries: UInt64
        public let tiles: Int
        public let bundles: Int
    }

    public let log: NoteVerifier
    public let fetch: @Sendable (String) async throws -> [UInt8]

    public init(log: NoteVerifier, fetch: @escaping @Sendable (String) async throws -> [UInt8]) {
        self.log = log
        self.fetch = fetch
    }

    /// Audits the tree `note` (a signed checkpoint) commits to; `progress` gets entries checked.
    public func verify(note: String, progress: @Sendable (UInt64, UInt64) -> Void = { _, _ in }) async throws -> Result {
        let (checkpoint, _) = try Checkpoint.open(note, log: log)
        let size = checkpoint.size
        var tileCount = 0
        var bundleCount = 0
        // Level 0 hashes come from the entries themselves.
        var below: [MerkleHash] = []
        var levelHashes: [[MerkleHash]] = []
        var bundle: UInt64 = 0
        while bundle * TilePath.width < size {
            let width = min(TilePath.width, size - bundle * TilePath.width)
            let path = TilePath.entries(index: bundle, width: width)
            let entries = try TransparencyLog.parseBundle(try await fetch(path))
            guard UInt64(entries.count) == width else { throw LogError("\(path) holds \(entries.count) entries, not \(width)") }
            let leaves = entries.map { MerkleHash.leaf($0) }
            let tilePath = TilePath.tile(level: 0, index: bundle, width: width)
            let tile = try Self.hashes(try await fetch(tilePath), path: tilePath)
            guard tile == leaves else { throw LogError("\(tilePath) does not hold the hashes of \(path)") }
            below += leaves
            bundleCount += 1
            tileCount += 1
            bundle += 1
            progress(min(bundle * TilePath.width, size), size)
        }
        levelHashes.append(below)
        // Each higher tile holds the roots of the full tiles of the level below.
        var level = 1
        while size >> UInt64(TilePath.height * level) > 0 {
            let count = size >> UInt64(TilePath.height * level)
            let lower = levelHashes[level - 1]
            var expected: [MerkleHash] = []
            for i in 0..<Int(count) {
                expected.append(MerkleTree(leaves: Array(lower[(i * Int(TilePath.width))..<((i + 1) * Int(TilePath.width))])).root())
            }
            var index: UInt64 = 0
            while index * TilePath.width < count {
                let width = min(TilePath.width, count - index * TilePath.width)
                let path = TilePath.tile(level: level, index: index, width: width)
                let tile = try Self.hashes(try await fetch(path), path: path)
                let start = Int(index * TilePath.width)
                guard tile == Array(expected[start..<(start + Int(width))]) else { throw LogError("\(path) does not match the tiles below it") }
                tileCount += 1
                index += 1
            }
            levelHashes.append(expected)
            level += 1
        }
        let root = size == 0 ? MerkleHash.empty : MerkleTree(leaves: below).root()
        guard root == checkpoint.root else { throw LogError("the entries recompute to root \(root), but the checkpoint says \(checkpoint.root)") }
        return Result(checkpoint: checkpoint, entries: size, tiles: tileCount, bundles: bundleCount)
    }

    static func hashes(_ bytes: [UInt8], path: String) throws -> [MerkleHash] {
        guard bytes.count % MerkleHash.size == 0 else { throw LogError("\(path) is not a whole number of hashes") }
        return stride(from: 0, to: bytes.count, by: MerkleHash.size).compactMap { MerkleHash(bytes[$0..<($0 + MerkleHash.size)]) }
    }
}
