import Crypto
import DataspaceCatalog
import DataspaceCore
import DataspacePrivacy
import Foundation

/// Products' query stores kept as files, built when a version is published (the catalog calls
/// `prepare` while it assesses the file) and read back, memory-mapped, by whichever process
/// answers the product's first query. A store is named by the stored file's SHA-256 and the
/// compute declaration's, so a new declaration or a new file gets its own store and replicas
/// sharing the blob directory share the stores too. Files are written to `root/tmp`, synced
/// and renamed into place, so a crash leaves a whole store or none; a store that does not read
/// back (damaged, another format version) is removed and built again from the product's file.
public struct QueryStoreFiles: ComputeStorePreparing {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
    }

    /// `root/<file sha256>-<first 16 hex digits of the declaration's SHA-256>.dsq`.
    func url(sha256: String, schema: ComputeSchema) -> URL {
        let declaration = Hex.encode(SHA256.hash(data: schema.json.canonicalBytes)).prefix(16)
        return root.appendingPathComponent("\(sha256)-\(declaration).dsq")
    }

    public func prepare(sha256: String, path: String, schema: ComputeSchema) async throws {
        let target = url(sha256: sha256, schema: schema)
        if FileManager.default.fileExists(atPath: target.path) { return }
        do {
            let store = try await QueryStoreCache.build(path: path, schema: schema)
            try await save(store, sha256: sha256)
        } catch let refusal as ComputeRefusal {
            throw CatalogError(refusal.status == 410 ? .storage : .invalidFile, refusal.detail, field: refusal.field)
        }
    }

    /// The kept store, or nil when there is none or it does not read back (it is then removed).
    public func load(sha256: String, schema: ComputeSchema) async -> QueryStore? {
        let source = url(sha256: sha256, schema: schema)
        guard FileManager.default.fileExists(atPath: source.path) else { return nil }
        return await offCooperativeThreads(qos: .utility) { () -> QueryStore? in
            do {
                let data = try Data(contentsOf: source, options: .alwaysMapped)
                return try data.withUnsafeBytes { try QueryStore(encoded: $0, schema: schema) }
            } catch {
                try? FileManager.default.removeItem(at: source)
                return nil
            }
        }
    }

    /// Writes the store under its name (temp file, sync, rename).
    public func save(_ store: QueryStore, sha256: String) async throws {
        let target = url(sha256: sha256, schema: store.schema)
        let temporary = root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString)
        try await offCooperativeThreads(qos: .utility) {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CatalogError(.storage, "cannot create \(temporary.path)")
            }
            do {
                let handle = try FileHandle(forWritingTo: temporary)
                defer { try? handle.close() }
                // Small pieces are gathered so the header and dictionaries are not many tiny writes.
                var pending: [UInt8] = []
                try store.encode { piece in
                    if piece.count < 1 << 16 {
                        pending.append(contentsOf: piece)
                        if pending.count < 1 << 20 { return }
                    }
                    if !pending.isEmpty {
                        try handle.write(contentsOf: pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                    if piece.count >= 1 << 16 { try handle.write(contentsOf: piece) }
                }
                if !pending.isEmpty { try handle.write(contentsOf: pending) }
                try handle.synchronize()
                // rename(2) replaces atomically: replicas saving the same store at once both succeed.
                guard rename(temporary.path, target.path) == 0 else {
                    throw CatalogError(.storage, "cannot put the query store in place at \(target.path)")
                }
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
        }
    }

    public func removeStores(except referenced: Set<String>, writtenBefore cutoff: Date?) throws -> Int {
        FileBlobStore.removeFiles(in: root, writtenBefore: cutoff) { name in
            name.hasSuffix(".dsq") && !referenced.contains(String(name.prefix(64)))
        }
    }

    public func removeStores(of sha256: String) {
        _ = FileBlobStore.removeFiles(in: root, writtenBefore: nil) { name in name.hasSuffix(".dsq") && name.hasPrefix(sha256 + "-") }
    }

    /// Removes temp files a crash left mid-write (only those written before `cutoff` when given).
    public func removeTemporaryFiles(writtenBefore cutoff: Date? = nil) {
        _ = FileBlobStore.removeFiles(in: root.appendingPathComponent("tmp"), writtenBefore: cutoff)
    }

}
