import DataspaceCatalog
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspacePostgres
import DataspaceSQLite
import Foundation
import Logging
import Testing

/// What every store must do for the catalog, the authority's register, membership and replay
/// protection — the same assertions against each backend (`StorageBackend.available`).
@Suite struct StoreConformanceTests {
    typealias AnyStore = any CatalogStore & RegistryStore & MembershipStore & ReplayGuard

    /// A catalog service over `store`, with blobs in a fresh temporary directory.
    func catalog(_ store: AnyStore) throws -> (CatalogService, FileBlobStore) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-conformance-\(UUID().uuidString)")
        let blobs = try FileBlobStore(root: root.appendingPathComponent("blobs"))
        let service = CatalogService(
            store: store, blobs: blobs, index: SearchIndex(), addresses: AddressBook(prefix: try IPv6Prefix("fd86::/64")),
            publisher: Publisher(
                name: "广州市数据局", did: try WebDID("did:web:127.0.0.1%3A8443"), creditCode: try CreditCode.completing("11440100MB2C92190"),
                region: try RegionCode("440100")))
        return (service, blobs)
    }

    func body(_ text: String) -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            continuation.yield(Array(text.utf8))
            continuation.finish()
        }
    }

    @Test(arguments: StorageBackend.available) func catalogVersionsWithdrawalsAndPaging(_ backend: StorageBackend) async throws {
        let store = try await backend.store()
        let (service, _) = try catalog(store)
        let request = PublishRequest(title: "广州市空气质量监测数据", description: "逐小时AQI", keywords: ["空气质量"], sector: "green-low-carbon")
        let v1 = try await service.publish(request, format: .csv, body: body("station,aqi\nGZ001,42\n"))
        var changes = ProductChanges()
        changes.title = "广州市水质监测数据"
        let v2 = try await service.update(v1.identifier, changes, format: .csv, body: body("station,aqi\nGZ001,42\nGZ002,57\n"))
        #expect(try await store.versions(v1.identifier).map(\.status) == [.superseded, .active])
        #expect(try await store.record(v1.identifier, version: nil) == v2)
        #expect(try await store.record(v1.identifier, version: 1)?.title == request.title)
        // A stale next version (computed from version 1 again) is refused, and nothing changes.
        var stale = v2
        stale.title = "stale"
        await #expect(throws: CatalogError.self) { try await store.insertNextVersion(stale, report: nil, evidence: []) }
        #expect(try await store.versions(v1.identifier).count == 2)
        // The same identifier cannot be created twice.
        await #expect(throws: CatalogError.self) { try await store.insertFirstVersion(v1, report: nil, evidence: []) }

        let others = try await (0..<5).asyncMap { i in
            try await service.publish(request, format: .csv, body: body("a\n\(i)\n"))
        }
        #expect(try await store.activeCount() == 6)
        // Keyset paging visits every active product once, in identifier order.
        var seen: [UnifiedIdentifier] = []
        try await store.forEachActive(pageSize: 2) { page in seen += page.map(\.identifier) }
        #expect(seen == seen.sorted { $0.description < $1.description } && Set(seen).count == 6)
        let wanted = [others[3].identifier, v1.identifier, others[0].identifier]
        #expect(try await store.activeRecords(wanted).map(\.identifier) == wanted)

        let withdrawn = try await service.withdraw(others[0].identifier)
        #expect(withdrawn.status == .withdrawn)
        await #expect(throws: CatalogError.self) { _ = try await service.withdraw(others[0].identifier) }
        #expect(try await store.activeCount() == 5)
        #expect(try await store.activeRecords([others[0].identifier]).isEmpty)
        #expect(try await store.allIdentifiers().count == 6)
        #expect(try await store.isBlobReferenced(v2.distribution.sha256))
        #expect(try await !store.isBlobReferenced(String(repeating: "0", count: 64)))
        #expect(try await store.referencedBlobs().contains(v1.distribution.sha256))
    }

    @Test(arguments: StorageBackend.available) func racingNextVersionsLetExactlyOneWin(_ backend: StorageBackend) async throws {
        let store = try await backend.store()
        let (service, _) = try catalog(store)
        let v1 = try await service.publish(
            PublishRequest(title: "t", description: "d", keywords: [], sector: "green-low-carbon"), format: .csv, body: body("a\n1\n"))
        let wins = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<12 {
                group.addTask {
                    var next = v1
                    next.version = 2
                    next.title = "writer \(i)"
                    next.status = .active
                    return (try? await store.insertNextVersion(next, report: nil, evidence: [])) != nil
                }
            }
            var count = 0
            for await won in group where won { count += 1 }
            return count
        }
        #expect(wins == 1)
        #expect(try await store.versions(v1.identifier).map(\.version) == [1, 2])
    }

    @Test(arguments: StorageBackend.available) func registryTracksApplicationsAndRevocations(_ backend: StorageBackend) async throws {
        let store = try await backend.store()
        let profile = try ParticipantProfile.validated(
            name: "研究院", creditCode: CreditCode.completing("12440000455861972").value, region: "440104", sector: "scientific-research",
            did: "did:web:127.0.0.1%3A9100")
        var application = MembershipApplication(id: "app-1", profile: profile, status: .pending, submittedAt: Date(timeIntervalSince1970: 1_800_000_000))
        try await store.insertApplication(application, evidence: [])
        #expect(try await store.applications(status: .pending).map(\.id) == ["app-1"])
        #expect(try await store.activeMember(creditCode: profile.creditCode) == nil)
        let pending = application
        application.status = .approved
        application.credentialID = "urn:uuid:x"
        try await store.updateApplication(application, from: pending, evidence: [])
        // A write from the same stale read is a conflict, not a second decision.
        var stale = pending
        stale.status = .rejected
        let conflict = await #expect(throws: RegistrationError.self) { try await store.updateApplication(stale, from: pending, evidence: []) }
        #expect(conflict?.code == .conflict)
        #expect(try await store.application(id: "app-1") == application)
        #expect(try await store.activeMember(creditCode: profile.creditCode)?.id == "app-1")
        #expect(try await store.latestApplication(did: profile.did)?.status == .approved)
        let approved = application
        application.revokedAt = Date(timeIntervalSince1970: 1_800_000_100)
        try await store.updateApplication(application, from: approved, evidence: [])
        await #expect(throws: RegistrationError.self) { try await store.updateApplication(application, from: approved, evidence: []) }
        #expect(try await store.revokedCredentialIDs() == ["urn:uuid:x"])
        #expect(try await store.activeMember(creditCode: profile.creditCode) == nil)
        var missing = application
        missing.id = "nope"
        let notFound = await #expect(throws: RegistrationError.self) { try await store.updateApplication(missing, from: missing, evidence: []) }
        #expect(notFound?.code == .notFound)
    }

    /// Eight officers decide one application at once: exactly one decision stands, one
    /// credential, one evidence event.
    @Test(arguments: StorageBackend.available) func racingDecisionsLetExactlyOneStand(_ backend: StorageBackend) async throws {
        let store = try await backend.store()
        let profile = try ParticipantProfile.validated(
            name: "研究院", creditCode: CreditCode.completing("12440000455861972").value, region: "440104", sector: "scientific-research",
            did: "did:web:127.0.0.1%3A9100")
        let authority = AuthorityService(
            did: try WebDID("did:web:127.0.0.1%3A9000"), key: NodeKey(), store: store, autoApprove: false, revocationListURL: "http://127.0.0.1:9000/r")
        try await store.insertApplication(
            MembershipApplication(id: "app-race", profile: profile, status: .pending, submittedAt: Date(timeIntervalSince1970: 1_800_000_000)), evidence: [])
        let outcomes = try await withThrowingTaskGroup(of: String?.self) { group in
            for i in 0..<8 {
                group.addTask {
                    do {
                        let decided = i % 2 == 0
                            ? try await authority.approve(id: "app-race", by: "officer-\(i)")
                            : try await authority.reject(id: "app-race", reason: "no", by: "officer-\(i)")
                        return decided.decidedBy
                    } catch let error as RegistrationError where error.code == .conflict { return nil }
                }
            }
            var outcomes: [String?] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let winners = outcomes.compactMap { $0 }
        #expect(winners.count == 1)
        let stored = try #require(try await store.application(id: "app-race"))
        #expect(stored.decidedBy == winners.first)
        let ledger = try #require(store as? any LedgerIndexStore)
        let queued = try await ledger.pendingEvidence(limit: 100).filter { ["credential.issued", "participant.rejected"].contains($0.event.kind) }
        #expect(queued.count == 1)
    }

    @Test(arguments: StorageBackend.available) func membershipAndReplayProtection(_ backend: StorageBackend) async throws {
        let store = try await backend.store()
        #expect(try await store.membership() == nil)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.saveMembership(Membership(authorityURL: "http://a", authorityDID: "did:web:a", applicationID: "1", status: .pending, credential: nil, updatedAt: at))
        try await store.saveMembership(Membership(authorityURL: "http://a", authorityDID: "did:web:a", applicationID: "1", status: .approved, credential: "jws", updatedAt: at))
        #expect(try await store.membership()?.status == .approved)

        let later = Date().addingTimeInterval(60)
        // Many replicas seeing one token at once: exactly one accepts it.
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 { group.addTask { (try? await store.record(jti: "a", issuer: "did:web:x", expiresAt: later)) ?? false } }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(accepted == 1)
        #expect(try await store.record(jti: "a", issuer: "did:web:y", expiresAt: later))
        #expect(try await store.record(jti: "old", issuer: "did:web:x", expiresAt: Date().addingTimeInterval(-1)))
        #expect(try await store.record(jti: "old", issuer: "did:web:x", expiresAt: later), "an expired entry is purged")
    }
}

