import Foundation

/// An append-only Merkle log stored as C2SP tlog-tiles under a directory: hash tiles, entry
/// bundles and a signed checkpoint. Appends are batched: every entry waiting when a batch starts
/// is integrated, the tiles and then the checkpoint are made durable (fsync, rename), and only
/// then is each appender told its index. The checkpoint is the only source of truth at start-up;
/// tiles beyond it are leftovers of a crash and are rewritten.
public actor TransparencyLog {
    public static let maximumEntryBytes = 65_535

    let directory: URL
    let signer: NoteSigner
    public private(set) var size: UInt64
    public private(set) var root: MerkleHash
    /// The signed checkpoint for `size`.
    public private(set) var checkpointNote: String
    /// Hashes of the rightmost, incomplete tile at each tile level.
    var edges: [[MerkleHash]]
    /// Entries of the incomplete entry bundle.
    var bundle: [[UInt8]]
    var waiting: [(entry: [UInt8], continuation: CheckedContinuation<UInt64, any Error>)] = []
    var integrating = false

    public var origin: String { signer.verifier.name }

    /// Opens (or creates) the log in `directory`, recovering its state from the checkpoint.
    public init(directory: URL, signer: NoteSigner) throws {
        self.directory = directory
        self.signer = signer
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tile"), withIntermediateDirectories: true)
        let checkpointURL = directory.appendingPathComponent("checkpoint")
        if let data = FileManager.default.contents(atPath: checkpointURL.path) {
            let (checkpoint, _) = try Checkpoint.open(String(decoding: data, as: UTF8.self), log: signer.verifier)
            size = checkpoint.size
            root = checkpoint.root
            checkpointNote = String(decoding: data, as: UTF8.self)
            (edges, bundle) = try Self.recover(directory: directory, size: checkpoint.size)
            let recomputed = Self.root(edges: edges)
            guard recomputed == checkpoint.root else {
                throw LogError("tiles do not recompute to the checkpoint root (\(recomputed) ≠ \(checkpoint.root)); the log directory is damaged")
            }
        } else {
            size = 0
            root = .empty
            edges = []
            bundle = []
            checkpointNote = try Checkpoint(origin: signer.verifier.name, size: 0, root: .empty).signed(by: signer)
            try Self.writeDurably(Data(checkpointNote.utf8), to: checkpointURL, in: directory)
        }
    }

    /// Appends an entry and returns its index once it is durable and covered by a checkpoint.
    public func append(_ entry: [UInt8]) async throws -> UInt64 {
        guard entry.count <= Self.maximumEntryBytes else { throw LogError("entry of \(entry.count) bytes exceeds \(Self.maximumEntryBytes)") }
        return try await withCheckedThrowingContinuation { continuation in
            waiting.append((entry, continuation))
            if !integrating {
                integrating = true
                Task { await self.integrateAll() }
            }
        }
    }

    /// Appends many entries as one batch (imports, benchmarks); returns their indices.
    public func append(contentsOf entries: [[UInt8]]) throws -> Range<UInt64> {
        for entry in entries where entry.count > Self.maximumEntryBytes {
            throw LogError("entry of \(entry.count) bytes exceeds \(Self.maximumEntryBytes)")
        }
        let first = try integrate(entries)
        return first..<(first + UInt64(entries.count))
    }

    func integrateAll() async {
        while !waiting.isEmpty {
            let batch = waiting
            waiting = []
            do {
                let first = try integrate(batch.map(\.entry))
                for (offset, item) in batch.enumerated() { item.continuation.resume(returning: first + UInt64(offset)) }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
            // Let appenders that arrived meanwhile join the next batch.
            await Task.yield()
        }
        integrating = false
    }

    /// Adds entries to the tree, writes their tiles and a new checkpoint; returns the first index.
    func integrate(_ entries: [[UInt8]]) throws -> UInt64 {
        let first = size
        var newEdges = edges
        var newBundle = bundle
        var files: [(path: String, data: Data)] = []
        var n = size
        for entry in entries {
            newBundle.append(entry)
            if UInt64(newBundle.count) == TilePath.width {
                files.append((TilePath.entries(index: n / TilePath.width), Self.bundleData(newBundle)))
                newBundle = []
            }
            Self.add(.leaf(entry), level: 0, count: n, edges: &newEdges, files: &files)
            n += 1
        }
        if !newBundle.isEmpty {
            files.append((TilePath.entries(index: n / TilePath.width, width: UInt64(newBundle.count)), Self.bundleData(newBundle)))
        }
        for (level, hashes) in newEdges.enumerated() where !hashes.isEmpty {
            let count = n >> UInt64(TilePath.height * level)
            files.append((TilePath.tile(level: level, index: count / TilePath.width, width: UInt64(hashes.count)), Self.tileData(hashes)))
        }
        for file in files { try Self.writeDurably(file.data, to: directory.appendingPathComponent(file.path), in: nil) }
        let newRoot = Self.root(edges: newEdges)
        let note = try Checkpoint(origin: signer.verifier.name, size: n, root: newRoot).signed(by: signer)
        try Self.writeDurably(Data(note.utf8), to: directory.appendingPathComponent("checkpoint"), in: directory)
        size = n
        root = newRoot
        edges = newEdges
        bundle = newBundle
        checkpointNote = note
        return first
    }

    /// Adds a node at tile level `level` (the `count`-th there); a completed tile is written and
    /// its root carried one tile level up.
    static func add(_ hash: MerkleHash, level: Int, count: UInt64, edges: inout [[MerkleHash]], files: inout [(path: String, data: Data)]) {
        if edges.count <= level { edges.append([]) }
        edges[level].append(hash)
        guard UInt64(edges[level].count) == TilePath.width else { return }
        let full = edges[level]
        files.append((TilePath.tile(level: level, index: count / TilePath.width), tileData(full)))
        edges[level] = []
        add(MerkleTree(leaves: full).root(), level: level + 1, count: count / TilePath.width, edges: &edges, files: &files)
    }

    /// The root from the incomplete tiles: perfect subtrees from the highest level down, folded
    /// from the right.
    static func root(edges: [[MerkleHash]]) -> MerkleHash {
        var frontier: [MerkleHash] = []
        for hashes in edges.reversed() where !hashes.isEmpty {
            var start = 0
            var remaining = hashes.count
            while remaining > 0 {
                var width = 1
                while width << 1 <= remaining { width <<= 1 }
                frontier.append(MerkleTree(leaves: Array(hashes[start..<(start + width)])).root())
                start += width
                remaining -= width
            }
        }
        guard var r = frontier.popLast() else { return .empty }
        while let left = frontier.popLast() { r = .node(left, r) }
        return r
    }

    static func recover(directory: URL, size: UInt64) throws -> ([[MerkleHash]], [[UInt8]]) {
        var edges: [[MerkleHash]] = []
        var level = 0
        while size >> UInt64(TilePath.height * level) > 0 {
            let count = size >> UInt64(TilePath.height * level)
            let width = count % TilePath.width
            if width > 0 {
                edges.append(try readTile(directory: directory, level: level, index: count / TilePath.width, width: width))
            } else {
                edges.append([])
            }
            level += 1
        }
        var bundle: [[UInt8]] = []
        let width = size % TilePath.width
        if width > 0 {
            let path = directory.appendingPathComponent(TilePath.entries(index: size / TilePath.width, width: width)).path
            guard let data = FileManager.default.contents(atPath: path) else { throw LogError("entry bundle \(path) is missing") }
            bundle = try parseBundle(Array(data))
            guard UInt64(bundle.count) == width else { throw LogError("entry bundle \(path) holds \(bundle.count) entries, not \(width)") }
        }
        return (edges, bundle)
    }

    static func readTile(directory: URL, level: Int, index: UInt64, width: UInt64) throws -> [MerkleHash] {
        let path = directory.appendingPathComponent(TilePath.tile(level: level, index: index, width: width)).path
        guard let data = FileManager.default.contents(atPath: path), UInt64(data.count) == width * UInt64(MerkleHash.size) else {
            throw LogError("tile \(path) is missing or has the wrong size")
        }
        let bytes = Array(data)
        return (0..<Int(width)).compactMap { MerkleHash(bytes[($0 * MerkleHash.size)..<(($0 + 1) * MerkleHash.size)]) }
    }

    static func tileData(_ hashes: [MerkleHash]) -> Data { Data(hashes.flatMap(\.bytes)) }

    /// Entry bundles: each entry as a big-endian 16-bit length and its bytes.
    static func bundleData(_ entries: [[UInt8]]) -> Data {
        var out: [UInt8] = []
        for e in entries { out += [UInt8(e.count >> 8), UInt8(e.count & 0xFF)] + e }
        return Data(out)
    }

    public static func parseBundle(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard i + 2 <= bytes.count else { throw LogError("entry bundle ends inside a length") }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard i + 2 + length <= bytes.count else { throw LogError("entry bundle ends inside an entry") }
            entries.append(Array(bytes[(i + 2)..<(i + 2 + length)]))
            i += 2 + length
        }
        return entries
    }

    /// Writes `data` to a temporary file, fsyncs it, renames it into place and (when `directory`
    /// is given) fsyncs the directory so the rename itself survives a crash.
    static func writeDurably(_ data: Data, to url: URL, in directory: URL?) throws {
        let parent = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let temporary = parent.appendingPathComponent(".\(url.lastPathComponent).\(UInt64.random(in: 0...UInt64.max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LogError("cannot create \(temporary.path)") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0 else {
            unlink(temporary.path)
            throw LogError("cannot write \(url.path)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw LogError("cannot rename into \(url.path)")
        }
        let dirFD = open((directory ?? parent).path, O_RDONLY)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }
}

public struct LogError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
