import DataspaceCore
import DataspaceIdentity
import Foundation

/// People of the node's organisation: invitations, sign-in with throttling, sessions that every
/// replica honours, roles. No HTTP here: the portal and the API call it with values already
/// parsed, and it answers with values or `AccountError`s that name the field at fault.
public struct AccountService: Sendable {
    public let store: any AccountStore
    public let now: @Sendable () -> Date
    public let cost: PasswordHash.Cost

    /// How long a session lasts from sign-in (a working day).
    public static let sessionLifetime: TimeInterval = 8 * 3600
    /// How long an invitation can be accepted.
    public static let invitationLifetime: TimeInterval = 7 * 86400
    /// Failed sign-ins allowed for one login within `throttleWindow` before it is refused outright.
    public static let failuresAllowed = 5
    public static let throttleWindow: TimeInterval = 15 * 60

    /// A hash of nothing anyone knows, verified when the login is unknown so that a wrong login and
    /// a wrong password take the same time.
    let decoy: String

    public init(store: any AccountStore, cost: PasswordHash.Cost = .standard, now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.store = store
        self.now = now
        self.cost = cost
        self.decoy = try PasswordHash.make(SecretToken.make(), cost: cost)
    }

    /// An invitation: the account to be, and the one-time token (shown once, stored as a digest)
    /// that the person uses to set their password.
    public struct Invitation: Sendable {
        public var account: PersonAccount
        public var token: String
    }

    /// Invites a person with `roles`. `by` is the inviting account's id or "admin-token".
    public func invite(login: String, displayName: String, roles: Set<PersonRole>, by: String) async throws -> Invitation {
        let login = try PersonAccount.normalizedLogin(login)
        let name = try PersonAccount.checkedDisplayName(displayName)
        guard !roles.isEmpty else { throw AccountError(.invalid, "give at least one role", field: "roles") }
        let token = SecretToken.make()
        let at = now()
        let account = PersonAccount(
            id: UUID().uuidString.lowercased(), login: login, displayName: name, roles: roles, status: .invited, passwordHash: nil,
            invitationDigest: SecretToken.digest(token), invitationExpiresAt: at.addingTimeInterval(Self.invitationLifetime), invitedBy: by,
            createdAt: at, updatedAt: at)
        try await store.insertAccount(account)
        return Invitation(account: account, token: token)
    }

    /// The account an invitation token belongs to, if it can still be accepted.
    public func invitation(token: String) async throws -> PersonAccount {
        guard token.utf8.count <= 100, let account = try await store.account(invitationDigest: SecretToken.digest(token)),
            account.status == .invited, let expires = account.invitationExpiresAt, expires > now()
        else { throw AccountError(.notFound, "this invitation is unknown, used or expired; ask your administrator for a new one", field: "token") }
        return account
    }

    /// Sets the password of an invited person; the invitation cannot be used again.
    public func acceptInvitation(token: String, password: String) async throws -> PersonAccount {
        var account = try await invitation(token: token)
        try Self.checkPassword(password, login: account.login)
        account.passwordHash = try PasswordHash.make(password, cost: cost)
        account.status = .active
        account.invitationDigest = nil
        account.invitationExpiresAt = nil
        account.updatedAt = now()
        account.revision += 1
        guard try await store.updateAccount(account) else {
            throw AccountError(.conflict, "this invitation was just used; sign in instead", field: "token")
        }
        return account
    }

    static func checkPassword(_ password: String, login: String) throws {
        guard PasswordHash.lengths.contains(password.count), password.utf8.count <= 1024 else {
            throw AccountError(.invalid, "a password has \(PasswordHash.lengths.lowerBound) to \(PasswordHash.lengths.upperBound) characters", field: "password")
        }
        guard password.lowercased() != login else { throw AccountError(.invalid, "a password may not be the login", field: "password") }
    }

    /// A new session and the cookie token that names it (returned once, stored as a digest).
    public struct SignIn: Sendable {
        public var account: PersonAccount
        public var session: PortalSession
        public var token: String
    }

