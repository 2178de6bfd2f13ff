import DataspaceCatalog
import DataspaceCore
import Foundation
import PostgresNIO

extension PostgresStore: CatalogStore {
    static func decodeRecord(_ text: String) throws -> DatasetRecord {
        do {
            return try DatasetRecord(json: try JSONValue.parse(text))
        } catch let error as ValidationError {
            throw CatalogError(.storage, "stored record is unreadable: \(error)")
        }
    }

    func insert(_ record: DatasetRecord, report: SignedQualityReport?, on db: PostgresConnection) async throws {
        try await db.run(
            """
            INSERT INTO dataset (identifier, version, status, sha256, record)
            VALUES (\(record.identifier.description), \(Int32(clamping: record.version)), \(record.status.rawValue), \(record.distribution.sha256), \(record.json.encodedString()))
            """, logger: logger)
        if let report {
            try await db.run(
                """
                INSERT INTO quality_report (identifier, version, report, signature)
                VALUES (\(record.identifier.description), \(Int32(clamping: record.version)), \(report.json), \(report.signature))
                """, logger: logger)
        }
    }

    /// The current version's row, locked for the rest of the transaction.
    func lockCurrent(_ identifier: UnifiedIdentifier, on db: PostgresConnection) async throws -> (version: Int, status: String, record: String)? {
        try await db.rows(
            "SELECT version, status, record FROM dataset WHERE identifier = \(identifier.description) ORDER BY version DESC LIMIT 1 FOR UPDATE",
            logger: logger
        ).first.map { row in
            let (version, status, record) = try row.decode((Int32, String, String).self)
            return (Int(version), status, record)
        }
    }

    public func insertFirstVersion(_ record: DatasetRecord, report: SignedQualityReport?, evidence: [EvidenceEvent] = []) async throws {
        do {
            try await transaction { db in
                try await insert(record, report: report, on: db)
                try await queue(evidence, on: db)
                try await announce(.product(record.identifier.description), on: db)
            }
        } catch where Self.isUniqueViolation(error) {
            throw CatalogError(.conflict, "product \(record.identifier) already exists", field: "identifier")
        }
    }

    public func insertFirstVersions(_ records: [DatasetRecord]) async throws {
        try await transaction { db in
            for record in records { try await insert(record, report: nil, on: db) }
        }
    }

    public func replaceVersion(_ record: DatasetRecord, evidence: [EvidenceEvent] = []) async throws {
        try await transaction { db in
            let changed = try await db.rows(
                """
                UPDATE dataset SET status = \(record.status.rawValue), record = \(record.json.encodedString())
                WHERE identifier = \(record.identifier.description) AND version = \(Int32(clamping: record.version)) AND sha256 = \(record.distribution.sha256)
                RETURNING 1
                """, logger: logger
            ).count
            guard changed == 1 else {
                throw CatalogError(.notFound, "no version \(record.version) of \(record.identifier) with that file", field: "identifier")
            }
            try await queue(evidence, on: db)
            try await announce(.product(record.identifier.description), on: db)
        }
    }

    public func qualityReport(_ identifier: UnifiedIdentifier, version: Int) async throws -> SignedQualityReport? {
        try await rows(
            "SELECT report, signature FROM quality_report WHERE identifier = \(identifier.description) AND version = \(Int32(clamping: version))"
        ).first.map { row in
            let (json, signature) = try row.decode((String, String).self)
            return SignedQualityReport(json: json, signature: signature)
        }
    }

    public func insertNextVersion(_ record: DatasetRecord, report: SignedQualityReport?, evidence: [EvidenceEvent] = []) async throws {
        do {
            try await transaction { db in
                guard let current = try await lockCurrent(record.identifier, on: db) else {
                    throw CatalogError(.notFound, "no product \(record.identifier)", field: "identifier")
                }
                guard current.status != DatasetStatus.withdrawn.rawValue else {
                    throw CatalogError(.withdrawn, "product \(record.identifier) was withdrawn", field: "identifier")
                }
                guard current.version == record.version - 1 else {
                    throw CatalogError(.conflict, "product \(record.identifier) is at version \(current.version), not \(record.version - 1)", field: "version")
                }
                var previous = try Self.decodeRecord(current.record)
                previous.status = .superseded
                try await db.run(
                    """
                    UPDATE dataset SET status = \(DatasetStatus.superseded.rawValue), record = \(previous.json.encodedString())
                    WHERE identifier = \(record.identifier.description) AND version = \(Int32(clamping: current.version))
                    """, logger: logger)
                try await insert(record, report: report, on: db)
                try await queue(evidence, on: db)
                try await announce(.product(record.identifier.description), on: db)
            }
        } catch where Self.isUniqueViolation(error) {
            throw CatalogError(.conflict, "product \(record.identifier) got version \(record.version) meanwhile", field: "version")
        }
    }

