import DataspaceCore
import Crypto
import Foundation
import Synchronization

/// Content-addressed storage of published files, keyed by lowercase hex SHA-256.
public protocol BlobStore: Sendable {
    /// Starts a streamed write; nothing is visible until `commit`.
    func beginWrite() throws -> any BlobWriter
    func contains(_ sha256: String) -> Bool
    /// Opens a blob for streamed reading.
    func open(_ sha256: String) throws -> FileHandle
    /// The blob's file path, so the data plane can stream it with non-blocking reads.
    func localPath(_ sha256: String) -> String?
    func remove(_ sha256: String) throws
    func allDigests() throws -> [String]
    /// When a blob was written (nil if there is no such blob).
    func modified(_ sha256: String) -> Date?
}

/// An in-progress blob write. Exactly one of `commit` or `abort` ends it.
public protocol BlobWriter: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Suspends until `write` can take `count` bytes (at most `BlobWriterRoom.largestWrite`)
    /// without waiting for the disk, so that a disk slower than the network holds back the
    /// upload's task rather than blocking one of the few cooperative threads. Throws the
    /// writer's failure.
    func room(for count: Int) async throws
    /// Makes the bytes durable under their digest. `created` is false when an identical blob existed.
    func commit() throws -> (sha256: String, byteSize: Int64, created: Bool)
    /// Makes the bytes durable without making them visible, so a caller can sync them while it
    /// decides whether to keep them; `commit` then only moves them into place (or `abort`
    /// drops them). Optional: `commit` seals whatever is not sealed yet.
    func seal() throws
    func abort()
    /// A local file holding the bytes written so far, readable while the write goes on (the
    /// assessment reads an upload as it lands); nil when the store keeps no such file.
    var pendingPath: String? { get }
    /// Tells `observer` how many bytes the pending file holds after each write that grows it
    /// (on whichever thread writes): a writer may hold the latest bytes back until it has a
    /// whole block for the disk.
    func observeLanding(_ observer: @escaping @Sendable (Int64) -> Void)
    /// Puts every byte written so far into the pending file (before its readers are told the
    /// upload's size); nothing may be written after.
    func flush() throws
    /// The pending file is written around the page cache, so its readers should read it
    /// around the cache too (`O_DIRECT`): reading it through the cache would fill the cache
    /// with it after all.
    var writesAroundCache: Bool { get }
}

/// How much an upload hands a `BlobWriter` at a time after asking for room.
public enum BlobWriterRoom {
    public static let largestWrite = 1 << 20
}

extension BlobWriter {
    public func room(for count: Int) async throws {}
    public var pendingPath: String? { nil }
    public func observeLanding(_ observer: @escaping @Sendable (Int64) -> Void) {}
    public func flush() throws {}
    public var writesAroundCache: Bool { false }
    public func seal() throws {}
}

/// Blobs as files under `root/ab/cdef…`, written to `root/tmp` then fsynced and renamed, so a
/// crash leaves either the whole blob or a temp file that start-up removes.
public struct FileBlobStore: BlobStore {
    public let root: URL
    /// Uploads are written around the page cache where the file system allows it.
    public let writesAroundCache: Bool

    public init(root: URL, writesAroundCache: Bool = true) throws {
        self.root = root
        let temporary = root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        self.writesAroundCache = writesAroundCache && Self.directWritesWork(in: temporary)
    }

