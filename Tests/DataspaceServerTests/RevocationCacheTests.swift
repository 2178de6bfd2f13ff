import DataspaceCore
import DataspaceIdentity
import Foundation
import Synchronization
import Testing

@testable import DataspaceServer

/// When a cached revocation list expires under load, the authority is asked once: checks that
/// miss while a fetch is on its way wait for it. With no caching (ttl 0) each check asks.
@Suite("Revocation list fetches")
struct RevocationCacheTests {
    static let issuer = try! WebDID("did:web:authority.example")

    /// A fetch that is held until the test opens it, counting how often it was asked.
    final class HeldFetch: Sendable {
        let asked = Mutex(0)
        let failures = Mutex(0)
        let gate = Gate()

        func fetch(_ issuer: WebDID) async throws(IdentityError) -> RevocationList {
            asked.withLock { $0 += 1 }
            await gate.pass()
            if failures.withLock({ left in
                defer { left = max(0, left - 1) }
                return left > 0
            }) {
                throw IdentityError(.verificationUnavailable, "the revocation list of \(issuer.value) is unavailable now (503); try again shortly")
            }
            return RevocationList(issuer: issuer, issuedAt: Date(), revoked: ["urn:uuid:revoked"])
        }
    }

    actor Gate {
        var isOpen = false
        var held: [CheckedContinuation<Void, Never>] = []
        func pass() async {
            if isOpen { return }
            await withCheckedContinuation { held.append($0) }
        }
        func open() {
            isOpen = true
            for waiter in held { waiter.resume() }
            held.removeAll()
        }
    }

    /// Yields until `condition` holds (no clock); false if it never did.
    static func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<200_000 {
            if await condition() { return true }
            await Task.yield()
        }
        return false
    }

    static func checks(_ cache: RevocationCache, count: Int) -> [Task<Bool, any Error>] {
        (0..<count).map { i in
            Task { try await cache.isRevoked(credentialID: i == 0 ? "urn:uuid:revoked" : "urn:uuid:member-\(i)", issuer: issuer) }
        }
    }

    @Test("sixteen checks missing the cache together cause one fetch, and each gets its answer")
    func oneFetchForManyChecks() async throws {
        let held = HeldFetch()
        let cache = RevocationCache(ttl: 300, localIssuer: nil, local: nil, fetch: held.fetch)
        let running = Self.checks(cache, count: 16)
        #expect(await Self.eventually { await cache.waitingChecks(Self.issuer) == 16 })
        await held.gate.open()
        var answers: [Bool] = []
        for check in running { answers.append(try await check.value) }
        #expect(answers == [true] + Array(repeating: false, count: 15))
        #expect(held.asked.withLock { $0 } == 1)
        // Fresh now: answered from the cache.
        #expect(try await cache.isRevoked(credentialID: "urn:uuid:revoked", issuer: Self.issuer))
        #expect(held.asked.withLock { $0 } == 1)
        #expect(await cache.waitingChecks(Self.issuer) == 0)
    }

    @Test("a failed fetch fails every check that shared it; the next check fetches again")
    func aFailureIsSharedOnceThenRetried() async throws {
        let held = HeldFetch()
        held.failures.withLock { $0 = 1 }
        let cache = RevocationCache(ttl: 300, localIssuer: nil, local: nil, fetch: held.fetch)
        let running = Self.checks(cache, count: 4)
        #expect(await Self.eventually { await cache.waitingChecks(Self.issuer) == 4 })
        await held.gate.open()
        for check in running {
            await #expect(throws: IdentityError.self) { _ = try await check.value }
        }
        #expect(held.asked.withLock { $0 } == 1)
        #expect(try await cache.isRevoked(credentialID: "urn:uuid:revoked", issuer: Self.issuer))
        #expect(held.asked.withLock { $0 } == 2)
    }

    @Test("with no caching every check asks the authority itself")
    func noCachingAsksEveryTime() async throws {
        let held = HeldFetch()
        let cache = RevocationCache(ttl: 0, localIssuer: nil, local: nil, fetch: held.fetch)
        let running = Self.checks(cache, count: 3)
        #expect(await Self.eventually { held.asked.withLock { $0 } == 3 })
        await held.gate.open()
        for check in running { _ = try await check.value }
        #expect(held.asked.withLock { $0 } == 3)
        _ = try await cache.isRevoked(credentialID: "urn:uuid:revoked", issuer: Self.issuer)
        #expect(held.asked.withLock { $0 } == 4)
    }
}
