import DataspaceCore
import Foundation

/// Durable storage of catalog records. Implemented by DataspaceSQLite (and later PostgreSQL);
/// every method is atomic: it either fully happens or leaves the store as it was. A change's
/// `evidence` is queued (pending evidence) in the same transaction.
public protocol CatalogStore: Sendable {
    /// Records version 1 of a new product. Throws `CatalogError(.conflict)` if the identifier exists.
    func insertFirstVersion(_ record: DatasetRecord, report: SignedQualityReport?, evidence: [EvidenceEvent]) async throws
    /// Records many first versions in one transaction, without reports or evidence (bulk loading
    /// of a corpus, benchmarks).
    func insertFirstVersions(_ records: [DatasetRecord]) async throws
    /// Records `record` (version n) and marks version n-1 superseded, in one transaction.
    /// Throws `.conflict` if the current version is not n-1 or the product was withdrawn.
    func insertNextVersion(_ record: DatasetRecord, report: SignedQualityReport?, evidence: [EvidenceEvent]) async throws
    /// Replaces a version's record (same identifier, version and file), e.g. after a grade decision.
    func replaceVersion(_ record: DatasetRecord, evidence: [EvidenceEvent]) async throws
    /// The signed quality report stored with a version.
    func qualityReport(_ identifier: UnifiedIdentifier, version: Int) async throws -> SignedQualityReport?
    /// Marks the current version withdrawn; returns it, or nil if there is no such product.
    func withdraw(_ identifier: UnifiedIdentifier, at date: Date, evidence: @Sendable (DatasetRecord) -> [EvidenceEvent]) async throws -> DatasetRecord?
    /// The current version (any status), or a given version.
    func record(_ identifier: UnifiedIdentifier, version: Int?) async throws -> DatasetRecord?
    /// The active records among `identifiers`, in the order given (missing ones are skipped).
    func activeRecords(_ identifiers: [UnifiedIdentifier]) async throws -> [DatasetRecord]
    /// Every version of a product, oldest first.
    func versions(_ identifier: UnifiedIdentifier) async throws -> [DatasetRecord]
    /// Active products ordered by identifier, starting after `cursor` (keyset paging).
    func activeRecords(after cursor: UnifiedIdentifier?, limit: Int) async throws -> [DatasetRecord]
    func activeCount() async throws -> Int
    /// Every product identifier, withdrawn ones included (for address resolution).
    func allIdentifiers() async throws -> [UnifiedIdentifier]
    /// Every blob digest any version refers to (for garbage collection of orphans).
    func referencedBlobs() async throws -> Set<String>
    /// Whether any version refers to a blob (a failed publish removes only unreferenced blobs).
    func isBlobReferenced(_ sha256: String) async throws -> Bool
}

/// A version's quality report as the node signed it: the canonical JSON text (RFC 8785) and a
/// detached JWS over exactly those bytes.
public struct SignedQualityReport: Sendable, Hashable {
    public let json: String
    public let signature: String

    public init(json: String, signature: String) {
        self.json = json
        self.signature = signature
    }
}

extension CatalogStore {
    /// Streams every active record in pages, without holding them all.
    public func forEachActive(pageSize: Int = 2_000, _ body: ([DatasetRecord]) async throws -> Void) async throws {
        var cursor: UnifiedIdentifier?
        while true {
            let page = try await activeRecords(after: cursor, limit: pageSize)
            if page.isEmpty { return }
            try await body(page)
            cursor = page.last?.identifier
            if page.count < pageSize { return }
        }
    }
}
