import DataspaceCatalog
import DataspaceCore
import DataspaceIdentity
import Foundation
import GRDB

/// The embedded store of a node: one SQLite file in WAL mode with `synchronous=FULL`, so every
/// acknowledged write survives a crash and every transaction is all-or-nothing.
public final class SQLiteStore: Sendable {
    let writer: any DatabaseWriter

    /// Opens (creating and migrating) the database at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        writer = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
    }

    /// A private in-memory database, for tests and benchmarks.
    public init() throws {
        writer = try DatabaseQueue()
        try Self.migrator.migrate(writer)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE dataset (
                        identifier TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        record TEXT NOT NULL,
                        PRIMARY KEY (identifier, version)
                    ) WITHOUT ROWID;
                    CREATE INDEX dataset_status ON dataset(status, identifier);
                    CREATE INDEX dataset_sha256 ON dataset(sha256);
                    CREATE TABLE application (
                        id TEXT PRIMARY KEY NOT NULL,
                        did TEXT NOT NULL,
                        credit_code TEXT NOT NULL,
                        status TEXT NOT NULL,
                        submitted_at REAL NOT NULL,
                        revoked_at REAL,
                        credential_id TEXT,
                        body TEXT NOT NULL
                    );
                    CREATE INDEX application_did ON application(did, submitted_at);
                    CREATE INDEX application_credit ON application(credit_code, status);
                    CREATE TABLE membership (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        body TEXT NOT NULL
                    );
                    CREATE TABLE seen_token (
                        key TEXT PRIMARY KEY NOT NULL,
                        expires_at REAL NOT NULL
                    );
                    CREATE INDEX seen_token_expiry ON seen_token(expires_at);
                    """)
        }
        migrator.registerMigration("v2-contracts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE negotiation (
                        id TEXT PRIMARY KEY NOT NULL,
                        role TEXT NOT NULL,
                        counterparty TEXT NOT NULL,
                        consumer_pid TEXT,
                        state TEXT NOT NULL,
                        pending INTEGER NOT NULL,
                        updated_at REAL NOT NULL,
                        body TEXT NOT NULL
                    );
                    CREATE UNIQUE INDEX negotiation_consumer ON negotiation(role, counterparty, consumer_pid);
                    CREATE INDEX negotiation_pending ON negotiation(pending) WHERE pending = 1;
                    CREATE INDEX negotiation_updated ON negotiation(updated_at);
                    CREATE TABLE agreement (
                        id TEXT PRIMARY KEY NOT NULL,
                        negotiation_id TEXT NOT NULL,
                        agreed_at REAL NOT NULL,
                        body TEXT NOT NULL
                    );
                    CREATE TABLE transfer (
                        id TEXT PRIMARY KEY NOT NULL,
                        role TEXT NOT NULL,
                        agreement_id TEXT NOT NULL,
                        sequence INTEGER,
                        state TEXT NOT NULL,
                        pending INTEGER NOT NULL,
                        updated_at REAL NOT NULL,
                        body TEXT NOT NULL
                    );
                    CREATE INDEX transfer_agreement ON transfer(agreement_id, sequence);
                    CREATE INDEX transfer_pending ON transfer(pending) WHERE pending = 1;
                    CREATE TABLE usage (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        agreement_id TEXT NOT NULL,
                        at REAL NOT NULL,
                        body TEXT NOT NULL
                    );
                    CREATE INDEX usage_agreement ON usage(agreement_id, seq);
                    """)
        }
        migrator.registerMigration("v3-ledger") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ledger_entry (
                        idx INTEGER PRIMARY KEY NOT NULL,
                        type TEXT NOT NULL,
                        time INTEGER NOT NULL,
                        ref TEXT
                    );
                    CREATE INDEX ledger_entry_type ON ledger_entry(type, idx);
                    CREATE INDEX ledger_entry_ref ON ledger_entry(ref, idx);
                    CREATE TABLE witnessed_log (
                        origin TEXT PRIMARY KEY NOT NULL,
                        size INTEGER NOT NULL,
                        root TEXT NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE TABLE delivery_receipt (
                        transfer_id TEXT NOT NULL,
                        idx INTEGER NOT NULL,
                        receipt TEXT NOT NULL,
                        stored_at REAL NOT NULL,
                        PRIMARY KEY (transfer_id, idx)
                    );
                    """)
        }
        migrator.registerMigration("v4-quality") { db in
            try db.execute(
                sql: """
                    CREATE TABLE quality_report (
                        identifier TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        report TEXT NOT NULL,
                        signature TEXT NOT NULL,
                        PRIMARY KEY (identifier, version)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v5-revisions-deliveries") { db in
            try db.execute(
                sql: """
                    ALTER TABLE negotiation ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE transfer ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE delivery (
                        agreement_id TEXT NOT NULL,
                        number INTEGER NOT NULL,
                        transfer_id TEXT NOT NULL,
                        state TEXT NOT NULL,
                        streaming INTEGER NOT NULL,
                        bytes INTEGER NOT NULL DEFAULT 0,
                        started_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (agreement_id, number)
                    );
                    CREATE INDEX delivery_transfer ON delivery(transfer_id, number);
                    CREATE TABLE pending_evidence (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        fields TEXT NOT NULL,
                        queued_at REAL NOT NULL
                    );
                    ALTER TABLE ledger_entry ADD COLUMN evidence_id INTEGER;
                    CREATE INDEX ledger_entry_evidence ON ledger_entry(evidence_id) WHERE evidence_id IS NOT NULL;
                    CREATE TABLE operator_session_end (
                        id TEXT PRIMARY KEY NOT NULL,
                        expires_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v6-transfer-deliveries") { db in
            // One delivery per provider-side transfer (docs/policies.md): reserved when the
            // transfer is accepted, consumed when its file has streamed whole, released when the
            // transfer ends without that.
            try db.execute(
                sql: """
                    CREATE TABLE transfer_delivery (
                        transfer_id TEXT PRIMARY KEY NOT NULL,
                        agreement_id TEXT NOT NULL,
                        number INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        streaming INTEGER NOT NULL DEFAULT 0,
                        bytes INTEGER NOT NULL DEFAULT 0,
                        requests INTEGER NOT NULL DEFAULT 0,
                        reserved_at REAL NOT NULL,
                        completed_at REAL,
                        updated_at REAL NOT NULL
                    );
                    CREATE INDEX transfer_delivery_agreement ON transfer_delivery(agreement_id, state);
                    INSERT INTO transfer_delivery (transfer_id, agreement_id, number, state, bytes, requests, reserved_at, completed_at, updated_at)
                    SELECT t.id, t.agreement_id, COALESCE(t.sequence, 0),
                        CASE WHEN EXISTS (SELECT 1 FROM delivery d WHERE d.transfer_id = t.id AND d.state = 'complete') THEN 'complete'
                             WHEN t.state IN ('TERMINATED', 'COMPLETED') THEN 'released' ELSE 'reserved' END,
                        COALESCE((SELECT SUM(d.bytes) FROM delivery d WHERE d.transfer_id = t.id), 0),
                        (SELECT COUNT(*) FROM delivery d WHERE d.transfer_id = t.id),
                        t.updated_at,
                        (SELECT MIN(d.updated_at) FROM delivery d WHERE d.transfer_id = t.id AND d.state = 'complete'),
                        t.updated_at
                    FROM transfer t WHERE t.role = 'provider' AND t.sequence IS NOT NULL;
                    DROP TABLE delivery;
                    CREATE INDEX transfer_open ON transfer(state, updated_at);
                    """)
        }
        migrator.registerMigration("v7-outbox-claims") { db in
            // Which process delivers a queued message, until when (ContractStore.claimOutbox).
            try db.execute(
                sql: """
                    ALTER TABLE negotiation ADD COLUMN claimed_by TEXT;
                    ALTER TABLE negotiation ADD COLUMN claimed_until REAL;
                    ALTER TABLE transfer ADD COLUMN claimed_by TEXT;
                    ALTER TABLE transfer ADD COLUMN claimed_until REAL;
                    """)
        }
        migrator.registerMigration("v8-accounts") { db in
            // People of the node's organisation, their portal sessions (token digests only) and
            // failed sign-ins for throttling (AccountStore).
            try db.execute(
                sql: """
                    CREATE TABLE person_account (
                        id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, invitation_digest TEXT UNIQUE,
                        revision INTEGER NOT NULL, body TEXT NOT NULL);
                    CREATE TABLE portal_session (
                        token_digest TEXT PRIMARY KEY, account_id TEXT NOT NULL, expires_at REAL NOT NULL, body TEXT NOT NULL);
                    CREATE INDEX portal_session_account ON portal_session(account_id);
                    CREATE TABLE login_failure (login TEXT NOT NULL, at REAL NOT NULL);
                    CREATE INDEX login_failure_login ON login_failure(login, at);
                    CREATE INDEX login_failure_at ON login_failure(at);
                    """)
        }
        migrator.registerMigration("v9-person-tokens") { db in
            // People's API tokens: the secret's digest only (AccountStore).
            try db.execute(
                sql: """
                    CREATE TABLE person_token (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, created_at REAL NOT NULL, body TEXT NOT NULL);
                    CREATE INDEX person_token_account ON person_token(account_id, created_at);
                    """)
        }
        migrator.registerMigration("v10-privacy-budgets") { db in
            // Privacy budgets of compute agreements: a counter row per agreement for its total
            // (period −1) and per budget period, and one row per charged query for refunds.
            try db.execute(
                sql: """
                    CREATE TABLE privacy_budget (
                        agreement_id TEXT NOT NULL, period INTEGER NOT NULL, spent INTEGER NOT NULL, delta_spent INTEGER NOT NULL,
                        PRIMARY KEY (agreement_id, period));
                    CREATE TABLE privacy_charge (
                        query_id TEXT PRIMARY KEY, agreement_id TEXT NOT NULL, period INTEGER NOT NULL, amount INTEGER NOT NULL,
                        delta INTEGER NOT NULL, at REAL NOT NULL, refunded INTEGER NOT NULL);
                    CREATE INDEX privacy_charge_agreement ON privacy_charge(agreement_id, at);
                    """)
        }
        migrator.registerMigration("v11-aggregation-rounds") { db in
            // Secure-aggregation rounds this node aggregates, and the providers' shares until
            // the round is collected or aborted (then deleted).
            try db.execute(
                sql: """
                    CREATE TABLE aggregation_round (
                        id TEXT PRIMARY KEY, consumer TEXT NOT NULL, providers TEXT NOT NULL, length INTEGER NOT NULL,
                        state TEXT NOT NULL, opened_at REAL NOT NULL);
                    CREATE TABLE aggregation_share (
                        round_id TEXT NOT NULL, provider TEXT NOT NULL, share TEXT NOT NULL, at REAL NOT NULL,
                        PRIMARY KEY (round_id, provider));
                    """)
        }
        return migrator
    }

    static func isConstraintViolation(_ error: any Error) -> Bool {
        (error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT
    }
}

// MARK: - Catalog

extension SQLiteStore: CatalogStore {
    static func decode(_ text: String) throws -> DatasetRecord {
        do {
            return try DatasetRecord(json: try JSONValue.parse(text))
        } catch let error as ValidationError {
            throw CatalogError(.storage, "stored record is unreadable: \(error)")
        }
    }

    static func encode(_ record: DatasetRecord) -> String { record.json.encodedString() }

    public func insertFirstVersion(_ record: DatasetRecord, report: SignedQualityReport?, evidence: [EvidenceEvent] = []) async throws {
        do {
            try await writer.write { db in
                let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM dataset WHERE identifier = ?)", arguments: [record.identifier.description]) ?? false
                if exists { throw CatalogError(.conflict, "product \(record.identifier) already exists", field: "identifier") }
                try Self.insert(record, db: db)
                try Self.insert(report, for: record, db: db)
                try Self.queue(evidence, db: db)
            }
        } catch let error as DatabaseError where Self.isConstraintViolation(error) {
            throw CatalogError(.conflict, "product \(record.identifier) already exists", field: "identifier")
        }
    }

    /// Inserts many first versions in one transaction (bulk loading, benchmarks).
    public func insertFirstVersions(_ records: [DatasetRecord]) async throws {
        try await writer.write { db in
            for record in records { try Self.insert(record, db: db) }
        }
    }

    static func insert(_ record: DatasetRecord, db: Database) throws {
        try db.execute(
            sql: "INSERT INTO dataset (identifier, version, status, sha256, record) VALUES (?, ?, ?, ?, ?)",
            arguments: [record.identifier.description, record.version, record.status.rawValue, record.distribution.sha256, encode(record)])
    }

    static func insert(_ report: SignedQualityReport?, for record: DatasetRecord, db: Database) throws {
        guard let report else { return }
        try db.execute(
            sql: "INSERT INTO quality_report (identifier, version, report, signature) VALUES (?, ?, ?, ?)",
            arguments: [record.identifier.description, record.version, report.json, report.signature])
    }

    public func replaceVersion(_ record: DatasetRecord, evidence: [EvidenceEvent] = []) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE dataset SET status = ?, record = ? WHERE identifier = ? AND version = ? AND sha256 = ?",
                arguments: [record.status.rawValue, Self.encode(record), record.identifier.description, record.version, record.distribution.sha256])
            guard db.changesCount == 1 else {
                throw CatalogError(.notFound, "no version \(record.version) of \(record.identifier) with that file", field: "identifier")
            }
            try Self.queue(evidence, db: db)
        }
    }

    public func qualityReport(_ identifier: UnifiedIdentifier, version: Int) async throws -> SignedQualityReport? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT report, signature FROM quality_report WHERE identifier = ? AND version = ?",
                arguments: [identifier.description, version]
            ).map { SignedQualityReport(json: $0["report"], signature: $0["signature"]) }
        }
    }

    public func insertNextVersion(_ record: DatasetRecord, report: SignedQualityReport?, evidence: [EvidenceEvent] = []) async throws {
        try await writer.write { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT version, status, record FROM dataset WHERE identifier = ? ORDER BY version DESC LIMIT 1",
                arguments: [record.identifier.description])
            guard let row else { throw CatalogError(.notFound, "no product \(record.identifier)", field: "identifier") }
            let version: Int = row["version"]
            let status: String = row["status"]
            guard status != DatasetStatus.withdrawn.rawValue else {
                throw CatalogError(.withdrawn, "product \(record.identifier) was withdrawn", field: "identifier")
            }
            guard version == record.version - 1 else {
                throw CatalogError(.conflict, "product \(record.identifier) is at version \(version), not \(record.version - 1)", field: "version")
            }
            var previous = try Self.decode(row["record"])
            previous.status = .superseded
            try db.execute(
                sql: "UPDATE dataset SET status = ?, record = ? WHERE identifier = ? AND version = ?",
                arguments: [DatasetStatus.superseded.rawValue, Self.encode(previous), record.identifier.description, version])
            try Self.insert(record, db: db)
            try Self.insert(report, for: record, db: db)
            try Self.queue(evidence, db: db)
        }
    }

    public func withdraw(
        _ identifier: UnifiedIdentifier, at date: Date, evidence: @Sendable (DatasetRecord) -> [EvidenceEvent] = { _ in [] }
    ) async throws -> DatasetRecord? {
        try await writer.write { db in
            guard let text = try String.fetchOne(
                db, sql: "SELECT record FROM dataset WHERE identifier = ? ORDER BY version DESC LIMIT 1", arguments: [identifier.description])
            else { return nil }
            var record = try Self.decode(text)
            guard record.status != .withdrawn else {
                throw CatalogError(.withdrawn, "product \(identifier) is already withdrawn", field: "identifier")
            }
            record.status = .withdrawn
            record.modified = date
            try db.execute(
                sql: "UPDATE dataset SET status = ?, record = ? WHERE identifier = ? AND version = ?",
                arguments: [record.status.rawValue, Self.encode(record), identifier.description, record.version])
            try Self.queue(evidence(record), db: db)
            return record
        }
    }

    public func record(_ identifier: UnifiedIdentifier, version: Int?) async throws -> DatasetRecord? {
        let text = try await writer.read { db in
            if let version {
                return try String.fetchOne(
                    db, sql: "SELECT record FROM dataset WHERE identifier = ? AND version = ?", arguments: [identifier.description, version])
            }
            return try String.fetchOne(
                db, sql: "SELECT record FROM dataset WHERE identifier = ? ORDER BY version DESC LIMIT 1", arguments: [identifier.description])
        }
        return try text.map(Self.decode)
    }

    public func activeRecords(_ identifiers: [UnifiedIdentifier]) async throws -> [DatasetRecord] {
        guard !identifiers.isEmpty else { return [] }
        let keys = identifiers.map(\.description)
        let sql = "SELECT identifier, record FROM dataset WHERE status = 'active' AND identifier IN (\(databaseQuestionMarks(count: keys.count)))"
        let arguments = StatementArguments(keys)
        let pairs: [(String, String)] = try await writer.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { ($0["identifier"], $0["record"]) }
        }
        let byIdentifier = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        return try keys.compactMap { key in try byIdentifier[key].map(Self.decode) }
    }

    public func versions(_ identifier: UnifiedIdentifier) async throws -> [DatasetRecord] {
        let texts = try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT record FROM dataset WHERE identifier = ? ORDER BY version", arguments: [identifier.description])
        }
        return try texts.map(Self.decode)
    }

    public func activeRecords(after cursor: UnifiedIdentifier?, limit: Int) async throws -> [DatasetRecord] {
        let texts = try await writer.read { db in
            try String.fetchAll(
                db, sql: "SELECT record FROM dataset WHERE status = 'active' AND identifier > ? ORDER BY identifier LIMIT ?",
                arguments: [cursor?.description ?? "", limit])
        }
        return try texts.map(Self.decode)
    }

    public func activeCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dataset WHERE status = 'active'") ?? 0 }
    }

    public func allIdentifiers() async throws -> [UnifiedIdentifier] {
        let texts = try await writer.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT identifier FROM dataset") }
        return texts.compactMap { try? UnifiedIdentifier(parsing: $0) }
    }

    public func referencedBlobs() async throws -> Set<String> {
        Set(try await writer.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT sha256 FROM dataset") })
    }

    public func isBlobReferenced(_ sha256: String) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM dataset WHERE sha256 = ?)", arguments: [sha256]) ?? false
        }
    }

    /// Every row count, for tests that prove a failed publish left nothing behind.
    public func datasetRowCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dataset") ?? 0 }
    }
}

// MARK: - Registry (authority)

extension SQLiteStore: RegistryStore {
    static func encodeApplication(_ a: MembershipApplication) throws -> String { try encoded(a) }

    static func decodeApplication(_ text: String) throws -> MembershipApplication { try decoded(MembershipApplication.self, text) }

    public func insertApplication(_ a: MembershipApplication, evidence: [EvidenceEvent] = []) async throws {
        let body = try Self.encodeApplication(a)
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO application (id, did, credit_code, status, submitted_at, revoked_at, credential_id, body)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    a.id, a.profile.did.value, a.profile.creditCode.value, a.status.rawValue, a.submittedAt.timeIntervalSince1970,
                    a.revokedAt?.timeIntervalSince1970, a.credentialID, body,
                ])
            try Self.queue(evidence, db: db)
        }
    }

    public func updateApplication(_ a: MembershipApplication, from previous: MembershipApplication, evidence: [EvidenceEvent] = []) async throws {
        let body = try Self.encodeApplication(a)
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE application SET status = ?, revoked_at = ?, credential_id = ?, body = ?
                    WHERE id = ? AND status = ? AND (revoked_at IS NULL) = ?
                    """,
                arguments: [
                    a.status.rawValue, a.revokedAt?.timeIntervalSince1970, a.credentialID, body, a.id, previous.status.rawValue,
                    previous.revokedAt == nil,
                ])
            if db.changesCount == 0 {
                let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM application WHERE id = ?)", arguments: [a.id]) ?? false
                throw exists
                    ? RegistrationError(.conflict, "application \(a.id) was decided by someone else meanwhile; reload it")
                    : RegistrationError(.notFound, "no application \(a.id)")
            }
            try Self.queue(evidence, db: db)
        }
    }

    public func application(id: String) async throws -> MembershipApplication? {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT body FROM application WHERE id = ?", arguments: [id]) }
            .map(Self.decodeApplication)
    }

    public func applications(status: ApplicationStatus?) async throws -> [MembershipApplication] {
        try await writer.read { db in
            if let status {
                return try String.fetchAll(db, sql: "SELECT body FROM application WHERE status = ? ORDER BY submitted_at", arguments: [status.rawValue])
            }
            return try String.fetchAll(db, sql: "SELECT body FROM application ORDER BY submitted_at")
        }.map(Self.decodeApplication)
    }

    public func latestApplication(did: WebDID) async throws -> MembershipApplication? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT body FROM application WHERE did = ? ORDER BY submitted_at DESC LIMIT 1", arguments: [did.value])
        }.map(Self.decodeApplication)
    }

    public func activeMember(creditCode: CreditCode) async throws -> MembershipApplication? {
        try await writer.read { db in
            try String.fetchOne(
                db, sql: "SELECT body FROM application WHERE credit_code = ? AND status = 'approved' AND revoked_at IS NULL LIMIT 1",
                arguments: [creditCode.value])
        }.map(Self.decodeApplication)
    }

    public func revokedCredentialIDs() async throws -> Set<String> {
        Set(try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT credential_id FROM application WHERE revoked_at IS NOT NULL AND credential_id IS NOT NULL")
        })
    }
}

// MARK: - Membership (participant)

extension SQLiteStore: MembershipStore {
    public func membership() async throws -> Membership? {
        guard let text = try await writer.read({ db in try String.fetchOne(db, sql: "SELECT body FROM membership WHERE singleton = 1") }) else {
            return nil
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(Membership.self, from: Data(text.utf8))
    }

    public func saveMembership(_ membership: Membership) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let body = String(decoding: try encoder.encode(membership), as: UTF8.self)
        try await writer.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO membership (singleton, body) VALUES (1, ?)", arguments: [body])
        }
    }
}

// MARK: - Replay protection

extension SQLiteStore: ReplayGuard {
    public func record(jti: String, issuer: String, expiresAt: Date) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        return try await writer.write { db in
            try db.execute(sql: "DELETE FROM seen_token WHERE expires_at < ?", arguments: [now])
            try db.execute(
                sql: "INSERT OR IGNORE INTO seen_token (key, expires_at) VALUES (?, ?)",
                arguments: [issuer + " " + jti, expiresAt.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }
}