    /// Whether a block can be written around the page cache in `directory`: some file systems
    /// accept O_DIRECT when opening and refuse the writes, which must not fail an upload.
    static func directWritesWork(in directory: URL) -> Bool {
        guard let flag = DirectIO.flag else { return false }
        let path = directory.appendingPathComponent("direct-probe-\(UUID().uuidString)").path
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | flag, 0o600)
        guard fd >= 0 else { return false }
        defer {
            close(fd)
            unlink(path)
        }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: DirectIO.alignment, alignment: DirectIO.alignment)
        defer { block.deallocate() }
        block.initializeMemory(as: UInt8.self, repeating: 0)
        return pwrite(fd, block.baseAddress, block.count, 0) == block.count
    }

    func path(_ sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(String(sha256.dropFirst(2)))
    }

    static func isDigest(_ s: String) -> Bool {
        s.count == 64 && s.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    public func beginWrite() throws -> any BlobWriter {
        try FileBlobWriter(store: self)
    }

    public func contains(_ sha256: String) -> Bool {
        Self.isDigest(sha256) && FileManager.default.fileExists(atPath: path(sha256).path)
    }

    public func open(_ sha256: String) throws -> FileHandle {
        guard Self.isDigest(sha256) else { throw CatalogError(.notFound, "no blob \(sha256)") }
        return try FileHandle(forReadingFrom: path(sha256))
    }

    public func localPath(_ sha256: String) -> String? {
        contains(sha256) ? path(sha256).path : nil
    }

    public func remove(_ sha256: String) throws {
        guard Self.isDigest(sha256) else { return }
        let p = path(sha256)
        if FileManager.default.fileExists(atPath: p.path) { try FileManager.default.removeItem(at: p) }
    }

    public func allDigests() throws -> [String] {
        var result: [String] = []
        let fm = FileManager.default
        for dir in try fm.contentsOfDirectory(atPath: root.path) where dir.count == 2 {
            for file in (try? fm.contentsOfDirectory(atPath: root.appendingPathComponent(dir).path)) ?? [] {
                let digest = dir + file
                if Self.isDigest(digest) { result.append(digest) }
            }
        }
        return result
    }

    public func modified(_ sha256: String) -> Date? {
        guard Self.isDigest(sha256) else { return nil }
        return (try? FileManager.default.attributesOfItem(atPath: path(sha256).path))?[.modificationDate] as? Date
    }

    /// Removes temp files left by a crash mid-write — only those last written before `cutoff`
    /// when given: replicas sharing the directory may be writing the others right now.
    public func removeTemporaryFiles(writtenBefore cutoff: Date? = nil) throws {
        _ = Self.removeFiles(in: root.appendingPathComponent("tmp"), writtenBefore: cutoff)
    }

    /// Removes the files of `directory` that `include` accepts by name — only those last written
    /// before `cutoff` when given (replicas sharing the directory may be writing the others
    /// right now); the number removed. Shared by the blob store and the stores derived from it.
    public static func removeFiles(in directory: URL, writtenBefore cutoff: Date?, where include: (String) -> Bool = { _ in true }) -> Int {
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where include(name) {
            let url = directory.appendingPathComponent(name)
            if let cutoff, let written = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date, written >= cutoff {
                continue
            }
            if (try? FileManager.default.removeItem(at: url)) != nil { removed += 1 }
        }
        return removed
    }
}

/// Writes a blob under `root/tmp`. Where the file system allows it (O_DIRECT), the bytes go
/// around the page cache, written and hashed by a `DirectFileWriter` on its own thread: storing
/// a 10 GB upload neither copies it into the cache nor pushes the node's other files out of
/// it. Elsewhere (tmpfs) they go through the cache, hashed here and handed to writeback as
/// they arrive.
final class FileBlobWriter: BlobWriter {
    let store: FileBlobStore
    let tempURL: URL
    let descriptor: Int32
    private let direct: DirectFileWriter?
    private var hasher = SHA256()
    /// Bytes accepted by `write` (through the cache, all of them are in the file).
    private var size: Int64 = 0
    private let observers = LandingObserver()
    private var closed = false
    var finished = false

