import Foundation
import PostgresNIO

/// The PostgreSQL schema, as numbered migrations applied once each. Times are seconds since
/// 1970 in `double precision` (exactly what the records carry); bodies are the records' JSON as
/// text, byte for byte (`jsonb` would reorder keys).
enum PostgresMigrations {
    struct Migration {
        let name: String
        let statements: [String]
    }

    /// An arbitrary constant: the advisory lock replicas take while migrating.
    static let lockKey: Int64 = 0x4453_0001

    static let all: [Migration] = [
        Migration(
            name: "v1",
            statements: [
                """
                CREATE TABLE dataset (
                    identifier text NOT NULL, version integer NOT NULL, status text NOT NULL, sha256 text NOT NULL, record text NOT NULL,
                    PRIMARY KEY (identifier, version))
                """,
                "CREATE INDEX dataset_status ON dataset (status, identifier)",
                "CREATE INDEX dataset_sha256 ON dataset (sha256)",
                """
                CREATE TABLE quality_report (
                    identifier text NOT NULL, version integer NOT NULL, report text NOT NULL, signature text NOT NULL,
                    PRIMARY KEY (identifier, version))
                """,
                """
                CREATE TABLE application (
                    id text PRIMARY KEY, did text NOT NULL, credit_code text NOT NULL, status text NOT NULL,
                    submitted_at double precision NOT NULL, revoked_at double precision, credential_id text, body text NOT NULL)
                """,
                "CREATE INDEX application_did ON application (did, submitted_at)",
                "CREATE INDEX application_credit ON application (credit_code, status)",
                "CREATE TABLE membership (singleton integer PRIMARY KEY CHECK (singleton = 1), body text NOT NULL)",
                "CREATE TABLE seen_token (key text PRIMARY KEY, expires_at double precision NOT NULL)",
                "CREATE INDEX seen_token_expiry ON seen_token (expires_at)",
                """
                CREATE TABLE negotiation (
                    id text PRIMARY KEY, role text NOT NULL, counterparty text NOT NULL, consumer_pid text, state text NOT NULL,
                    pending boolean NOT NULL, updated_at double precision NOT NULL, body text NOT NULL, revision bigint NOT NULL)
                """,
                "CREATE UNIQUE INDEX negotiation_consumer ON negotiation (role, counterparty, consumer_pid)",
                "CREATE INDEX negotiation_pending ON negotiation (pending) WHERE pending",
                "CREATE INDEX negotiation_updated ON negotiation (updated_at)",
                """
                CREATE TABLE agreement (
                    id text PRIMARY KEY, negotiation_id text NOT NULL, agreed_at double precision NOT NULL, body text NOT NULL)
                """,
                """
                CREATE TABLE transfer (
                    id text PRIMARY KEY, role text NOT NULL, agreement_id text NOT NULL, sequence integer, state text NOT NULL,
                    pending boolean NOT NULL, updated_at double precision NOT NULL, body text NOT NULL, revision bigint NOT NULL)
                """,
                "CREATE INDEX transfer_agreement ON transfer (agreement_id, sequence)",
                "CREATE INDEX transfer_pending ON transfer (pending) WHERE pending",
                "CREATE INDEX transfer_open ON transfer (state, updated_at)",
                """
                CREATE TABLE transfer_delivery (
                    transfer_id text PRIMARY KEY, agreement_id text NOT NULL, number integer NOT NULL, state text NOT NULL,
                    streaming integer NOT NULL DEFAULT 0, bytes bigint NOT NULL DEFAULT 0, requests integer NOT NULL DEFAULT 0,
                    reserved_at double precision NOT NULL, completed_at double precision, updated_at double precision NOT NULL)
                """,
                "CREATE INDEX transfer_delivery_agreement ON transfer_delivery (agreement_id, state)",
                """
                CREATE TABLE usage (
                    seq bigserial PRIMARY KEY, agreement_id text NOT NULL, at double precision NOT NULL, body text NOT NULL)
                """,
                "CREATE INDEX usage_agreement ON usage (agreement_id, seq)",
                """
                CREATE TABLE pending_evidence (
                    id bigserial PRIMARY KEY, kind text NOT NULL, fields text NOT NULL, queued_at double precision NOT NULL)
                """,
                """
                CREATE TABLE delivery_receipt (
                    transfer_id text NOT NULL, idx bigint NOT NULL, receipt text NOT NULL, stored_at double precision NOT NULL,
                    PRIMARY KEY (transfer_id, idx))
                """,
                "CREATE TABLE operator_session_end (id text PRIMARY KEY, expires_at double precision NOT NULL)",
                """
                CREATE TABLE ledger_entry (
                    idx bigint PRIMARY KEY, type text NOT NULL, time bigint NOT NULL, ref text, evidence_id bigint)
                """,
                "CREATE INDEX ledger_entry_type ON ledger_entry (type, idx)",
                "CREATE INDEX ledger_entry_ref ON ledger_entry (ref, idx)",
                "CREATE INDEX ledger_entry_evidence ON ledger_entry (evidence_id) WHERE evidence_id IS NOT NULL",
                """
                CREATE TABLE witnessed_log (
                    origin text PRIMARY KEY, size bigint NOT NULL, root text NOT NULL, updated_at double precision NOT NULL)
                """,
            ]),
        Migration(
            name: "v2-outbox-claims",
            statements: [
                "ALTER TABLE negotiation ADD COLUMN claimed_by text, ADD COLUMN claimed_until double precision",
                "ALTER TABLE transfer ADD COLUMN claimed_by text, ADD COLUMN claimed_until double precision",
            ]),
        Migration(
            name: "v3-log-sequencer",
            statements: [
                """
                CREATE TABLE ledger_sequencer (
                    singleton integer PRIMARY KEY CHECK (singleton = 1), epoch bigint NOT NULL, holder text NOT NULL,
                    since double precision NOT NULL)
                """,
                "INSERT INTO ledger_sequencer (singleton, epoch, holder, since) VALUES (1, 0, '', 0)",
            ]),
        Migration(
            name: "v4-accounts",
            statements: [
                """
                CREATE TABLE person_account (
                    id text PRIMARY KEY, login text NOT NULL UNIQUE, invitation_digest text UNIQUE, revision integer NOT NULL, body text NOT NULL)
                """,
                """
                CREATE TABLE portal_session (
                    token_digest text PRIMARY KEY, account_id text NOT NULL, expires_at double precision NOT NULL, body text NOT NULL)
                """,
                "CREATE INDEX portal_session_account ON portal_session (account_id)",
                "CREATE TABLE login_failure (login text NOT NULL, at double precision NOT NULL)",
                "CREATE INDEX login_failure_login ON login_failure (login, at)",
                "CREATE INDEX login_failure_at ON login_failure (at)",
            ]),
        Migration(
            name: "v5-person-tokens",
            statements: [
                "CREATE TABLE person_token (id text PRIMARY KEY, account_id text NOT NULL, created_at double precision NOT NULL, body text NOT NULL)",
                "CREATE INDEX person_token_account ON person_token (account_id, created_at)",
            ]),
        Migration(
            name: "v6-privacy-budgets",
            statements: [
                """
                CREATE TABLE privacy_budget (
                    agreement_id text NOT NULL, period bigint NOT NULL, spent bigint NOT NULL, delta_spent bigint NOT NULL,
                    PRIMARY KEY (agreement_id, period))
                """,
                """
                CREATE TABLE privacy_charge (
                    query_id text PRIMARY KEY, agreement_id text NOT NULL, period bigint NOT NULL, amount bigint NOT NULL,
                    delta bigint NOT NULL, at double precision NOT NULL, refunded boolean NOT NULL)
                """,
                "CREATE INDEX privacy_charge_agreement ON privacy_charge (agreement_id, at)",
            ]),
        Migration(
            name: "v7-aggregation-rounds",
            statements: [
                """
                CREATE TABLE aggregation_round (
                    id text PRIMARY KEY, consumer text NOT NULL, providers text NOT NULL, length integer NOT NULL,
                    state text NOT NULL, opened_at double precision NOT NULL)
                """,
                """
                CREATE TABLE aggregation_share (
                    round_id text NOT NULL, provider text NOT NULL, share text NOT NULL, at double precision NOT NULL,
                    PRIMARY KEY (round_id, provider))
                """,
            ]),
    ]

    /// Applies the migrations not yet applied, each in its own transaction, under an advisory
    /// lock so replicas starting together do not race.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
        try await connection.run(
            "CREATE TABLE IF NOT EXISTS dataspace_migration (name text PRIMARY KEY, applied_at double precision NOT NULL)", logger: logger)
        let applied = Set(try await connection.rows("SELECT name FROM dataspace_migration", logger: logger).map { try $0.decode(String.self) })
        for migration in all where !applied.contains(migration.name) {
            for statement in migration.statements {
                try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.run(
                "INSERT INTO dataspace_migration (name, applied_at) VALUES (\(migration.name), \(Date().timeIntervalSince1970))", logger: logger)
            logger.info("database migrated", metadata: ["migration": "\(migration.name)"])
        }
    }
}

extension PostgresStore {
    /// Brings the schema up to date, all migrations in one transaction.
    func migrate() async throws {
        try await transaction { connection in try await PostgresMigrations.migrate(connection, logger: logger) }
    }
}
