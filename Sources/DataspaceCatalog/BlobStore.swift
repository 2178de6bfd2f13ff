import DataspaceCore
import Crypto
import Foundation

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
}

extension BlobWriter {
    public var pendingPath: String? { nil }
    public func seal() throws {}
}

/// Blobs as files under `root/ab/cdef…`, written to `root/tmp` then fsynced and renamed, so a
/// crash leaves either the whole blob or a temp file that start-up removes.
public struct FileBlobStore: BlobStore {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
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

final class FileBlobWriter: BlobWriter {
    let store: FileBlobStore
    let tempURL: URL
    let handle: FileHandle
    var hasher = SHA256()
    var size: Int64 = 0
    var finished = false

    init(store: FileBlobStore) throws {
        self.store = store
        tempURL = store.root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString)
        guard FileManager.default.createFile(atPath: tempURL.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CatalogError(.storage, "cannot create \(tempURL.path)")
        }
        handle = try FileHandle(forWritingTo: tempURL)
    }

    var pendingPath: String? { tempURL.path }

    /// Bytes up to here have been handed to the kernel's writeback (`startWriteback`).
    var flushed: Int64 = 0

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        size += Int64(bytes.count)
        try handle.write(contentsOf: bytes)
        if size - flushed >= Self.writebackStride { startWriteback() }
    }

    /// Large uploads are written back to disk as they arrive rather than all at the commit's
    /// fsync, so the disk works during the transfer and the final fsync has little left to do.
    static let writebackStride: Int64 = 32 << 20

    func startWriteback() {
        // Starts writing the range out without waiting for it; the commit's fsync remains what
        // makes the blob durable.
        _ = Self.syncFileRange?(handle.fileDescriptor, flushed, size - flushed, Self.syncFileRangeWrite)
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
        let digest = Hex.encode(hasher.finalize())
        try handle.synchronize()
        try handle.close()
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
        if sealedDigest == nil { try? handle.close() }
        try? FileManager.default.removeItem(at: tempURL)
    }

    deinit { abort() }

    static func syncDirectory(_ url: URL) {
        let fd = Foundation.open(url.path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