/// Settings a node reads from `database`: refused with the part that is wrong.
@Suite struct PostgresLocationTests {
    @Test func aURLIsReadWithItsOptionsAndItsPasswordIsNeverShown() throws {
        let location = try PostgresLocation(url: "postgres://node:s%40cret@db.internal:6543/dataspace?sslmode=verify-full&pool=40&connect_timeout=90")
        #expect(location.host == "db.internal" && location.port == 6543 && location.username == "node" && location.password == "s@cret")
        #expect(location.database == "dataspace" && location.tls == .verifyFull && location.poolSize == 40 && location.connectTimeout == 90)
        #expect(try PostgresLocation(url: location.url) == location, "the URL written to config.json reads back the same")
        #expect(try PostgresLocation(url: "postgres://u@h/d").connectTimeout == PostgresLocation.defaultConnectTimeout)
        #expect(!location.description.contains("cret") && location.description.contains("db.internal:6543/dataspace"))
        #expect(try PostgresLocation(url: "postgresql://u@h/d").port == 5432)
    }

    @Test(arguments: [
        ("postgres://h/d", "database"), ("postgres://u@/d", "database"), ("postgres://u@h", "database"), ("postgres://u@h:0/d", "database"),
        ("postgres://u@h/d?sslmode=maybe", "database.sslmode"), ("postgres://u@h/d?pool=0", "database.pool"),
        ("postgres://u@h/d?pool=lots", "database.pool"), ("postgres://u@h/d?password=x", "database.password"), ("mysql://u@h/d", "database"),
        ("postgres://u@h/d?connect_timeout=0", "database.connect_timeout"), ("postgres://u@h/d?connect_timeout=9999999999999999999999", "database.connect_timeout"),
    ])
    func mistakesAreNamed(_ url: String, _ field: String) {
        #expect(throws: ValidationError.self) { try PostgresLocation(url: url) }
        do {
            _ = try PostgresLocation(url: url)
        } catch let error as ValidationError {
            #expect(error.field == field, "\(url)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func anUnreachableServerIsNamedWithoutItsPassword() async throws {
        // Port 1 on loopback: nothing listens there.
        let location = try PostgresLocation(url: "postgres://u:topsecret@127.0.0.1:1/d?sslmode=disable")
        do {
            var quiet = Logger(label: "test")
            quiet.logLevel = .critical
            _ = try await PostgresStore(location: location, connectTimeout: .seconds(2), logger: quiet)
            Issue.record("connected to nothing")
        } catch let error as PostgresStoreError {
            #expect("\(error)".contains("127.0.0.1:1/d") && !"\(error)".contains("topsecret"))
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
