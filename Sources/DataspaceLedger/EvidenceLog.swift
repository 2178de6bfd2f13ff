import Foundation
import Synchronization

/// A node's evidence log as each of its processes sees it. One process — the sequencer — holds
/// the writer (`TransparencyLog`: the only one appending, integrating and signing checkpoints,
/// with the directory's lock); every other replica sharing the data directory reads the same
/// tiles and checkpoint from it, so any replica serves tiles, checkpoints, proofs and receipts.
/// A single-process node opens the writer at once and keeps it.
public final class EvidenceLog: Sendable {
    public let directory: URL
    let signer: NoteSigner
    let journalBytes: Int
    let integrationInterval: Duration
    let cache = TileCache()
    private let state = Mutex(State())

    struct State {
        var writer: TransparencyLog?
        /// The checkpoint file as last read by a reader: its modification time and size, and
        /// what it said.
        var read: (stamp: [Double], checkpoint: PublishedCheckpoint)?
    }

    /// Opens the log in `directory`; with `writing`, as its sequencer (throws if another
    /// process holds the directory's lock).
    public init(directory: URL, signer: NoteSigner, journalBytes: Int = TransparencyLog.defaultJournalBytes,
                integrationInterval: Duration = .milliseconds(250), writing: Bool) throws {
        self.directory = directory
        self.signer = signer
        self.journalBytes = journalBytes
        self.integrationInterval = integrationInterval
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tile"), withIntermediateDirectories: true)
        if writing { try openWriter() }
    }

    public var origin: String { signer.verifier.name }
    public var verifier: NoteVerifier { signer.verifier }
    public var storageDirectory: URL { directory }

    /// Whether this process is the log's sequencer.
    public var isSequencer: Bool { state.withLock { $0.writer != nil } }

    var writer: TransparencyLog? { state.withLock { $0.writer } }

    /// Becomes the sequencer: opens the writer, which recovers the tree and integrates what the
    /// journal holds beyond the checkpoint (what a sequencer that died had acknowledged).
    public func openWriter() throws {
        guard writer == nil else { return }
        let log = try TransparencyLog(directory: directory, signer: signer, journalBytes: journalBytes, integrationInterval: integrationInterval)
        state.withLock { $0.writer = log }
    }

    /// Stops being the sequencer: integrates what was acknowledged, then releases the directory.
    public func closeWriter() async {
        guard let log = state.withLock({ state -> TransparencyLog? in
            defer { state.writer = nil }
            return state.writer
        }) else { return }
        await log.shutdown()
    }

    /// The latest signed checkpoint: the writer's, or the one in the directory.
    public var latest: PublishedCheckpoint {
        if let writer { return writer.latest }
        return (try? readCheckpoint()) ?? state.withLock { $0.read?.checkpoint } ?? emptyCheckpoint
    }

    /// Entries covered by the latest checkpoint.
    public var size: UInt64 { latest.size }

    /// Entries acknowledged (on a reader: those in the latest checkpoint).
    public var journaledSize: UInt64 { writer?.journaledSize ?? size }

    public var tiles: TileTree { TileTree(directory: directory, size: size, cache: cache) }

    public func tiles(size: UInt64) throws -> TileTree {
        let latest = self.size
        guard size <= latest else { throw ProofError("the log has only \(latest) entries, not \(size)") }
        return TileTree(directory: directory, size: size, cache: cache)
    }

    /// Appends entries as one unit (sequencer only); returns their indices once durable.
    public func append(contentsOf entries: [[UInt8]]) async throws -> Range<UInt64> {
        guard let writer else { throw LogError("this replica is not the log's sequencer") }
        return try await writer.append(contentsOf: entries)
    }

    /// Waits for the first checkpoint covering `index`: from the writer, or (on a reader) by
    /// rereading the directory's checkpoint until it does, for at most `timeout`.
    public func checkpoint(containing index: UInt64, timeout: Duration = .seconds(30)) async throws -> PublishedCheckpoint {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let writer { return try await writer.checkpoint(containing: index) }
            let current = latest
            if current.size > index { return current }
            guard ContinuousClock.now < deadline else { throw LogError("no checkpoint covers entry \(index) yet (log size \(current.size))") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Returns once this process's writer publishes a checkpoint larger than `size`, or stops
    /// being the writer, or the caller is cancelled. A reader returns at once: it learns of new
    /// checkpoints only by rereading the directory.
    public func published(beyond size: UInt64) async {
        guard let writer else { return }
        await writer.published(beyond: size)
    }

    public func shutdown() async { await closeWriter() }

    /// A reader's view of the directory's checkpoint, reread (and its signature checked) only
    /// when the file changed.
    func readCheckpoint() throws -> PublishedCheckpoint {
        let url = directory.appendingPathComponent("checkpoint")
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        let stamp = [(attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0, Double((attributes[.size] as? Int) ?? 0),
                     Double((attributes[.systemFileNumber] as? Int) ?? 0)]
        if let read = state.withLock({ $0.read }), read.stamp == stamp { return read.checkpoint }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw LogError("cannot read \(url.path)") }
        let text = String(decoding: data, as: UTF8.self)
        let (checkpoint, _) = try Checkpoint.open(text, log: signer.verifier)
        let published = PublishedCheckpoint(size: checkpoint.size, root: checkpoint.root, note: text)
        state.withLock { state in
            // Never step back (a reader racing the rename may see the older file).
            if let previous = state.read?.checkpoint, previous.size > published.size { return }
            state.read = (stamp, published)
        }
        return state.withLock { $0.read?.checkpoint } ?? published
    }

    /// Before any sequencer wrote a checkpoint: the empty tree.
    var emptyCheckpoint: PublishedCheckpoint {
        let note = (try? Checkpoint(origin: origin, size: 0, root: .empty).signed(by: signer)) ?? ""
        return PublishedCheckpoint(size: 0, root: .empty, note: note)
    }
}
