import DataspaceCatalog
import DataspaceCore
import DataspacePrivacy
import Foundation

/// Query stores in memory, kept while they fit in `capacity` rows in all (least recently used go
/// first). A version's store is read from the file built when it was published (`files`); one
/// published before stores were kept, or whose file is gone, is built from the product's file
/// on its first query, off the cooperative threads, and kept for next time. Concurrent first
/// queries wait for the same load.
actor QueryStoreCache {
    struct Key: Hashable {
        let sha256: String
        let schema: ComputeSchema
    }

    let blobs: any BlobStore
    let files: QueryStoreFiles?
    let capacity: Int
    private var stores: [Key: Task<QueryStore, any Error>] = [:]
    private var rows: [Key: Int] = [:]
    private var order: [Key] = []

    init(blobs: any BlobStore, files: QueryStoreFiles? = nil, capacity: Int = 200_000_000) {
        self.blobs = blobs
        self.files = files
        self.capacity = capacity
    }

    func store(sha256: String, schema: ComputeSchema) async throws -> QueryStore {
        let key = Key(sha256: sha256, schema: schema)
        if let task = stores[key] {
            touch(key)
            return try await task.value
        }
        guard let path = blobs.localPath(sha256) else {
            throw ComputeRefusal(status: 410, code: "blob.missing", "the product's file is no longer stored")
        }
        let files = self.files
        let task = Task {
            if let kept = await files?.load(sha256: sha256, schema: schema) { return kept }
            let built = try await Self.build(path: path, schema: schema)
            // Kept for the next process; a store that cannot be written is only rebuilt later.
            try? await files?.save(built, sha256: sha256)
            return built
        }
        stores[key] = task
        touch(key)
        do {
            let store = try await task.value
            rows[key] = store.rowCount
            evict()
            return store
        } catch {
            stores[key] = nil
            order.removeAll { $0 == key }
            throw error
        }
    }

    private func touch(_ key: Key) {
        order.removeAll { $0 == key }
        order.append(key)
    }

    private func evict() {
        while rows.values.reduce(0, +) > capacity, order.count > 1 {
            let oldest = order.removeFirst()
            stores[oldest] = nil
            rows[oldest] = nil
        }
    }

    /// Reads the CSV 1 MiB at a time into a builder, off the cooperative threads (long synchronous work).
    static func build(path: String, schema: ComputeSchema) async throws -> QueryStore {
        try await offCooperativeThreads(qos: .utility) {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ComputeRefusal(status: 410, code: "blob.missing", "the product's file is no longer stored")
            }
            defer { try? handle.close() }
            var builder = QueryStoreBuilder(schema: schema)
            var reader = CSVRecordReader()
            do {
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try chunk.withUnsafeBytes { raw in try reader.feed(raw) { try builder.add($0) } }
                }
                try reader.finish { try builder.add($0) }
                var random = SystemRandomNumberGenerator()
                return try builder.build(using: &random)
            } catch let error as ComputeSchemaError {
                throw ComputeRefusal(status: 409, code: "compute.schema", field: "compute.\(error.field)", error.message)
            } catch let error as CSVRecordReader.Failure {
                throw ComputeRefusal(status: 409, code: "compute.file", field: "file", error.description)
            }
        }
    }
}
