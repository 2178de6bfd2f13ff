import DataspaceCore
import Foundation

/// Publishing, versioning, withdrawal, lookup and search of this node's own data products.
///
/// Publishing is atomic: metadata is checked before any byte is stored, the file is validated
/// while it streams into a temporary blob, and the blob becomes visible and the record is written
/// only when both succeeded; on any failure the temporary blob is removed and no row exists.
public struct CatalogService: Sendable {
    public let store: any CatalogStore
    public let blobs: any BlobStore
    public let index: SearchIndex
    public let addresses: AddressBook
    public let publisher: Publisher
    public let maximumFileBytes: Int64
    let now: @Sendable () -> Date

    public init(
        store: any CatalogStore, blobs: any BlobStore, index: SearchIndex, addresses: AddressBook, publisher: Publisher,
        maximumFileBytes: Int64 = 8 << 30, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.blobs = blobs
        self.index = index
        self.addresses = addresses
        self.publisher = publisher
        self.maximumFileBytes = maximumFileBytes
        self.now = now
    }

    // MARK: publishing

    /// Publishes a new product from a streamed file.
    public func publish<Body: AsyncSequence>(
        _ request: PublishRequest, format: TabularFormat, body: Body
    ) async throws -> DatasetRecord where Body.Element == [UInt8] {
        let metadata: PublishRequest.Validated
        do { metadata = try request.validate() } catch { throw CatalogError(error) }
        let identifier = UnifiedIdentifier.mint(region: publisher.region, creditCode: publisher.creditCode, now: now())
        let stored = try await storeFile(format: format, body: body)
        let date = timestamp()
        let offerID = "\(identifier.description):offer"
        let record = DatasetRecord(
            identifier: identifier, version: 1, title: metadata.title, description: metadata.description,
            keywords: metadata.keywords, sector: metadata.sector, region: metadata.region ?? publisher.region,
            temporal: metadata.temporal, license: metadata.license, grade: metadata.grade, publisher: publisher,
            issued: date, modified: date, distribution: stored.distribution,
            offer: metadata.policy ?? UsagePolicy.defaultOffer(id: offerID), status: .active)
        try await commit(stored) { try await store.insertFirstVersion(record) }
        index.upsert(SearchDocument(record))
        addresses.add(identifier)
        return record
    }

    /// Publishes a new version of an existing product. Without a body the previous file is kept.
    public func update<Body: AsyncSequence>(
        _ identifier: UnifiedIdentifier, _ request: PublishRequest, format: TabularFormat?, body: Body?
    ) async throws -> DatasetRecord where Body.Element == [UInt8] {
        let metadata: PublishRequest.Validated
        do { metadata = try request.validate() } catch { throw CatalogError(error) }
        guard let current = try await store.record(identifier, version: nil) else {
            throw CatalogError(.notFound, "no product \(identifier)", field: "identifier")
        }
        guard current.status != .withdrawn else {
            throw CatalogError(.withdrawn, "product \(identifier) was withdrawn and cannot get new versions", field: "identifier")
        }
        var stored: StoredFile?
        if let body, let format { stored = try await storeFile(format: format, body: body) }
        let record = DatasetRecord(
            identifier: identifier, version: current.version + 1, title: metadata.title, description: metadata.description,
            keywords: metadata.keywords, sector: metadata.sector, region: metadata.region ?? current.region,
            temporal: metadata.temporal ?? current.temporal, license: metadata.license, grade: metadata.grade,
            publisher: current.publisher, issued: current.issued, modified: timestamp(),
            distribution: stored?.distribution ?? current.distribution,
            offer: metadata.policy ?? current.offer, status: .active)
        if let stored {
            try await commit(stored) { try await store.insertNextVersion(record) }
        } else {
            try await store.insertNextVersion(record)
        }
        index.upsert(SearchDocument(record))
        return record
    }

    /// Withdraws a product: it leaves the catalog and search; its versions stay on record.
    public func withdraw(_ identifier: UnifiedIdentifier) async throws -> DatasetRecord {
        guard let record = try await store.withdraw(identifier, at: timestamp()) else {
            throw CatalogError(.notFound, "no product \(identifier)", field: "identifier")
        }
        index.remove(identifier)
        return record
    }

    /// Whole seconds: records store ISO 8601 date-times without fractions, so what a call returns
    /// equals what a later read returns.
    func timestamp() -> Date { Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down)) }

    struct StoredFile {
        var distribution: DistributionInfo
        var created: Bool
    }

    /// Streams the body into a temporary blob while validating it; commits only valid files.
    func storeFile<Body: AsyncSequence>(format: TabularFormat, body: Body) async throws -> StoredFile where Body.Element == [UInt8] {
        let writer = try blobs.beginWrite()
        var validator = TabularValidator(format: format)
        var total: Int64 = 0
        do {
            for try await chunk in body {
                total += Int64(chunk.count)
                if total > maximumFileBytes {
                    throw CatalogError(.tooLarge, "file exceeds the \(maximumFileBytes)-byte limit", field: "file")
                }
                try chunk.withUnsafeBytes { raw in
                    try validator.consume(raw)
                    try writer.write(raw)
                }
            }
            let summary = try validator.finish()
            let (sha, size, created) = try writer.commit()
            return StoredFile(
                distribution: DistributionInfo(format: format, byteSize: size, sha256: sha, rowCount: summary.rowCount, columns: summary.columns),
                created: created)
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Runs the store write; if it fails, removes a blob this publish created.
    func commit(_ stored: StoredFile, _ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch {
            let digest = stored.distribution.sha256
            if stored.created, (try? await store.isBlobReferenced(digest)) == false { try? blobs.remove(digest) }
            throw error
        }
    }

    // MARK: reading

    public func record(_ identifier: UnifiedIdentifier, version: Int? = nil) async throws -> DatasetRecord? {
        try await store.record(identifier, version: version)
    }

    public func versions(_ identifier: UnifiedIdentifier) async throws -> [DatasetRecord] {
        try await store.versions(identifier)
    }

    /// Runs a search and loads the page's records.
    public func search(_ query: SearchQuery) async throws -> (results: SearchResults, records: [DatasetRecord]) {
        let results = index.search(query)
        return (results, try await store.activeRecords(results.hits.map(\.identifier)))
    }

    // MARK: maintenance

    /// Loads every active product into the search index (at start-up).
    public func rebuildIndex() async throws {
        try await store.forEachActive { page in
            index.upsert(contentsOf: page.map(SearchDocument.init))
        }
        for identifier in try await store.allIdentifiers() { addresses.add(identifier) }
    }

    /// Removes blobs no record refers to, left by a crash between storing a file and its record.
    @discardableResult
    public func collectGarbage() async throws -> Int {
        let referenced = try await store.referencedBlobs()
        var removed = 0
        for digest in try blobs.allDigests() where !referenced.contains(digest) {
            try blobs.remove(digest)
            removed += 1
        }
        return removed
    }
}