    /// Signs a person in. Every attempt is counted before the password is checked (and forgotten
    /// when it succeeds), so racing guesses cannot slip past the limit: after `failuresAllowed`
    /// within `throttleWindow` the login is refused without checking the password until the
    /// window has passed, whoever is trying.
    public func signIn(login text: String, password: String) async throws -> SignIn {
        let account = try await authenticate(login: text, password: password)
        let at = now()
        let token = SecretToken.make()
        let session = PortalSession(
            tokenDigest: SecretToken.digest(token), accountID: account.id, csrfToken: SecretToken.make(), createdAt: at,
            expiresAt: at.addingTimeInterval(Self.sessionLifetime))
        try await store.insertSession(session)
        return SignIn(account: account, session: session, token: token)
    }

    /// The active account a login and password name, under the throttle `signIn` describes.
    func authenticate(login text: String, password: String) async throws -> PersonAccount {
        let refused = AccountError(.unauthenticated, "the login or the password is wrong", field: "password")
        guard let login = try? PersonAccount.normalizedLogin(text), password.utf8.count <= 1024 else { throw refused }
        let at = now()
        let since = at.addingTimeInterval(-Self.throttleWindow)
        let throttled = AccountError(
            .throttled, "too many failed sign-ins for \(login); try again in \(Int(Self.throttleWindow / 60)) minutes", field: "login")
        guard try await store.signInAttempts(login: login, since: since) < Self.failuresAllowed,
            try await store.recordSignInAttempt(login: login, at: at, since: since) <= Self.failuresAllowed
        else { throw throttled }
        let account = try await store.account(login: login)
        let matches = PasswordHash.verify(password, against: account?.passwordHash ?? decoy)
        guard let account, matches, account.status == .active else {
            if let account, matches, account.status == .disabled {
                throw AccountError(.forbidden, "this account is disabled; ask your administrator", field: "login")
            }
            throw refused
        }
        try await store.clearSignInAttempts(login: login)
        return account
    }

    /// The person a cookie token signs in, if the session is live and the account active.
    public func session(token: String) async throws -> (account: PersonAccount, session: PortalSession)? {
        guard (1...100).contains(token.utf8.count) else { return nil }
        guard let session = try await store.session(tokenDigest: SecretToken.digest(token)) else { return nil }
        guard session.expiresAt > now() else {
            try await store.deleteSession(tokenDigest: session.tokenDigest)
            return nil
        }
        guard let account = try await store.account(id: session.accountID), account.status == .active else { return nil }
        return (account, session)
    }

    /// Drops sessions that have ended (run periodically; an ended session is refused anyway).
    public func purgeExpiredSessions() async throws {
        try await store.purgeSessions(expiredBefore: now())
    }

    public func signOut(token: String) async throws {
        guard (1...100).contains(token.utf8.count) else { return }
        try await store.deleteSession(tokenDigest: SecretToken.digest(token))
    }

    /// Changes a person's roles or status; disabling ends their sessions. Only an administrator
    /// may, and not to leave the node without an active administrator.
    public func update(accountID: String, roles: Set<PersonRole>?, status: AccountStatus?, by actor: PersonAccount?) async throws -> PersonAccount {
        if let actor, !actor.has(.administrator) { throw AccountError(.forbidden, "only an administrator changes accounts") }
        guard var account = try await store.account(id: accountID) else { throw AccountError(.notFound, "no account \(accountID)", field: "id") }
        if let roles {
            guard !roles.isEmpty else { throw AccountError(.invalid, "give at least one role", field: "roles") }
            account.roles = roles
        }
        if let status {
            guard status != .invited else { throw AccountError(.invalid, "status is active or disabled", field: "status") }
            guard account.status != .invited else { throw AccountError(.conflict, "an invited person becomes active by accepting", field: "status") }
            account.status = status
        }
        if account.id == actor?.id, !account.has(.administrator) {
            let others = try await store.accounts().filter { $0.id != account.id && $0.has(.administrator) }
            guard !others.isEmpty else { throw AccountError(.conflict, "you are the last administrator; make someone else one first", field: "roles") }
        }
        account.updatedAt = now()
        account.revision += 1
        guard try await store.updateAccount(account) else { throw AccountError(.conflict, "the account changed meanwhile; reload and try again") }
        if account.status == .disabled { try await store.deleteSessions(accountID: account.id) }
        return account
    }

