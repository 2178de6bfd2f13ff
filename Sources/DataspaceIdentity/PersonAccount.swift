import DataspaceCore
import Foundation

/// What a person of the node's organisation may do in the portal and through their API tokens.
/// Roles add up: a clerk who publishes and audits holds both.
public enum PersonRole: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Invites people, sets roles, approves members when the node is an authority.
    case administrator
    /// Publishes, updates and withdraws products; answers negotiations.
    case publisher
    /// Searches, requests access, downloads under agreements.
    case analyst
    /// Reads the evidence log and verifies receipts; changes nothing.
    case auditor

    public static func < (a: PersonRole, b: PersonRole) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }

    public var chineseLabel: String {
        switch self {
        case .administrator: "管理员"
        case .publisher: "发布员"
        case .analyst: "分析员"
        case .auditor: "审计员"
        }
    }
}

/// Whether a person can sign in.
public enum AccountStatus: String, Sendable, Hashable, Codable {
    /// Invited; signs in once they set a password through the invitation.
    case invited
    case active
    /// Signed out everywhere and refused until an administrator enables them again.
    case disabled
}

/// A person of the node's organisation. The store keeps only a salted, memory-hard hash of the
/// password and a SHA-256 digest of the invitation token; neither can be turned back into them.
public struct PersonAccount: Sendable, Hashable, Codable {
    public var id: String
    /// What the person types to sign in: lower-case, 3–64 of a–z 0–9 . _ @ -.
    public var login: String
    public var displayName: String
    public var roles: Set<PersonRole>
    public var status: AccountStatus
    /// `PasswordHash` text; nil until the invitation is accepted.
    public var passwordHash: String?
    public var invitationDigest: String?
    public var invitationExpiresAt: Date?
    /// Who invited them (an account id, or "admin-token" for the bootstrap token).
    public var invitedBy: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Bumped by every change; updates are compare-and-swap on it.
    public var revision: Int

    public init(
        id: String, login: String, displayName: String, roles: Set<PersonRole>, status: AccountStatus, passwordHash: String?,
        invitationDigest: String?, invitationExpiresAt: Date?, invitedBy: String, createdAt: Date, updatedAt: Date, revision: Int = 1
    ) {
        self.id = id
        self.login = login
        self.displayName = displayName
        self.roles = roles
        self.status = status
        self.passwordHash = passwordHash
        self.invitationDigest = invitationDigest
        self.invitationExpiresAt = invitationExpiresAt
        self.invitedBy = invitedBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revision = revision
    }

    public func has(_ role: PersonRole) -> Bool { status == .active && roles.contains(role) }

    /// Checks a login name as typed at the edge and returns its stored form.
    public static func normalizedLogin(_ text: String, field: String = "login") throws -> String {
        let login = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard (3...64).contains(login.utf8.count) else {
            throw AccountError(.invalid, "a login has 3 to 64 characters", field: field)
        }
        let allowed: (UInt8) -> Bool = { b in
            (97...122).contains(b) || (48...57).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "@")
                || b == UInt8(ascii: "-")
        }
        guard login.utf8.allSatisfy(allowed) else {
            throw AccountError(.invalid, "a login uses only letters a–z, digits and . _ @ -", field: field)
        }
        return login
    }

    /// Checks a display name: 1–100 characters, no control characters.
    public static func checkedDisplayName(_ text: String, field: String = "displayName") throws -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw AccountError(.invalid, "a name has 1 to 100 characters", field: field) }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw AccountError(.invalid, "a name may not contain control characters", field: field)
        }
        return name
    }
}

/// A signed-in browser. The cookie holds a random token; the store holds only its SHA-256
/// digest, so a copy of the database signs nobody in. The CSRF token is per session and is
/// compared in constant time on every form a person submits.
public struct PortalSession: Sendable, Hashable, Codable {
    public var tokenDigest: String
    public var accountID: String
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenDigest: String, accountID: String, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.tokenDigest = tokenDigest
        self.accountID = accountID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Why an account operation was refused; `field` names the input at fault when there is one.
public struct AccountError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case invalid
        case notFound = "not_found"
        case duplicate
        case unauthenticated
        case forbidden
        case throttled
        case conflict
    }

    public let kind: Kind
    public let message: String
    public let field: String?

    public init(_ kind: Kind, _ message: String, field: String? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
    }

    public var description: String { message }
}

/// Where accounts, portal sessions and failed sign-ins are kept: the node's shared store, so a
/// session started on one replica is valid on every other.
public protocol AccountStore: Sendable {
    /// Inserts an account; a login already taken is `AccountError(.duplicate)`.
    func insertAccount(_ account: PersonAccount) async throws
    /// Replaces the account if its stored revision is `account.revision - 1`; false if it moved on.
    func updateAccount(_ account: PersonAccount) async throws -> Bool
    func account(id: String) async throws -> PersonAccount?
    func account(login: String) async throws -> PersonAccount?
    func account(invitationDigest: String) async throws -> PersonAccount?
    func accounts() async throws -> [PersonAccount]

    func insertSession(_ session: PortalSession) async throws
    func session(tokenDigest: String) async throws -> PortalSession?
    func deleteSession(tokenDigest: String) async throws
    /// Ends every session of an account (disabled, password changed).
    func deleteSessions(accountID: String) async throws
    /// Drops sessions that expired before `time`.
    func purgeSessions(expiredBefore time: Date) async throws

    /// Records a sign-in attempt for `login` at `time` and returns how many it has since `since`
    /// (older ones of every login are dropped), this one included, in one atomic step so that
    /// racing attempts each get a distinct count. An attempt counts as failed until cleared.
    func recordSignInAttempt(login: String, at time: Date, since: Date) async throws -> Int
    /// Attempts for `login` since `since`.
    func signInAttempts(login: String, since: Date) async throws -> Int
    /// Forgets the attempts of `login` (after it signed in).
    func clearSignInAttempts(login: String) async throws

    func insertToken(_ token: PersonToken) async throws
    func token(id: String) async throws -> PersonToken?
    /// One person's tokens, or every token when `accountID` is nil; newest first.
    func tokens(accountID: String?) async throws -> [PersonToken]
    /// Marks a live token revoked; false if it was already revoked (or is unknown).
    func revokeToken(id: String, at time: Date, by: String) async throws -> Bool
}