    init(store: FileBlobStore) throws {
        self.store = store
        tempURL = store.root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString)
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
        var fd: Int32 = -1
        if let flag = DirectIO.flag, store.writesAroundCache {
            fd = Foundation.open(tempURL.path, flags | flag, 0o600)
        }
        var writer: DirectFileWriter?
        if fd >= 0 {
            writer = DirectFileWriter(descriptor: fd) { [observers] total in observers.tell(total) }
            if writer == nil {
                close(fd)
                unlink(tempURL.path)
                fd = -1
            }
        }
        if fd < 0 {
            // The file system refused direct I/O (tmpfs has none): through the cache.
            fd = Foundation.open(tempURL.path, flags, 0o600)
        }
        guard fd >= 0 else { throw CatalogError(.storage, "cannot create \(tempURL.path)") }
        descriptor = fd
        direct = writer
    }

    var pendingPath: String? { tempURL.path }
    var writesAroundCache: Bool { direct != nil }

    func observeLanding(_ observer: @escaping @Sendable (Int64) -> Void) {
        observers.set(observer)
    }

    /// Bytes up to here have been handed to the kernel's writeback (`startWriteback`).
    var flushed: Int64 = 0

    func room(for count: Int) async throws {
        try await direct?.room(for: count)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if let direct {
            try direct.write(bytes)
            size += Int64(bytes.count)
            return
        }
        hasher.update(bufferPointer: bytes)
        try DirectFileWriter.writeFully(descriptor, base, count: bytes.count, at: &size)
        observers.tell(size)
        if size - flushed >= Self.writebackStride { startWriteback() }
    }

    /// The digest once every byte is in the file (`flush`).
    private var digest: SHA256.Digest?

    func flush() throws {
        guard digest == nil else { return }
        digest = try direct?.finish() ?? hasher.finalize()
    }

    /// Large uploads written through the cache go to disk as they arrive rather than all at the
    /// commit's fsync, so the disk works during the transfer and the final fsync has little
    /// left to do.
    static let writebackStride: Int64 = 32 << 20

    func startWriteback() {
        // Starts writing the range out without waiting for it; the commit's fsync remains what
        // makes the blob durable.
        _ = Self.syncFileRange?(descriptor, flushed, size - flushed, Self.syncFileRangeWrite)
        flushed = size
    }

    /// Linux's sync_file_range(2), which Swift's Glibc module does not export; nil elsewhere.
    static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        #else
        return nil
        #endif
    }()
    /// SYNC_FILE_RANGE_WRITE: start writeback of the range's dirty pages, do not wait.
    static let syncFileRangeWrite: UInt32 = 2

    /// The digest, once `seal` has synced the file.
    var sealedDigest: String?

    func seal() throws {
        guard sealedDigest == nil else { return }
        try flush()
        guard let digest = digest.map({ Hex.encode($0) }) else { throw CatalogError(.storage, "the upload was not hashed") }
        guard fsync(descriptor) == 0 else {
            throw CatalogError(.storage, "cannot make the upload durable: \(String(cString: strerror(errno)))")
        }
        closeFile()
        sealedDigest = digest
    }

    func commit() throws -> (sha256: String, byteSize: Int64, created: Bool) {
        finished = true
        do {
            try seal()
            guard let digest = sealedDigest else { throw CatalogError(.storage, "the blob was not sealed") }
            let target = store.path(digest)
            if FileManager.default.fileExists(atPath: target.path) {
                try FileManager.default.removeItem(at: tempURL)
                return (digest, size, false)
            }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if rename(tempURL.path, target.path) != 0 {
                throw CatalogError(.storage, "cannot move blob into place: errno \(errno)")
            }
            Self.syncDirectory(target.deletingLastPathComponent())
            return (digest, size, true)
        } catch {
            try? FileManager.default.removeItem(at: tempURL)
            throw error
        }
    }

    func abort() {
        guard !finished else { return }
        finished = true
        closeFile()
        try? FileManager.default.removeItem(at: tempURL)
    }

    private func closeFile() {
        guard !closed else { return }
        closed = true
        direct?.stop()
        close(descriptor)
    }

    deinit {
        abort()
        closeFile()
    }

    static func syncDirectory(_ url: URL) {
        let fd = Foundation.open(url.path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// Who hears of a pending blob's growth: set once by the caller, told by whichever thread writes.
final class LandingObserver: Sendable {
    private let observer = Mutex<(@Sendable (Int64) -> Void)?>(nil)

    func set(_ observer: @escaping @Sendable (Int64) -> Void) {
        self.observer.withLock { $0 = observer }
    }

    func tell(_ total: Int64) {
        observer.withLock { $0 }?(total)
    }
}
