import DataspaceIdentity
import Foundation
import GRDB

/// Accounts, sessions and failed sign-ins in the node's SQLite database.
extension SQLiteStore: AccountStore {
    /// Records kept as JSON (accounts, sessions, applications): sorted keys, dates in seconds.
    static func encoded(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decoded<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(type, from: Data(text.utf8))
    }

    public func insertAccount(_ account: PersonAccount) async throws {
        let body = try Self.encoded(account)
        do {
            try await writer.write { db in
                try db.execute(
                    sql: "INSERT INTO person_account (id, login, invitation_digest, revision, body) VALUES (?, ?, ?, ?, ?)",
                    arguments: [account.id, account.login, account.invitationDigest, account.revision, body])
            }
        } catch where Self.isConstraintViolation(error) {
            throw AccountError(.duplicate, "the login \(account.login) is taken", field: "login")
        }
    }

    public func updateAccount(_ account: PersonAccount) async throws -> Bool {
        let body = try Self.encoded(account)
        return try await writer.write { db in
            try db.execute(
                sql: "UPDATE person_account SET invitation_digest = ?, revision = ?, body = ? WHERE id = ? AND revision = ?",
                arguments: [account.invitationDigest, account.revision, body, account.id, account.revision - 1])
            return db.changesCount == 1
        }
    }

    func accounts(where clause: String, _ arguments: StatementArguments) async throws -> [PersonAccount] {
        let bodies = try await writer.read { db in try String.fetchAll(db, sql: "SELECT body FROM person_account " + clause, arguments: arguments) }
        return try bodies.map { try Self.decoded(PersonAccount.self, $0) }
    }

    public func account(id: String) async throws -> PersonAccount? { try await accounts(where: "WHERE id = ?", [id]).first }
    public func account(login: String) async throws -> PersonAccount? { try await accounts(where: "WHERE login = ?", [login]).first }
    public func account(invitationDigest: String) async throws -> PersonAccount? {
        try await accounts(where: "WHERE invitation_digest = ?", [invitationDigest]).first
    }
    public func accounts() async throws -> [PersonAccount] { try await accounts(where: "ORDER BY login", []) }

    public func insertSession(_ session: PortalSession) async throws {
        let body = try Self.encoded(session)
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO portal_session (token_digest, account_id, expires_at, body) VALUES (?, ?, ?, ?)",
                arguments: [session.tokenDigest, session.accountID, session.expiresAt.timeIntervalSince1970, body])
        }
    }

    public func session(tokenDigest: String) async throws -> PortalSession? {
        let body = try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT body FROM portal_session WHERE token_digest = ?", arguments: [tokenDigest])
        }
        return try body.map { try Self.decoded(PortalSession.self, $0) }
    }

    public func deleteSession(tokenDigest: String) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM portal_session WHERE token_digest = ?", arguments: [tokenDigest]) }
    }

    public func deleteSessions(accountID: String) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM portal_session WHERE account_id = ?", arguments: [accountID]) }
    }

    public func purgeSessions(expiredBefore time: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM portal_session WHERE expires_at < ?", arguments: [time.timeIntervalSince1970])
        }
    }

    public func recordSignInAttempt(login: String, at time: Date, since: Date) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM login_failure WHERE at < ?", arguments: [since.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO login_failure (login, at) VALUES (?, ?)", arguments: [login, time.timeIntervalSince1970])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM login_failure WHERE login = ?", arguments: [login]) ?? 0
        }
    }

    public func signInAttempts(login: String, since: Date) async throws -> Int {
        try await writer.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM login_failure WHERE login = ? AND at >= ?", arguments: [login, since.timeIntervalSince1970]) ?? 0
        }
    }

    public func clearSignInAttempts(login: String) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM login_failure WHERE login = ?", arguments: [login]) }
    }

    public func insertToken(_ token: PersonToken) async throws {
        let body = try Self.encoded(token)
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO person_token (id, account_id, created_at, body) VALUES (?, ?, ?, ?)",
                arguments: [token.id, token.accountID, token.createdAt.timeIntervalSince1970, body])
        }
    }

    public func token(id: String) async throws -> PersonToken? {
        let body = try await writer.read { db in try String.fetchOne(db, sql: "SELECT body FROM person_token WHERE id = ?", arguments: [id]) }
        return try body.map { try Self.decoded(PersonToken.self, $0) }
    }

    public func tokens(accountID: String?) async throws -> [PersonToken] {
        let bodies = try await writer.read { db in
            if let accountID {
                return try String.fetchAll(
                    db, sql: "SELECT body FROM person_token WHERE account_id = ? ORDER BY created_at DESC, id", arguments: [accountID])
            }
            return try String.fetchAll(db, sql: "SELECT body FROM person_token ORDER BY created_at DESC, id")
        }
        return try bodies.map { try Self.decoded(PersonToken.self, $0) }
    }

    public func revokeToken(id: String, at time: Date, by: String) async throws -> Bool {
        try await writer.write { db in
            guard let body = try String.fetchOne(db, sql: "SELECT body FROM person_token WHERE id = ?", arguments: [id]) else { return false }
            var token = try Self.decoded(PersonToken.self, body)
            guard token.revokedAt == nil else { return false }
            token.revokedAt = time
            token.revokedBy = by
            try db.execute(sql: "UPDATE person_token SET body = ? WHERE id = ?", arguments: [try Self.encoded(token), id])
            return true
        }
    }
}
