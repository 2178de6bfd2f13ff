import DataspaceApplication
import DataspaceIdentity
import DataspaceSQLite
import Foundation
import Synchronization
import Testing

/// People, sessions and sign-in throttling, through the service over each storage backend.
@Suite struct AccountServiceTests {
    /// A clock the test moves; nothing waits on the wall clock.
    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func now() -> Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    /// scrypt at 1 MiB: the same code as the default cost, quick enough for many sign-ins.
    static let cheap = PasswordHash.Cost(log2N: 10, r: 8, p: 1)

    func service(_ backend: StorageBackend, clock: Clock) async throws -> AccountService {
        try AccountService(store: try await backend.accountStore(), cost: Self.cheap, now: { clock.now() })
    }

    @Test(arguments: StorageBackend.available) func anInvitedPersonSetsAPasswordSignsInAndOut(_ backend: StorageBackend) async throws {
        let clock = Clock()
        let accounts = try await service(backend, clock: clock)
        let invitation = try await accounts.invite(login: " Li.Na@Bureau ", displayName: "李娜", roles: [.publisher], by: "admin-token")
        #expect(invitation.account.login == "li.na@bureau")
        #expect(invitation.account.status == .invited)
        #expect(invitation.account.invitationDigest == SecretToken.digest(invitation.token))
        await #expect(throws: AccountError.self) { try await accounts.signIn(login: "li.na@bureau", password: "") }

        let active = try await accounts.acceptInvitation(token: invitation.token, password: "correct horse battery")
        #expect(active.status == .active)
        let stored = try #require(try await accounts.store.account(id: active.id))
        let hash = try #require(stored.passwordHash)
        #expect(hash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(!hash.contains("correct horse"))
        #expect(stored.invitationDigest == nil)
        // The invitation is spent.
        let reused = await #expect(throws: AccountError.self) { try await accounts.acceptInvitation(token: invitation.token, password: "another password") }
        #expect(reused?.kind == .notFound)

        let wrong = await #expect(throws: AccountError.self) { try await accounts.signIn(login: "li.na@bureau", password: "wrong horse battery") }
        #expect(wrong?.kind == .unauthenticated)
        let unknown = await #expect(throws: AccountError.self) { try await accounts.signIn(login: "nobody", password: "correct horse battery") }
        #expect(unknown?.message == wrong?.message)  // a wrong login and a wrong password read the same

        let signIn = try await accounts.signIn(login: "LI.NA@bureau", password: "correct horse battery")
        #expect(signIn.session.tokenDigest == SecretToken.digest(signIn.token))
        #expect(signIn.session.csrfToken.count >= 43)
        #expect(try await accounts.store.session(tokenDigest: signIn.token) == nil)  // only the digest is a key
        let live = try #require(try await accounts.session(token: signIn.token))
        #expect(live.account.id == active.id)
        try await accounts.signOut(token: signIn.token)
        #expect(try await accounts.session(token: signIn.token) == nil)
    }

    @Test(arguments: StorageBackend.available) func sessionsAndInvitationsExpireByTheClock(_ backend: StorageBackend) async throws {
        let clock = Clock()
        let accounts = try await service(backend, clock: clock)
        let a = try await accounts.invite(login: "wang", displayName: "王伟", roles: [.analyst], by: "admin-token")
        let late = try await accounts.invite(login: "zhao", displayName: "赵敏", roles: [.auditor], by: "admin-token")
        _ = try await accounts.acceptInvitation(token: a.token, password: "a long enough password")
        let signIn = try await accounts.signIn(login: "wang", password: "a long enough password")
        clock.advance(AccountService.sessionLifetime - 1)
        #expect(try await accounts.session(token: signIn.token) != nil)
        let second = try await accounts.signIn(login: "wang", password: "a long enough password")
        clock.advance(2)
        #expect(try await accounts.session(token: signIn.token) == nil)
        // The sweep drops what has ended and keeps what has not.
        #expect(try await accounts.store.session(tokenDigest: second.session.tokenDigest) != nil)
        clock.advance(AccountService.sessionLifetime)
        try await accounts.purgeExpiredSessions()
        #expect(try await accounts.store.session(tokenDigest: second.session.tokenDigest) == nil)
        clock.advance(AccountService.invitationLifetime)
        let expired = await #expect(throws: AccountError.self) { try await accounts.acceptInvitation(token: late.token, password: "a long enough password") }
        #expect(expired?.field == "token")
    }