    public func withdraw(
        _ identifier: UnifiedIdentifier, at date: Date, evidence: @Sendable (DatasetRecord) -> [EvidenceEvent] = { _ in [] }
    ) async throws -> DatasetRecord? {
        try await transaction { db in
            guard let current = try await lockCurrent(identifier, on: db) else { return nil }
            var record = try Self.decodeRecord(current.record)
            guard record.status != .withdrawn else {
                throw CatalogError(.withdrawn, "product \(identifier) is already withdrawn", field: "identifier")
            }
            record.status = .withdrawn
            record.modified = date
            try await db.run(
                """
                UPDATE dataset SET status = \(record.status.rawValue), record = \(record.json.encodedString())
                WHERE identifier = \(identifier.description) AND version = \(Int32(clamping: record.version))
                """, logger: logger)
            try await queue(evidence(record), on: db)
            try await announce(.product(identifier.description), on: db)
            return record
        }
    }

    public func record(_ identifier: UnifiedIdentifier, version: Int?) async throws -> DatasetRecord? {
        let query: PostgresQuery =
            if let version {
                "SELECT record FROM dataset WHERE identifier = \(identifier.description) AND version = \(Int32(clamping: version))"
            } else {
                "SELECT record FROM dataset WHERE identifier = \(identifier.description) ORDER BY version DESC LIMIT 1"
            }
        return try await rows(query).first.map { try Self.decodeRecord(try $0.decode(String.self)) }
    }

    public func activeRecords(_ identifiers: [UnifiedIdentifier]) async throws -> [DatasetRecord] {
        guard !identifiers.isEmpty else { return [] }
        let keys = identifiers.map(\.description)
        let pairs = try await rows("SELECT identifier, record FROM dataset WHERE status = 'active' AND identifier = ANY(\(keys))").map {
            try $0.decode((String, String).self)
        }
        let byIdentifier = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        return try keys.compactMap { key in try byIdentifier[key].map(Self.decodeRecord) }
    }

    public func versions(_ identifier: UnifiedIdentifier) async throws -> [DatasetRecord] {
        try await rows("SELECT record FROM dataset WHERE identifier = \(identifier.description) ORDER BY version").map {
            try Self.decodeRecord(try $0.decode(String.self))
        }
    }

    public func activeRecords(after cursor: UnifiedIdentifier?, limit: Int) async throws -> [DatasetRecord] {
        // COLLATE "C": byte order, as SQLite compares, whatever the database's collation.
        try await rows(
            """
            SELECT record FROM dataset WHERE status = 'active' AND identifier COLLATE "C" > \(cursor?.description ?? "")
            ORDER BY identifier COLLATE "C" LIMIT \(limit)
            """
        ).map { try Self.decodeRecord(try $0.decode(String.self)) }
    }

    public func activeCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM dataset WHERE status = 'active'").first?.decode(Int64.self) ?? 0)
    }

    public func allIdentifiers() async throws -> [UnifiedIdentifier] {
        try await rows("SELECT DISTINCT identifier FROM dataset").compactMap { try? UnifiedIdentifier(parsing: try $0.decode(String.self)) }
    }

    public func referencedBlobs() async throws -> Set<String> {
        Set(try await rows("SELECT DISTINCT sha256 FROM dataset").map { try $0.decode(String.self) })
    }

    public func isBlobReferenced(_ sha256: String) async throws -> Bool {
        try await rows("SELECT EXISTS(SELECT 1 FROM dataset WHERE sha256 = \(sha256))").first?.decode(Bool.self) ?? false
    }

    /// Every row count, for tests that prove a failed publish left nothing behind.
    public func datasetRowCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM dataset").first?.decode(Int64.self) ?? 0)
    }
}
