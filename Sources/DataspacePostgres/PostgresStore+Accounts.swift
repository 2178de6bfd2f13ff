import DataspaceIdentity
import Foundation
import PostgresNIO

/// Accounts, sessions and sign-in attempts in the shared PostgreSQL database: a session started
/// through one replica is honoured by every other.
extension PostgresStore: AccountStore {
    /// Records kept as JSON (accounts, sessions, applications): sorted keys, dates in seconds.
    static func encoded(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decoded<T: Decodable>(_ type: T.Type, _ row: PostgresRow) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(type, from: Data(try row.decode(String.self).utf8))
    }

    public func insertAccount(_ account: PersonAccount) async throws {
        let body = try Self.encoded(account)
        do {
            try await rows(
                """
                INSERT INTO person_account (id, login, invitation_digest, revision, body)
                VALUES (\(account.id), \(account.login), \(account.invitationDigest), \(account.revision), \(body))
                """)
        } catch where Self.isUniqueViolation(error) {
            throw AccountError(.duplicate, "the login \(account.login) is taken", field: "login")
        }
    }

    public func updateAccount(_ account: PersonAccount) async throws -> Bool {
        let body = try Self.encoded(account)
        let previous = account.revision - 1
        return try await rows(
            """
            UPDATE person_account SET invitation_digest = \(account.invitationDigest), revision = \(account.revision), body = \(body)
            WHERE id = \(account.id) AND revision = \(previous) RETURNING 1
            """
        ).count == 1
    }

    public func account(id: String) async throws -> PersonAccount? {
        try await rows("SELECT body FROM person_account WHERE id = \(id)").first.map { try Self.decoded(PersonAccount.self, $0) }
    }

    public func account(login: String) async throws -> PersonAccount? {
        try await rows("SELECT body FROM person_account WHERE login = \(login)").first.map { try Self.decoded(PersonAccount.self, $0) }
    }

    public func account(invitationDigest: String) async throws -> PersonAccount? {
        try await rows("SELECT body FROM person_account WHERE invitation_digest = \(invitationDigest)").first.map {
            try Self.decoded(PersonAccount.self, $0)
        }
    }

    public func accounts() async throws -> [PersonAccount] {
        try await rows("SELECT body FROM person_account ORDER BY login").map { try Self.decoded(PersonAccount.self, $0) }
    }

    public func insertSession(_ session: PortalSession) async throws {
        let body = try Self.encoded(session)
        try await rows(
            """
            INSERT INTO portal_session (token_digest, account_id, expires_at, body)
            VALUES (\(session.tokenDigest), \(session.accountID), \(session.expiresAt.timeIntervalSince1970), \(body))
            """)
    }

    public func session(tokenDigest: String) async throws -> PortalSession? {
        try await rows("SELECT body FROM portal_session WHERE token_digest = \(tokenDigest)").first.map { try Self.decoded(PortalSession.self, $0) }
    }

    public func deleteSession(tokenDigest: String) async throws {
        try await rows("DELETE FROM portal_session WHERE token_digest = \(tokenDigest)")
    }

    public func deleteSessions(accountID: String) async throws {
        try await rows("DELETE FROM portal_session WHERE account_id = \(accountID)")
    }

    public func purgeSessions(expiredBefore time: Date) async throws {
        try await rows("DELETE FROM portal_session WHERE expires_at < \(time.timeIntervalSince1970)")
    }

    public func recordSignInAttempt(login: String, at time: Date, since: Date) async throws -> Int {
        // A transaction-scoped advisory lock per login serialises racing attempts, so each counts
        // the ones committed before it.
        try await transaction { db in
            try await db.run("SELECT pg_advisory_xact_lock(hashtext('dataspace.signin.' || \(login)))", logger: logger)
            try await db.run("DELETE FROM login_failure WHERE at < \(since.timeIntervalSince1970)", logger: logger)
            try await db.run("INSERT INTO login_failure (login, at) VALUES (\(login), \(time.timeIntervalSince1970))", logger: logger)
            return try await db.rows("SELECT COUNT(*)::bigint FROM login_failure WHERE login = \(login)", logger: logger).first?.decode(Int.self) ?? 0
        }
    }

    public func signInAttempts(login: String, since: Date) async throws -> Int {
        try await rows("SELECT COUNT(*)::bigint FROM login_failure WHERE login = \(login) AND at >= \(since.timeIntervalSince1970)").first?.decode(Int.self) ?? 0
    }

    public func clearSignInAttempts(login: String) async throws {
        try await rows("DELETE FROM login_failure WHERE login = \(login)")
    }

    public func insertToken(_ token: PersonToken) async throws {
        let body = try Self.encoded(token)
        try await rows(
            "INSERT INTO person_token (id, account_id, created_at, body) VALUES (\(token.id), \(token.accountID), \(token.createdAt.timeIntervalSince1970), \(body))"
        )
    }

    public func token(id: String) async throws -> PersonToken? {
        try await rows("SELECT body FROM person_token WHERE id = \(id)").first.map { try Self.decoded(PersonToken.self, $0) }
    }

    public func tokens(accountID: String?) async throws -> [PersonToken] {
        let found =
            if let accountID {
                try await rows("SELECT body FROM person_token WHERE account_id = \(accountID) ORDER BY created_at DESC, id")
            } else {
                try await rows("SELECT body FROM person_token ORDER BY created_at DESC, id")
            }
        return try found.map { try Self.decoded(PersonToken.self, $0) }
    }

    public func revokeToken(id: String, at time: Date, by: String) async throws -> Bool {
        try await transaction { connection in
            guard let row = try await connection.rows("SELECT body FROM person_token WHERE id = \(id) FOR UPDATE", logger: logger).first else {
                return false
            }
            var token = try Self.decoded(PersonToken.self, row)
            guard token.revokedAt == nil else { return false }
            token.revokedAt = time
            token.revokedBy = by
            let body = try Self.encoded(token)
            try await connection.run("UPDATE person_token SET body = \(body) WHERE id = \(id)", logger: logger)
            return true
        }
    }
}