    // MARK: API tokens

    /// A new token and its text (shown once).
    public struct IssuedToken: Sendable {
        public var token: PersonToken
        public var text: String
    }

    /// Makes an API token for `account` with `scopes` (all its roles when nil), valid for `days`.
    /// A person can only give a token roles they hold; made through another token (`within` its
    /// roles), no role that token lacks: a narrow token cannot mint a wider one.
    public func issueToken(
        for account: PersonAccount, name: String, scopes: Set<PersonRole>?, days: Int?, within: Set<PersonRole>? = nil
    ) async throws -> IssuedToken {
        guard account.status == .active else { throw AccountError(.forbidden, "only an active person makes tokens", field: "login") }
        let name = try PersonToken.checkedName(name)
        let scopes = scopes ?? within ?? account.roles
        if let within, !scopes.isSubset(of: within) {
            throw AccountError(
                .forbidden, "this token has the role \(within.sorted().map(\.rawValue).joined(separator: ", ")); a token it makes cannot have more",
                field: "scopes")
        }
        guard !scopes.isEmpty else { throw AccountError(.invalid, "give the token at least one role", field: "scopes") }
        let lacking = scopes.subtracting(account.roles)
        guard lacking.isEmpty else {
            throw AccountError(
                .forbidden, "\(account.login) does not hold the role \(lacking.sorted().map(\.rawValue).joined(separator: ", ")); a token cannot have it",
                field: "scopes")
        }
        let days = days ?? PersonToken.defaultLifetime
        guard PersonToken.lifetimes.contains(days) else {
            throw AccountError(.invalid, "a token lasts \(PersonToken.lifetimes.lowerBound) to \(PersonToken.lifetimes.upperBound) days", field: "days")
        }
        let at = now()
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let secret = SecretToken.make()
        let token = PersonToken(
            id: id, accountID: account.id, name: name, scopes: scopes, secretDigest: SecretToken.digest(secret), createdAt: at,
            expiresAt: at.addingTimeInterval(TimeInterval(days) * 86_400))
        try await store.insertToken(token)
        return IssuedToken(token: token, text: PersonToken.text(id: id, secret: secret))
    }

    /// Signs in with a password and makes a token in one step (for `dataspace login`).
    public func issueToken(login: String, password: String, name: String, scopes: Set<PersonRole>?, days: Int?) async throws -> IssuedToken {
        let account = try await authenticate(login: login, password: password)
        return try await issueToken(for: account, name: name, scopes: scopes, days: days)
    }

    /// Who a bearer token acts as, with the roles it may use now (its scopes that the person still
    /// holds); nil when the text is not a live token of an active person.
    public func caller(bearer text: String) async throws -> (account: PersonAccount, token: PersonToken, roles: Set<PersonRole>)? {
        guard let (id, secret) = PersonToken.parse(text), let token = try await store.token(id: id) else { return nil }
        guard SecretToken.equal(SecretToken.digest(secret), token.secretDigest), token.isLive(at: now()) else { return nil }
        guard let account = try await store.account(id: token.accountID), account.status == .active else { return nil }
        return (account, token, token.scopes.intersection(account.roles))
    }

    /// One person's tokens (`actor` is nil for the admin token, which sees everyone's).
    public func tokens(of actor: PersonAccount?) async throws -> [PersonToken] {
        try await store.tokens(accountID: actor?.id)
    }

    /// Revokes a token: its owner or an administrator may (`actor` nil is the admin token).
    public func revokeToken(id: String, by actor: PersonAccount?) async throws -> PersonToken {
        let unknown = AccountError(.notFound, "no token \(id)", field: "id")
        guard id.utf8.count <= 64, let token = try await store.token(id: id) else { throw unknown }
        if let actor, token.accountID != actor.id {
            // Someone else's token exists for an administrator only.
            guard actor.has(.administrator) else { throw unknown }
        }
        guard try await store.revokeToken(id: id, at: now(), by: actor?.id ?? "admin-token") else {
            throw AccountError(.conflict, "token \(id) is already revoked", field: "id")
        }
        return try await store.token(id: id) ?? token
    }
}