    /// Twenty guesses at once: exactly `failuresAllowed` are checked, the rest refused unchecked;
    /// even the right password waits for the window to pass.
    @Test(arguments: StorageBackend.available) func racingGuessesCannotPassTheThrottle(_ backend: StorageBackend) async throws {
        let clock = Clock()
        let accounts = try await service(backend, clock: clock)
        let invitation = try await accounts.invite(login: "chen", displayName: "陈静", roles: [.publisher], by: "admin-token")
        _ = try await accounts.acceptInvitation(token: invitation.token, password: "the right password")
        let kinds = try await withThrowingTaskGroup(of: AccountError.Kind?.self) { group in
            for i in 0..<20 {
                group.addTask {
                    do {
                        _ = try await accounts.signIn(login: "chen", password: "guess number \(i)")
                        return nil
                    } catch let error as AccountError { return error.kind }
                }
            }
            var kinds: [AccountError.Kind?] = []
            for try await kind in group { kinds.append(kind) }
            return kinds
        }
        #expect(kinds.filter { $0 == .unauthenticated }.count == AccountService.failuresAllowed)
        #expect(kinds.filter { $0 == .throttled }.count == 20 - AccountService.failuresAllowed)
        let blocked = await #expect(throws: AccountError.self) { try await accounts.signIn(login: "chen", password: "the right password") }
        #expect(blocked?.kind == .throttled)
        #expect(blocked?.field == "login")
        clock.advance(AccountService.throttleWindow + 1)
        _ = try await accounts.signIn(login: "chen", password: "the right password")
        // A success forgets the failures.
        #expect(try await accounts.store.signInAttempts(login: "chen", since: clock.now().addingTimeInterval(-3600)) == 0)
    }

    @Test(arguments: StorageBackend.available) func administratorsChangeRolesAndDisableWithoutLosingTheLastOne(_ backend: StorageBackend) async throws {
        let clock = Clock()
        let accounts = try await service(backend, clock: clock)
        let adminInvitation = try await accounts.invite(login: "admin", displayName: "管理员", roles: [.administrator], by: "admin-token")
        let admin = try await accounts.acceptInvitation(token: adminInvitation.token, password: "administrator pass")
        let clerkInvitation = try await accounts.invite(login: "clerk", displayName: "Clerk", roles: [.publisher], by: admin.id)
        let clerk = try await accounts.acceptInvitation(token: clerkInvitation.token, password: "clerk password 1")
        let duplicate = await #expect(throws: AccountError.self) {
            try await accounts.invite(login: "CLERK", displayName: "Another", roles: [.analyst], by: admin.id)
        }
        #expect(duplicate?.kind == .duplicate)

        let forbidden = await #expect(throws: AccountError.self) { try await accounts.update(accountID: admin.id, roles: [.analyst], status: nil, by: clerk) }
        #expect(forbidden?.kind == .forbidden)
        let last = await #expect(throws: AccountError.self) { try await accounts.update(accountID: admin.id, roles: [.auditor], status: nil, by: admin) }
        #expect(last?.kind == .conflict)

        let session = try await accounts.signIn(login: "clerk", password: "clerk password 1")
        let disabled = try await accounts.update(accountID: clerk.id, roles: [.publisher, .analyst], status: .disabled, by: admin)
        #expect(disabled.roles == [.publisher, .analyst])
        #expect(try await accounts.session(token: session.token) == nil)
        let refused = await #expect(throws: AccountError.self) { try await accounts.signIn(login: "clerk", password: "clerk password 1") }
        #expect(refused?.kind == .forbidden)

