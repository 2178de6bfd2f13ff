import DataspaceCore
import DataspaceIdentity
import Foundation
import PostgresNIO
import Synchronization

// MARK: - Registry (authority)

extension PostgresStore: RegistryStore {
    static func encodeApplication(_ a: MembershipApplication) throws -> String { try encoded(a) }

    static func decodeApplication(_ text: String) throws -> MembershipApplication {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(MembershipApplication.self, from: Data(text.utf8))
    }

    public func insertApplication(_ a: MembershipApplication, evidence: [EvidenceEvent] = []) async throws {
        let body = try Self.encodeApplication(a)
        do {
            try await transaction { db in
                try await db.run(
                    """
                    INSERT INTO application (id, did, credit_code, status, submitted_at, revoked_at, credential_id, body)
                    VALUES (\(a.id), \(a.profile.did.value), \(a.profile.creditCode.value), \(a.status.rawValue), \(a.submittedAt.timeIntervalSince1970),
                        \(a.revokedAt?.timeIntervalSince1970), \(a.credentialID), \(body))
                    """, logger: logger)
                try await queue(evidence, on: db)
            }
        } catch where Self.isUniqueViolation(error) {
            throw RegistrationError(.conflict, "application \(a.id) already exists")
        }
    }

    public func updateApplication(_ a: MembershipApplication, from previous: MembershipApplication, evidence: [EvidenceEvent] = []) async throws {
        let body = try Self.encodeApplication(a)
        let wasRevoked = previous.revokedAt != nil
        try await transaction { db in
            let changed = try await db.rows(
                """
                UPDATE application SET status = \(a.status.rawValue), revoked_at = \(a.revokedAt?.timeIntervalSince1970),
                    credential_id = \(a.credentialID), body = \(body)
                WHERE id = \(a.id) AND status = \(previous.status.rawValue) AND (revoked_at IS NOT NULL) = \(wasRevoked) RETURNING 1
                """, logger: logger
            ).count
            if changed == 0 {
                let exists = try await db.rows("SELECT 1 FROM application WHERE id = \(a.id)", logger: logger).count == 1
                throw exists
                    ? RegistrationError(.conflict, "application \(a.id) was decided by someone else meanwhile; reload it")
                    : RegistrationError(.notFound, "no application \(a.id)")
            }
            try await queue(evidence, on: db)
        }
    }

    public func application(id: String) async throws -> MembershipApplication? {
        try await rows("SELECT body FROM application WHERE id = \(id)").first.map { try Self.decodeApplication(try $0.decode(String.self)) }
    }

    public func applications(status: ApplicationStatus?) async throws -> [MembershipApplication] {
        let query: PostgresQuery =
            if let status {
                "SELECT body FROM application WHERE status = \(status.rawValue) ORDER BY submitted_at"
            } else {
                "SELECT body FROM application ORDER BY submitted_at"
            }
        return try await rows(query).map { try Self.decodeApplication(try $0.decode(String.self)) }
    }

    public func latestApplication(did: WebDID) async throws -> MembershipApplication? {
        try await rows("SELECT body FROM application WHERE did = \(did.value) ORDER BY submitted_at DESC LIMIT 1").first.map {
            try Self.decodeApplication(try $0.decode(String.self))
        }
    }

    public func activeMember(creditCode: CreditCode) async throws -> MembershipApplication? {
        try await rows(
            "SELECT body FROM application WHERE credit_code = \(creditCode.value) AND status = 'approved' AND revoked_at IS NULL LIMIT 1"
        ).first.map { try Self.decodeApplication(try $0.decode(String.self)) }
    }

    public func revokedCredentialIDs() async throws -> Set<String> {
        Set(try await rows("SELECT credential_id FROM application WHERE revoked_at IS NOT NULL AND credential_id IS NOT NULL").map {
            try $0.decode(String.self)
        })
    }
}

// MARK: - Membership (participant)

extension PostgresStore: MembershipStore {
    public func membership() async throws -> Membership? {
        guard let text = try await rows("SELECT body FROM membership WHERE singleton = 1").first?.decode(String.self) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(Membership.self, from: Data(text.utf8))
    }

    public func saveMembership(_ membership: Membership) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let body = String(decoding: try encoder.encode(membership), as: UTF8.self)
        try await rows("INSERT INTO membership (singleton, body) VALUES (1, \(body)) ON CONFLICT (singleton) DO UPDATE SET body = excluded.body")
    }
}

// MARK: - Replay protection (shared by every replica: a token used at one is refused at all)

extension PostgresStore: ReplayGuard {
    /// One statement per token (a round trip and a commit): the insert succeeds for a key never
    /// seen, or for one whose earlier record has expired (a token cannot be valid past its
    /// expiry, so that use is new). Expired rows are purged at most once a minute, not on every
    /// token as a transaction around both would.
    public func record(jti: String, issuer: String, expiresAt: Date) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        if replayPurge.isDue(at: now) {
            try await rows("DELETE FROM seen_token WHERE expires_at < \(now)")
        }
        let inserted = try await rows(
            """
            INSERT INTO seen_token (key, expires_at) VALUES (\(issuer + " " + jti), \(expiresAt.timeIntervalSince1970))
            ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE seen_token.expires_at < \(now) RETURNING 1
            """
        ).count
        return inserted == 1
    }
}

/// When the replay guard last purged expired tokens: at most once per `interval` seconds.
final class PeriodicPurge: Sendable {
    private let last = Mutex<Double>(0)
    let interval: Double

    init(interval: Double) { self.interval = interval }

    func isDue(at now: Double) -> Bool {
        last.withLock { last in
            guard now - last >= interval else { return false }
            last = now
            return true
        }
    }
}

// MARK: - Operator sessions ended before they expired

extension PostgresStore: OperatorSessionStore {
    public func endOperatorSession(id: String, expiresAt: Date) async throws {
        try await transaction { db in
            try await db.run("DELETE FROM operator_session_end WHERE expires_at < \(Date().timeIntervalSince1970)", logger: logger)
            try await db.run(
                "INSERT INTO operator_session_end (id, expires_at) VALUES (\(id), \(expiresAt.timeIntervalSince1970)) ON CONFLICT DO NOTHING",
                logger: logger)
        }
    }

    public func operatorSessionEnded(id: String) async throws -> Bool {
        try await rows("SELECT EXISTS(SELECT 1 FROM operator_session_end WHERE id = \(id))").first?.decode(Bool.self) ?? false
    }
}
