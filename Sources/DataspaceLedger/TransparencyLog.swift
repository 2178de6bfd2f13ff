import DataspaceCore
import Foundation

/// An append-only Merkle log stored as C2SP tlog-tiles under a directory: hash tiles, entry
/// bundles and a signed checkpoint, with a write-ahead journal in front.
///
/// Two threads do the I/O. The journal thread takes every append waiting, writes them as one
/// journal record, `fdatasync`s it and only then tells each appender its index: that is the
/// durability point. The integration thread, at most every `integrationInterval`, adds what the
/// journal holds to the tiles, makes them durable, then writes and fsyncs a new signed
/// checkpoint; `checkpoint(containing:)` waits for that. At start-up the checkpoint says which
/// tiles are trustworthy, and journal entries beyond it are integrated before anything else.
public final class TransparencyLog: @unchecked Sendable {
    public static let maximumEntryBytes = 65_535
    public static let defaultJournalBytes = 64 << 20

    let directory: URL
    let signer: NoteSigner
    let integrationInterval: Duration
    /// Acknowledged entries allowed to wait for integration before appends wait too: bounds how
    /// long an entry waits for its checkpoint when appenders outrun integration.
    let maximumBacklog: UInt64
    /// Journal thread only, after init.
    let journal: LogJournal
    let lock = NSLock()
    let stopped = DispatchGroup()
    let tileCache = TileCache()
    /// Holds a POSIX record lock on `lock` so a second process cannot open the same log.
    let lockFD: Int32

    // Guarded by `lock`.
    private var pending: [PendingAppend] = []
    private var journaled: UInt64
    private var unintegrated: [[UInt8]] = []
    private var published: PublishedCheckpoint
    private var checkpointWaiters: [(index: UInt64, continuation: CheckedContinuation<PublishedCheckpoint, any Error>)] = []
    /// Callers of `published(beyond:)`, each with the size it waits to see exceeded.
    private let growthWaiters = ConditionWaiters<UInt64>()
    private var failure: LogError?
    private var closing = false
    private var wrapWanted = false
    private var lockReleased = false
    /// The journal thread has exited (after closing, or on failure).
    private var journalDone = false
    /// Someone (the journal thread or an inline appender) is writing the journal.
    private var writing = false
    /// The I/O threads sleep here; each is woken only when there is work for it.
    private let journalParking = Parking()
    private let integrationParking = Parking()

    // Integration thread only (and init).
    private var integratedSize: UInt64
    /// Hashes of the rightmost, incomplete tile at each tile level.
    private var edges: [[MerkleHash]]
    /// Entries of the incomplete entry bundle.
    private var bundle: [[UInt8]]

    public var origin: String { signer.verifier.name }
    public var verifier: NoteVerifier { signer.verifier }

    /// The latest signed checkpoint: its size, root and note text.
    public var latest: PublishedCheckpoint {
        lock.lock()
        defer { lock.unlock() }
        return published
    }

    /// Entries covered by the latest checkpoint.
    public var size: UInt64 { latest.size }

    /// Opens (or creates) the log in `directory`: recovers the checkpoint's tree, integrates
    /// what the journal holds beyond it, and starts the I/O threads.
    public init(
        directory: URL, signer: NoteSigner,
        journalBytes: Int = TransparencyLog.defaultJournalBytes,
        integrationInterval: Duration = .milliseconds(250),
        maximumBacklog: UInt64 = 65_536
    ) throws {
        self.directory = directory
        self.signer = signer
        self.integrationInterval = integrationInterval
        self.maximumBacklog = maximumBacklog
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tile"), withIntermediateDirectories: true)
        lockFD = try Self.lockDirectory(directory)
        journal = try LogJournal(path: directory.appendingPathComponent("journal").path, capacity: journalBytes)
        let checkpointURL = directory.appendingPathComponent("checkpoint")
        if let data = FileManager.default.contents(atPath: checkpointURL.path) {
            let text = String(decoding: data, as: UTF8.self)
            let (checkpoint, _) = try Checkpoint.open(text, log: signer.verifier)
            published = PublishedCheckpoint(size: checkpoint.size, root: checkpoint.root, note: text)
            (edges, bundle) = try Self.recover(directory: directory, size: checkpoint.size)
            let recomputed = Self.root(edges: edges)
            guard recomputed == checkpoint.root else {
                throw LogError("tiles do not recompute to the checkpoint root (\(recomputed) ≠ \(checkpoint.root)); the log directory is damaged")
            }
        } else {
            edges = []
            bundle = []
            let note = try Checkpoint(origin: signer.verifier.name, size: 0, root: .empty).signed(by: signer)
            published = PublishedCheckpoint(size: 0, root: .empty, note: note)
            try Self.writeDurably(Data(note.utf8), to: checkpointURL, in: directory)
        }
        integratedSize = published.size
        journaled = published.size
        if let (first, entries) = try journal.recover() {
            guard first <= published.size else {
                throw LogError("the journal starts at entry \(first), beyond the checkpoint's \(published.size); the log directory is damaged")
            }
            let skip = Int(published.size - first)
            if entries.count > skip {
                published = try integrate(Array(entries[skip...]))
            }
        }
        journaled = published.size
        journal.wrap()
        stopped.enter()
        stopped.enter()
        Thread { [self] in journalLoop() }.start()
        Thread { [self] in integrationLoop() }.start()
    }