        // Compare-and-swap: a write from a stale read is refused.
        var stale = clerk
        stale.displayName = "Stale"
        stale.revision += 1
        #expect(try await accounts.store.updateAccount(stale) == false)
    }

    @Test func inputsAreCheckedAtTheEdgeNamingTheField() async throws {
        let accounts = try await service(.sqlite, clock: Clock())
        for bad in ["ab", String(repeating: "a", count: 65), "李娜", "a b", "<script>", "a\u{0}b"] {
            let error = await #expect(throws: AccountError.self) { try await accounts.invite(login: bad, displayName: "x", roles: [.analyst], by: "t") }
            #expect(error?.field == "login")
        }
        let noName = await #expect(throws: AccountError.self) { try await accounts.invite(login: "okay", displayName: " ", roles: [.analyst], by: "t") }
        #expect(noName?.field == "displayName")
        let noRoles = await #expect(throws: AccountError.self) { try await accounts.invite(login: "okay", displayName: "Okay", roles: [], by: "t") }
        #expect(noRoles?.field == "roles")
        let invitation = try await accounts.invite(login: "okay", displayName: "Okay", roles: [.analyst], by: "t")
        for bad in ["short", "", String(repeating: "x", count: 257)] {
            let error = await #expect(throws: AccountError.self) { try await accounts.acceptInvitation(token: invitation.token, password: bad) }
            #expect(error?.field == "password")
        }
        let huge = await #expect(throws: AccountError.self) { try await accounts.acceptInvitation(token: String(repeating: "t", count: 10_000), password: "fine password") }
        #expect(huge?.field == "token")
        #expect(try await accounts.session(token: String(repeating: "t", count: 10_000)) == nil)
    }

    /// Stored hash texts come from the database: any malformed or absurdly expensive one is a
    /// mismatch, never a crash or a 2^40 computation.
    @Test func malformedStoredHashesNeverVerify() throws {
        // The cost nodes run with by default works within its memory limit.
        let standard = try PasswordHash.make("some password", cost: .standard)
        #expect(standard.hasPrefix("$scrypt$ln=15,r=8,p=3$"))
        #expect(PasswordHash.verify("some password", against: standard))
        let good = try PasswordHash.make("some password", cost: Self.cheap)
        #expect(PasswordHash.verify("some password", against: good))
        #expect(!PasswordHash.verify("some passworD", against: good))
        let parts = good.split(separator: "$").map(String.init)
        for bad in [
            "", "$", "$scrypt$", "$bcrypt$ln=10,r=8,p=1$\(parts[2])$\(parts[3])", "$scrypt$ln=40,r=8,p=1$\(parts[2])$\(parts[3])",
            "$scrypt$ln=10,r=8,p=999$\(parts[2])$\(parts[3])", "$scrypt$ln=19,r=8,p=1$\(parts[2])$\(parts[3])",
            "$scrypt$ln=10,r=16,p=1$\(parts[2])$\(parts[3])", "$scrypt$ln=x,r=8,p=1$\(parts[2])$\(parts[3])",
            "$scrypt$ln=10,r=8,p=1$!!!$\(parts[3])", "$scrypt$ln=10,r=8,p=1$\(parts[2])$AAAA", "$scrypt$ln=10,r=8$\(parts[2])$\(parts[3])",
        ] {
            #expect(!PasswordHash.verify("some password", against: bad), "\(bad)")
        }
    }

    /// An active person with `roles`, signed up through an invitation.
    func person(_ accounts: AccountService, _ login: String, roles: Set<PersonRole>) async throws -> PersonAccount {
        let invitation = try await accounts.invite(login: login, displayName: login, roles: roles, by: "admin-token")
        return try await accounts.acceptInvitation(token: invitation.token, password: "correct horse battery")
    }

    @Test(arguments: StorageBackend.available) func apiTokensActAsTheirPersonWithinScopesUntilExpiryOrRevocation(_ backend: StorageBackend) async throws {
        let clock = Clock()
        let accounts = try await service(backend, clock: clock)
        let li = try await person(accounts, "lina", roles: [.publisher, .analyst])
        let admin = try await person(accounts, "wang", roles: [.administrator])

        // A token with one of the person's roles; its text is shown once, its secret stored as a digest.
        let issued = try await accounts.issueToken(login: "lina", password: "correct horse battery", name: "nightly export", scopes: [.analyst], days: 30)
        #expect(issued.text.hasPrefix("dst_" + issued.token.id + "_"))
        let stored = try #require(try await accounts.store.token(id: issued.token.id))
        #expect(!stored.secretDigest.isEmpty && !issued.text.contains(stored.secretDigest))
        let caller = try #require(try await accounts.caller(bearer: issued.text))
        #expect(caller.account.id == li.id && caller.roles == [.analyst])

        // A role the person lacks cannot be put in a token; a bad password makes none.
        let lacking = await #expect(throws: AccountError.self) {
            try await accounts.issueToken(for: li, name: "too much", scopes: [.administrator], days: nil)
        }
        #expect(lacking?.field == "scopes")
        await #expect(throws: AccountError.self) {
            try await accounts.issueToken(login: "lina", password: "wrong horse battery", name: "x", scopes: nil, days: nil)
        }
        for days in [0, 366] {
            let refused = await #expect(throws: AccountError.self) { try await accounts.issueToken(for: li, name: "x", scopes: nil, days: days) }
            #expect(refused?.field == "days")
        }
        let unnamed = await #expect(throws: AccountError.self) { try await accounts.issueToken(for: li, name: " \u{7}", scopes: nil, days: nil) }
        #expect(unnamed?.field == "name")

        // Forged, truncated and foreign texts sign nobody in.
        let secret = try #require(PersonToken.parse(issued.text)?.secret)
        for forged in [
            "dst_" + issued.token.id + "_" + String(secret.reversed()), String(issued.text.dropLast()), "dst_" + issued.token.id,
            "dst_" + String(repeating: "0", count: 32) + "_" + secret, "Bearer " + issued.text, String(repeating: "a", count: 10_000), "",
        ] {
            #expect(try await accounts.caller(bearer: forged) == nil, "\(forged.prefix(40))")
        }

        // A role taken from the person is taken from the token; a disabled person's tokens stop.
        _ = try await accounts.update(accountID: li.id, roles: [.publisher], status: nil, by: admin)
        #expect(try await accounts.caller(bearer: issued.text)?.roles == [])
        _ = try await accounts.update(accountID: li.id, roles: [.publisher, .analyst], status: .disabled, by: admin)
        #expect(try await accounts.caller(bearer: issued.text) == nil)
        _ = try await accounts.update(accountID: li.id, roles: nil, status: .active, by: admin)
        #expect(try await accounts.caller(bearer: issued.text)?.roles == [.analyst])

        // Only its owner or an administrator revokes it; then it is refused.
        let other = try await person(accounts, "zhao", roles: [.analyst])
        let hidden = await #expect(throws: AccountError.self) { try await accounts.revokeToken(id: issued.token.id, by: other) }
        #expect(hidden?.kind == .notFound)
        #expect(try await accounts.tokens(of: other).isEmpty)
        #expect(try await accounts.tokens(of: li).map(\.id) == [issued.token.id])
        let second = try await accounts.issueToken(for: li, name: "second", scopes: nil, days: 1)
        #expect(second.token.scopes == [.publisher, .analyst])
        let wider = await #expect(throws: AccountError.self) {
            try await accounts.issueToken(for: li, name: "wider", scopes: [.publisher], days: 1, within: [.analyst])
        }
        #expect(wider?.field == "scopes", "a token made through an analyst token cannot be a publisher's")
        let revoked = try await accounts.revokeToken(id: issued.token.id, by: admin)
        #expect(revoked.revokedBy == admin.id && revoked.revokedAt == clock.now())
        #expect(try await accounts.caller(bearer: issued.text) == nil)
        let again = await #expect(throws: AccountError.self) { try await accounts.revokeToken(id: issued.token.id, by: li) }
        #expect(again?.kind == .conflict)

        // Expiry is the clock's: a day later the one-day token is refused.
        #expect(try await accounts.caller(bearer: second.text) != nil)
        clock.advance(86_400)
        #expect(try await accounts.caller(bearer: second.text) == nil)
        #expect(try await accounts.tokens(of: nil).count == 2, "the admin token lists everyone's")
    }
}
