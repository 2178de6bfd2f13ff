import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceLedger
import DataspacePostgres
import DataspaceTestSupport
import Foundation
import Testing

/// Two stores over one PostgreSQL database stand for two replicas: what one commits, the
/// other hears (long-polls wake, search indexes follow), and only after the commit.
@Suite(.enabled(if: TestPostgres.isAvailable)) struct ChangeFeedTests {
    /// What the follower heard, in the order it heard it.
    enum Heard: Sendable, Equatable {
        case gap
        case change(StoreChange)
    }

    /// A hang (something never heard) fails the test after ten minutes instead of stalling the run
    /// (a whole parallel run takes about eight, and this test can take minutes of it under that
    /// load); nothing here waits on a clock otherwise.
    @Test(.timeLimit(.minutes(10))) func whatOneReplicaCommitsTheOtherHears() async throws {
        let location = try await TestPostgres.freshDatabase()
        let writer = try await PostgresStore(location: location)
        let follower = try await PostgresStore(location: location)
        let (stream, sink) = AsyncStream.makeStream(of: Heard.self)
        let following = Task {
            await follower.followChanges {
                sink.yield(.gap)
            } onChange: { change in
                sink.yield(.change(change))
            }
        }
        defer { following.cancel() }
        var heard = stream.makeAsyncIterator()
        #expect(await heard.next() == .gap, "the first connection is a gap (changes before it are read, not heard)")

        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try await writer.insertTransfer(ContractStoreConformanceTests().transfer("t1", state: .requested, updated: at))
        #expect(await heard.next() == .change(.process("t1")))

        // A transition that loses its compare-and-swap is rolled back, and nobody hears of it: a
        // marker committed after it is heard right after the update (notifications arrive in
        // commit order, so one from the lost race would have come before the marker).
        let stale = try #require(try await writer.transfer(id: "t1"))
        _ = try await writer.updateTransfer(id: "t1") { $0.reasons = ["first"] }
        await #expect(throws: ContractConflict.self) { _ = try await writer.replaceTransfer(stale) }
        try await writer.insertTransfer(ContractStoreConformanceTests().transfer("marker", state: .requested, updated: at))
        #expect(await heard.next() == .change(.process("t1")), "the update")
        #expect(await heard.next() == .change(.process("marker")), "the lost race is not announced")

        // A product published through one replica becomes searchable on the other.
        let blobs = try FileBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("feed-\(UUID().uuidString)"))
        func catalog(_ store: PostgresStore) throws -> CatalogService {
            CatalogService(
                store: store, blobs: blobs, index: SearchIndex(), addresses: AddressBook(prefix: try IPv6Prefix("fd86::/64")),
                publisher: Publisher(
                    name: "广州市数据局", did: try WebDID("did:web:127.0.0.1%3A8443"), creditCode: try CreditCode.completing("11440100MB2C92190"),
                    region: try RegionCode("440100")))
        }
        let here = try catalog(writer), there = try catalog(follower)
        let published = try await here.publish(
            PublishRequest(title: "广州市空气质量监测数据", description: "逐小时AQI", keywords: ["空气质量"], sector: "green-low-carbon"), format: .csv,
            body: AsyncStream { c in
                c.yield(Array("station,aqi\nGZ001,42\n".utf8))
                c.finish()
            })
        // Heard in its turn (a publish may announce more than its product).
        while let next = await heard.next(), next != .change(.product(published.identifier.description)) {}
        try await there.follow(published.identifier)
        #expect(there.index.search(SearchQuery(text: "空气质量")).hits.first?.identifier == published.identifier)
        _ = try await here.withdraw(published.identifier)
        try await there.follow(published.identifier)
        #expect(there.index.search(SearchQuery(text: "空气质量")).total == 0)
    }

    @Test func aResynchronizationDropsWhatWasWithdrawnMeanwhile() async throws {
        let store = try await TestPostgres.freshStore()
        let blobs = try FileBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("resync-\(UUID().uuidString)"))
        let service = CatalogService(
            store: store, blobs: blobs, index: SearchIndex(), addresses: AddressBook(prefix: try IPv6Prefix("fd86::/64")),
            publisher: Publisher(
                name: "广州市数据局", did: try WebDID("did:web:127.0.0.1%3A8443"), creditCode: try CreditCode.completing("11440100MB2C92190"),
                region: try RegionCode("440100")))
        let body = { AsyncStream<[UInt8]> { c in
            c.yield(Array("a\n1\n".utf8))
            c.finish()
        } }
        let kept = try await service.publish(PublishRequest(title: "保留 kept", description: "d", keywords: [], sector: "transport"), format: .csv, body: body())
        let gone = try await service.publish(PublishRequest(title: "撤回 gone", description: "d", keywords: [], sector: "transport"), format: .csv, body: body())
        // Another replica withdrew `gone` while this one was not listening.
        _ = try await store.withdraw(gone.identifier, at: Date()) { _ in [] }
        #expect(service.index.identifiers == [kept.identifier, gone.identifier])
        try await service.resynchronizeIndex()
        #expect(service.index.identifiers == [kept.identifier])
    }
}

/// The evidence log's sequencer over PostgreSQL: one holder at a time, a higher epoch for each
/// new one, and index writes of an earlier holder refused once a successor took over.
@Suite(.enabled(if: TestPostgres.isAvailable)) struct SequencerElectionTests {
    @Test func oneHolderAtATimeAndAStaleEpochIsFenced() async throws {
        let location = try await TestPostgres.freshDatabase()
        let a = try await PostgresStore(location: location)
        let b = try await PostgresStore(location: location)
        let first = try await a.whileSequencer(holder: "a") { epoch in
            // While a holds the role, b cannot take it.
            let refused = try await b.whileSequencer(holder: "b") { _ in true }
            #expect(refused == nil)
            try await a.indexLedgerEntries([LedgerEntryRow(index: 0, type: "product.published", time: 1, ref: "p0")], epoch: epoch)
            return epoch
        }
        let firstEpoch = try #require(first)
        // a gave the role up; b takes it with a higher epoch.
        let second = try #require(try await b.whileSequencer(holder: "b") { epoch in epoch })
        #expect(second > firstEpoch)
        // a, still running but no longer the sequencer (its session was lost, say), is fenced.
        await #expect(throws: SequencerFenced.self) {
            try await a.indexLedgerEntries([LedgerEntryRow(index: 1, type: "product.published", time: 2, ref: "p1")], epoch: firstEpoch)
        }
        #expect(try await b.ledgerEntries(type: nil, since: nil, after: nil, limit: 10).map(\.index) == [0])
        // A holder that fails (say, the log directory is still locked) gives the role up too.
        struct Refused: Error {}
        await #expect(throws: Refused.self) { _ = try await a.whileSequencer(holder: "a") { _ -> Bool in throw Refused() } }
        #expect(try await b.whileSequencer(holder: "b") { _ in true } == true)
    }
}