    /// Appends an entry; returns its index once it is durable (not yet in a checkpoint).
    public func append(_ entry: [UInt8]) async throws -> UInt64 {
        try await append(contentsOf: [entry]).lowerBound
    }

    /// Appends entries as one unit; returns their indices once all are durable.
    public func append(contentsOf entries: [[UInt8]]) async throws -> Range<UInt64> {
        var bytes = 0
        for entry in entries {
            guard entry.count <= Self.maximumEntryBytes else { throw LogError("entry of \(entry.count) bytes exceeds \(Self.maximumEntryBytes)") }
            bytes += entry.count + 2
        }
        guard !entries.isEmpty else { return journaledSize..<journaledSize }
        if let inline = appendInline(entries, bytes: bytes) {
            let first = try inline.get()
            return first..<(first + UInt64(entries.count))
        }
        let first = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UInt64, any Error>) in
            lock.lock()
            if let failure = failure ?? (closing ? LogError("the log is closed") : nil) {
                lock.unlock()
                continuation.resume(throwing: failure)
                return
            }
            pending.append(PendingAppend(entries: entries, bytes: bytes, continuation: continuation))
            journalParking.wake()
            lock.unlock()
        }
        return first..<(first + UInt64(entries.count))
    }

    /// When nobody is writing the journal and nobody waits, the caller writes its own record:
    /// one fdatasync and no thread hand-off, which is what a lone appender needs. Returns nil
    /// when the append has to queue for the journal thread.
    private func appendInline(_ entries: [[UInt8]], bytes: Int) -> Result<UInt64, any Error>? {
        let recordSize = LogJournal.recordSize(entryBytes: bytes - 2 * entries.count, count: entries.count)
        lock.lock()
        guard !writing, pending.isEmpty, failure == nil, !closing, journaled - published.size < maximumBacklog,
              journal.fits(recordSize) else {
            lock.unlock()
            return nil
        }
        writing = true
        let first = journaled
        lock.unlock()
        let outcome = Result { try journal.write(first: first, entries: entries) }.mapError { $0 as? LogError ?? LogError("\($0)") }
        lock.lock()
        settleWrite(entries, outcome, journalBroken: true)
        // The journal thread waits for this write to end when appends queued meanwhile, the
        // journal failed, or the log is closing (it must not sleep through the shutdown).
        if !pending.isEmpty || failure != nil || closing { journalParking.wake() }
        lock.unlock()
        return outcome.map { first }.mapError { $0 }
    }

    /// Entries acknowledged so far (some perhaps not yet in a checkpoint).
    public var journaledSize: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return journaled
    }

    /// Waits for the first checkpoint that covers entry `index`.
    public func checkpoint(containing index: UInt64) async throws -> PublishedCheckpoint {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if published.size > index {
                let current = published
                lock.unlock()
                continuation.resume(returning: current)
            } else if let failure {
                lock.unlock()
                continuation.resume(throwing: failure)
            } else if index >= journaled {
                let count = journaled
                lock.unlock()
                continuation.resume(throwing: LogError("entry \(index) has not been appended (\(count) entries so far)"))
            } else {
                checkpointWaiters.append((index, continuation))
                lock.unlock()
            }
        }
    }

    /// Returns once a checkpoint larger than `size` is published, or the log closes, or the
    /// caller is cancelled: for a task that acts on each new checkpoint (submitting it to
    /// witnesses) without polling for it. A failed log publishes nothing more, so its callers
    /// wait on (for the log's closing or their cancellation).
    public func published(beyond size: UInt64) async {
        await growthWaiters.wait(for: size) { size in
            lock.lock()
            defer { lock.unlock() }
            return published.size > size || closing
        }
    }

    /// Integrates everything acknowledged, stops the threads and waits for them.
    public func shutdown() async {
        beginClosing()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            stopped.notify(queue: .global()) { done.resume() }
        }
        releaseLock()
    }

    private func releaseLock() {
        lock.lock()
        defer { lock.unlock() }
        guard !lockReleased else { return }
        lockReleased = true
        close(lockFD)
    }

    private func beginClosing() {
        lock.lock()
        closing = true
        journalParking.wake()
        integrationParking.wake()
        lock.unlock()
        growthWaiters.resume { _ in true }
    }

    // MARK: - Journal thread

    private func journalLoop() {
        lock.lock()
        while true {
            while (pending.isEmpty || writing || journaled - published.size >= maximumBacklog) && !closing && failure == nil {
                journalParking.park(lock)
            }
            while writing { journalParking.park(lock) }
            if pending.isEmpty { break }
            if let failure {
                let failed = pending
                pending = []
                lock.unlock()
                for item in failed { item.continuation.resume(throwing: failure) }
                lock.lock()
                continue
            }
            // Take what fits in half the journal (at least one append).
            var batch: [PendingAppend] = []
            var bytes = 0
            while let next = pending.first, batch.isEmpty || bytes + next.bytes <= journal.capacity / 2 {
                batch.append(pending.removeFirst())
                bytes += next.bytes
            }
            let first = journaled
            writing = true
            lock.unlock()
            let entries = batch.flatMap(\.entries)
            let recordSize = LogJournal.recordSize(entryBytes: bytes - 2 * entries.count, count: entries.count)
            var outcome: Result<Void, LogError>
            if recordSize > journal.capacity {
                outcome = .failure(LogError("\(entries.count) entries of \(bytes) bytes do not fit in the journal (\(journal.capacity) bytes)"))
            } else {
                if !journal.fits(recordSize) { waitForIntegration(upTo: first) }
                outcome = Result { try journal.write(first: first, entries: entries) }.mapError { $0 as? LogError ?? LogError("\($0)") }
            }
            lock.lock()
            // A batch too large for the journal is refused alone; any other failure breaks it.
            settleWrite(entries, outcome, journalBroken: recordSize <= journal.capacity)
            lock.unlock()
            switch outcome {
            case .success:
                var index = first
                for item in batch {
                    item.continuation.resume(returning: index)
                    index += UInt64(item.entries.count)
                }
            case .failure(let error):
                for item in batch { item.continuation.resume(throwing: error) }
            }
            lock.lock()
        }
        // The integration thread stops only after this one: what was just written still
        // deserves a checkpoint, and a wrap may be waiting for it.
        journalDone = true
        integrationParking.wake()
        lock.unlock()
        stopped.leave()
    }

    /// Records, with the lock held, the end of a journal write: the entries are durable and go
    /// to integration, or the journal failed (and with `journalBroken` no longer takes appends).
    private func settleWrite(_ entries: [[UInt8]], _ outcome: Result<Void, LogError>, journalBroken: Bool) {
        writing = false
        switch outcome {
        case .success:
            journaled += UInt64(entries.count)
            unintegrated += entries
            integrationParking.wake(ifWaitingFor: .work)
        case .failure(let error):
            guard journalBroken else { return }
            failure = LogError("the journal failed, appends are refused until restart: \(error)")
            integrationParking.wake()
        }
    }

    /// Blocks until the tiles hold every journaled entry (below `size`), then starts the journal over.
    private func waitForIntegration(upTo size: UInt64) {
        lock.lock()
        wrapWanted = true
        integrationParking.wake()
        while published.size < size && failure == nil { journalParking.park(lock) }
        wrapWanted = false
        lock.unlock()
        journal.wrap()
    }

    // MARK: - Integration thread

    private func integrationLoop() {
        lock.lock()
        while true {
            while unintegrated.isEmpty && !(closing && journalDone) && failure == nil { integrationParking.park(lock, waitingFor: .work) }
            if unintegrated.isEmpty || failure != nil { break }
            let batch = unintegrated
            unintegrated = []
            lock.unlock()
            let started = DispatchTime.now()
            let outcome = Result { try integrate(batch) }
            lock.lock()
            var ready: [(continuation: CheckedContinuation<PublishedCheckpoint, any Error>, result: Result<PublishedCheckpoint, any Error>)] = []
            switch outcome {
            case .success(let checkpoint):
                published = checkpoint
                checkpointWaiters.removeAll { waiter in
                    guard waiter.index < checkpoint.size else { return false }
                    ready.append((waiter.continuation, .success(checkpoint)))
                    return true
                }
            case .failure(let error):
                failure = LogError("integration failed, appends are refused until restart: \(error)")
                ready = checkpointWaiters.map { ($0.continuation, .failure(error)) }
                checkpointWaiters = []
            }
            // The journal thread may wait for room in the backlog or for a wrap.
            journalParking.wake()
            let size = published.size
            lock.unlock()
            for waiter in ready { waiter.continuation.resume(with: waiter.result) }
            growthWaiters.resume { $0 < size }
            lock.lock()
            // Pace integrations so their fsyncs leave the disk to the journal; hurry when the
            // journal needs to wrap or the log closes.
            let interval = integrationInterval.components
            let deadline = started + .nanoseconds(Int(interval.seconds) * 1_000_000_000 + Int(interval.attoseconds / 1_000_000_000))
            while !wrapWanted && !closing && failure == nil && DispatchTime.now() < deadline {
                integrationParking.park(lock, until: deadline)
            }
        }
        let abandoned = checkpointWaiters
        checkpointWaiters = []
        let reason = failure ?? LogError("the log closed")
        lock.unlock()
        for waiter in abandoned { waiter.continuation.resume(throwing: reason) }
        stopped.leave()
    }

    /// Adds entries to the tree, writes their tiles durably and then a new checkpoint.
    private func integrate(_ entries: [[UInt8]]) throws -> PublishedCheckpoint {
        var newEdges = edges
        var newBundle = bundle
        var files: [(path: String, data: Data)] = []
        var n = integratedSize
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
        var directories = Set<String>()
        for file in files {
            let url = directory.appendingPathComponent(file.path)
            try Self.writeTile(file.data, to: url)
            directories.insert(url.deletingLastPathComponent().path)
        }
        // The renames must be durable before a checkpoint may name the tiles.
        for path in directories.sorted() { Self.syncDirectory(path) }
        let newRoot = Self.root(edges: newEdges)
        let note = try Checkpoint(origin: signer.verifier.name, size: n, root: newRoot).signed(by: signer)
        try Self.writeDurably(Data(note.utf8), to: directory.appendingPathComponent("checkpoint"), in: directory)
        integratedSize = n
        edges = newEdges
        bundle = newBundle
        return PublishedCheckpoint(size: n, root: newRoot, note: note)
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
    static func bundleData(_ entries: [[UInt8]]) -> Data { Data(bundleBytes(entries)) }

    static func bundleBytes(_ entries: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.reduce(0) { $0 + $1.count + 2 })
        for e in entries {
            out.append(UInt8(e.count >> 8))
            out.append(UInt8(e.count & 0xFF))
            out += e
        }
        return out
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

    /// Locks the log directory against other processes (released when this process exits).
    static func lockDirectory(_ directory: URL) throws -> Int32 {
        let path = directory.appendingPathComponent("lock").path
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw LogError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard lockf(fd, F_TLOCK, 0) == 0 else {
            close(fd)
            throw LogError("the log in \(directory.path) is in use by another process")
        }
        return fd
    }

    /// Writes `data` to a temporary file, fsyncs it, renames it into place and (unless told not
    /// to) fsyncs the directory so the rename itself survives a crash.
    static func writeDurably(_ data: Data, to url: URL, in directory: URL?, syncDirectory: Bool = true) throws {
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
        if syncDirectory { Self.syncDirectory((directory ?? parent).path) }
    }

    /// Writes a tile or entry bundle. A path that already exists may be named by a durable
    /// checkpoint (a partial tile whose width did not change), so it is never truncated in
    /// place: identical content is left alone, anything else is replaced by an atomic rename.
    /// A new path cannot be named by any durable checkpoint yet, so it is written directly.
    static func writeTile(_ data: Data, to url: URL) throws {
        if let existing = FileManager.default.contents(atPath: url.path) {
            if existing == data { return }
            try writeDurably(data, to: url, in: nil, syncDirectory: false)
            return
        }
        var fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        if fd < 0 && errno == ENOENT {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        }
        if fd < 0 && errno == EEXIST {
            // Created since we looked (another writer would be a bug, but stay atomic).
            try writeDurably(data, to: url, in: nil, syncDirectory: false)
            return
        }
        guard fd >= 0 else { throw LogError("cannot create \(url.path): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0 else { throw LogError("cannot write \(url.path)") }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// A signed checkpoint as published: the tree size, its root and the signed note text.
public struct PublishedCheckpoint: Sendable, Equatable {
    public let size: UInt64
    public let root: MerkleHash
    public let note: String
}

/// Where an I/O thread sleeps. `park` and `wake` are called with the log's lock held; the
/// semaphore keeps a wake that races a timeout from being lost (at worst one spurious wake).
final class Parking: @unchecked Sendable {
    enum Reason { case work, anything }
    private var sleeping: Reason?
    private let semaphore = DispatchSemaphore(value: 0)

    func park(_ lock: NSLock, waitingFor reason: Reason = .anything, until deadline: DispatchTime = .distantFuture) {
        sleeping = reason
        lock.unlock()
        _ = semaphore.wait(timeout: deadline)
        lock.lock()
        sleeping = nil
    }

    /// Wakes the thread if it sleeps; with `.work`, only if it sleeps for want of work (not
    /// while it paces itself).
    func wake(ifWaitingFor reason: Reason = .anything) {
        guard let sleeping, reason == .anything || sleeping == reason else { return }
        self.sleeping = nil
        semaphore.signal()
    }
}

struct PendingAppend {
    let entries: [[UInt8]]
    let bytes: Int
    let continuation: CheckedContinuation<UInt64, any Error>
}

public struct LogError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
