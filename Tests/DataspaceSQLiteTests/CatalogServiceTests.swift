import DataspaceApplication
import DataspaceCatalog
import DataspaceCore
import DataspaceIdentity
import DataspaceSQLite
import Foundation
import Testing

/// A catalog service over a real SQLite file and blob directory in a fresh temporary folder.
struct CatalogFixture {
    let root: URL
    let store: SQLiteStore
    let blobs: FileBlobStore
    let service: CatalogService

    init(importantScale: Int? = nil, maximumFileBytes: Int64 = 8 << 30) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        store = try SQLiteStore(path: root.appendingPathComponent("db.sqlite").path)
        blobs = try FileBlobStore(root: root.appendingPathComponent("blobs"))
        let credit = try CreditCode.completing("11440100MB2C92190")
        let region = try RegionCode("440100")
        let key = NodeKey()
        service = CatalogService(
            store: store, blobs: blobs, index: SearchIndex(), addresses: AddressBook(prefix: try IPv6Prefix("fd86::/64")),
            publisher: Publisher(name: "广州市数据局", did: try WebDID("did:web:127.0.0.1%3A8443"), creditCode: credit, region: region),
            maximumFileBytes: maximumFileBytes, assessment: importantScale.map { scale in
                CatalogService.AssessmentSettings(importantScale: scale, assessor: "did:web:127.0.0.1%3A8443", defaultDecider: "admin") { data in
                    try key.sign(data).base64EncodedString()
                }
            })
    }

    func body(_ text: String, chunk: Int = 5) -> AsyncStream<[UInt8]> {
        let bytes = Array(text.utf8)
        return AsyncStream { continuation in
            var i = 0
            while i < bytes.count {
                continuation.yield(Array(bytes[i..<min(bytes.count, i + chunk)]))
                i += chunk
            }
            continuation.finish()
        }
    }

    func blobFiles() throws -> [String] { try blobs.allDigests() }

    func tempFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("blobs/tmp").path)) ?? []
    }

    static let request = PublishRequest(title: "广州市空气质量监测数据", description: "逐小时AQI", keywords: ["空气质量", "AQI"], sector: "green-low-carbon")
}

@Suite struct CatalogServiceTests {
    @Test func publishStoresBlobRecordAndIndexEntry() async throws {
        let f = try CatalogFixture()
        let csv = "station,aqi\nGZ001,42\nGZ002,57\n"
        let record = try await f.service.publish(CatalogFixture.request, format: .csv, body: f.body(csv))
        #expect(record.version == 1)
        #expect(record.distribution.rowCount == 2)
        #expect(record.distribution.byteSize == Int64(csv.utf8.count))
        #expect(record.identifier.creditCode == f.service.publisher.creditCode)
        #expect(try f.blobFiles() == [record.distribution.sha256])
        #expect(try await f.store.datasetRowCount() == 1)
        #expect(f.service.index.search(SearchQuery(text: "空气")).total == 1)
        #expect(f.service.addresses.identifier(for: record.identifier.ipv6Address(in: f.service.addresses.prefix)) == record.identifier)
        // The stored bytes are exactly the published file.
        let stored = try f.blobs.open(record.distribution.sha256).readToEnd()
        #expect(stored == Data(csv.utf8))
    }

    /// A file a publish refuses, and the field the refusal names.
    struct BadUpload: Sendable, CustomTestStringConvertible {
        let text: String
        let field: String
        init(_ text: String, _ field: String) {
            self.text = text
            self.field = field
        }
        var testDescription: String { "\(text.prefix(24).debugDescription)… (\(text.utf8.count) bytes) at \(field)" }

        static let all = [
            BadUpload("a,b\n1,2\n3\n", "file:line 3"), BadUpload("a,b\n1,\"x\n", "file:line 2"), BadUpload("", "file"),
            BadUpload("a,b\n1,\"\"x\"2\n", "file:line 2"), BadUpload("a,b\n1,2\n3,4,5\n6,7\n", "file:line 3"),
            BadUpload("a,,c\n1,2,3\n", "file:line 1"), BadUpload("a,b,a\n1,2,3\n", "file:line 1"), BadUpload("a,b\n", "file"),
            BadUpload("a,b\n1,2\n" + String(repeating: "3,4\n", count: 20_000) + "5\n", "file:line 20003"),
        ]
    }

    /// Refused whether the validator reads the upload (no assessment) or its profile does (the
    /// node assesses), with the same field; neither leaves a blob, a temporary file or a row.
    @Test(arguments: BadUpload.all, [false, true])
    func failedPublishLeavesNoBlobAndNoRow(_ bad: BadUpload, assessed: Bool) async throws {
        let f = try CatalogFixture(importantScale: assessed ? 1_000_000 : nil)
        let error = await #expect(throws: CatalogError.self) {
            _ = try await f.service.publish(CatalogFixture.request, format: .csv, body: f.body(bad.text, chunk: 4_096))
        }
        #expect(error?.code == .invalidFile && error?.field == bad.field, "\(String(describing: error))")
        #expect(try f.blobFiles().isEmpty)
        #expect(f.tempFiles().isEmpty)
        #expect(try await f.store.datasetRowCount() == 0)
        #expect(f.service.index.count == 0)
    }

    /// A body that starts with `start` and then sends rows for ever.
    struct EndlessCSV: AsyncSequence, Sendable {
        typealias Element = [UInt8]
        let start: [UInt8]
        struct AsyncIterator: AsyncIteratorProtocol {
            var start: [UInt8]?
            let rows = Array(String(repeating: "1,2\n", count: 16_384).utf8)
            mutating func next() async -> [UInt8]? {
                defer { start = nil }
                return start ?? rows
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(start: start) }
    }

    /// An assessed upload is refused while it streams, as soon as the profile's first part
    /// meets a ragged row near its start: this body never ends, so a refusal only at the end
    /// of the upload would be the size limit instead.
    @Test func aProblemNearTheStartEndsTheUploadEarly() async throws {
        let f = try CatalogFixture(importantScale: 1_000_000, maximumFileBytes: 512 << 20)
        let error = await #expect(throws: CatalogError.self) {
            _ = try await f.service.publish(CatalogFixture.request, format: .csv, body: EndlessCSV(start: Array("a,b\n1,2\n3\n".utf8)))
        }
        #expect(error?.code == .invalidFile && error?.field == "file:line 3", "\(String(describing: error))")
        #expect(try f.blobFiles().isEmpty)
        #expect(f.tempFiles().isEmpty)
    }

    @Test func invalidMetadataIsRefusedBeforeAnyByteIsStored() async throws {
        let f = try CatalogFixture()
        var request = CatalogFixture.request
        request.policy = ["permission": [["action": "use", "constraint": [["leftOperand": "mood", "operator": "eq", "rightOperand": "x"]]]]]
        do {
            _ = try await f.service.publish(request, format: .csv, body: f.body("a\n1\n"))
            Issue.record("published with a bad policy")
        } catch let error as CatalogError {
            #expect(error.code == .invalidInput)
            #expect(error.field == "policy.permission[0].constraint[0].leftOperand")
        }
        request = CatalogFixture.request
        request.sector = "finance"
        await #expect(throws: CatalogError.self) { _ = try await f.service.publish(request, format: .csv, body: f.body("a\n1\n")) }
        request = CatalogFixture.request
        request.title = "   "
        await #expect(throws: CatalogError.self) { _ = try await f.service.publish(request, format: .csv, body: f.body("a\n1\n")) }
        #expect(try f.blobFiles().isEmpty)
        #expect(try await f.store.datasetRowCount() == 0)
    }

    @Test func oversizedFilesAreRefused() async throws {
        let base = try CatalogFixture()
        let small = CatalogService(
            store: base.store, blobs: base.blobs, index: SearchIndex(), addresses: base.service.addresses, publisher: base.service.publisher,
            maximumFileBytes: 10)
        do {
            _ = try await small.publish(CatalogFixture.request, format: .csv, body: base.body("a,b\n1,2\n3,4\n5,6\n"))
            Issue.record("accepted an oversized file")
        } catch let error as CatalogError {
            #expect(error.code == .tooLarge)
        }
        #expect(try base.blobFiles().isEmpty)
    }

    @Test func versionsKeepTheIdentifierAndLinkThePrevious() async throws {
        let f = try CatalogFixture()
        let v1 = try await f.service.publish(CatalogFixture.request, format: .csv, body: f.body("a\n1\n"))
        var next = ProductChanges()
        next.title = "广州市水质监测数据"
        let v2 = try await f.service.update(v1.identifier, next, format: .csv, body: f.body("a\n1\n2\n"))
        #expect(v2.identifier == v1.identifier)
        #expect(v2.version == 2)
        #expect(v2.previousVersion == 1)
        #expect(v2.issued == v1.issued)
        var back = ProductChanges()
        back.title = CatalogFixture.request.title
        let v3 = try await f.service.update(v1.identifier, back, format: nil, body: Optional<AsyncStream<[UInt8]>>.none)
        #expect(v3.distribution == v2.distribution)
        let versions = try await f.service.versions(v1.identifier)
        #expect(versions.map(\.status) == [.superseded, .superseded, .active])
        #expect(try f.blobFiles().count == 2)
        #expect(f.service.index.search(SearchQuery(text: "空气")).total == 1)
    }

    @Test func withdrawalRemovesFromSearchAndBlocksNewVersions() async throws {
        let f = try CatalogFixture()
        let record = try await f.service.publish(CatalogFixture.request, format: .csv, body: f.body("a\n1\n"))
        let withdrawn = try await f.service.withdraw(record.identifier)
        #expect(withdrawn.status == .withdrawn)
        #expect(f.service.index.search(SearchQuery(text: "空气")).total == 0)
        await #expect(throws: CatalogError.self) { _ = try await f.service.withdraw(record.identifier) }
        await #expect(throws: CatalogError.self) {
            _ = try await f.service.update(record.identifier, ProductChanges(), format: nil, body: Optional<AsyncStream<[UInt8]>>.none)
        }
        #expect(try await f.store.activeCount() == 0)
    }

    @Test func indexRebuildsFromTheStoreAndOrphansAreCollected() async throws {
        let f = try CatalogFixture()
        let record = try await f.service.publish(CatalogFixture.request, format: .csv, body: f.body("a\n1\n"))
        // An orphan blob, as a crash between storing a file and its record would leave.
        let writer = try f.blobs.beginWrite()
        try Array("orphan\n".utf8).withUnsafeBytes { try writer.write($0) }
        _ = try writer.commit()
        #expect(try f.blobFiles().count == 2)
        let reopened = CatalogService(
            store: f.store, blobs: f.blobs, index: SearchIndex(), addresses: AddressBook(prefix: f.service.addresses.prefix),
            publisher: f.service.publisher)
        try await reopened.rebuildIndex()
        #expect(reopened.index.search(SearchQuery(text: "空气质量")).hits.first?.identifier == record.identifier)
        #expect(try await reopened.collectGarbage() == 1)
        #expect(try f.blobFiles() == [record.distribution.sha256])
    }

    @Test func aComputeDeclarationGetsItsQueryStoreAtPublishAndOrphansLoseTheirs() async throws {
        let f = try CatalogFixture()
        let storesRoot = f.root.appendingPathComponent("blobs/querystores")
        let stores = try QueryStoreFiles(root: storesRoot)
        var service = f.service
        service.computeStores = stores
        func kept() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: storesRoot.path).filter { $0.hasSuffix(".dsq") }.sorted() }
        var request = CatalogFixture.request
        request.compute = ["privacyUnit": "person", "bounds": ["visits": "0:10"], "publicKeys": ["district"]]
        let csv = "person,district,visits\np1,越秀,3\np2,天河,40\np1,越秀,1\n"
        let record = try await service.publish(request, format: .csv, body: f.body(csv))
        // Built while publishing: on disk before anyone asked a query, named by file and declaration.
        #expect(try kept().map { String($0.prefix(64)) } == [record.distribution.sha256])
        // A new version of the same file under another declaration gets its own store.
        var changes = ProductChanges()
        changes.compute = ["privacyUnit": "person", "bounds": ["visits": "0:100"], "publicKeys": ["district"]]
        _ = try await service.update(record.identifier, changes, format: nil, body: Optional<AsyncStream<[UInt8]>>.none)
        #expect(try kept().count == 2)
        // A file no version refers to (as a crash mid-publish leaves) loses its blob and its store.
        let writer = try f.blobs.beginWrite()
        try Array("person,visits\nx,1\n".utf8).withUnsafeBytes { try writer.write($0) }
        let orphan = try writer.commit().sha256
        try await stores.prepare(
            sha256: orphan, path: try #require(f.blobs.localPath(orphan)), schema: ComputeSchema(privacyUnit: "person", bounds: ["visits": try ColumnBounds(parsing: "0:1")]))
        #expect(try kept().count == 3)
        #expect(try await service.collectGarbage() == 2)
        #expect(try kept().count == 2 && kept().allSatisfy { $0.hasPrefix(record.distribution.sha256) })
    }

    @Test func aRefusedPublishLeavesNeitherItsFileNorItsQueryStore() async throws {
        let f = try CatalogFixture(importantScale: 1_000_000)
        let storesRoot = f.root.appendingPathComponent("blobs/querystores")
        var service = f.service
        service.computeStores = try QueryStoreFiles(root: storesRoot)
        func kept() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: storesRoot.path).filter { $0.hasSuffix(".dsq") } }
        var request = CatalogFixture.request
        request.compute = ["privacyUnit": "person", "bounds": ["visits": "0:10"], "publicKeys": ["district"]]
        // Core data published as general without a reason: refused once assessed, after the
        // query store was built beside the assessment.
        request.impacts = ["national-security:serious"]
        request.grade = "general-1"
        let csv = "person,district,visits\np1,越秀,3\np2,天河,4\np1,越秀,1\n"
        let refusal = await #expect(throws: CatalogError.self) { try await service.publish(request, format: .csv, body: f.body(csv)) }
        #expect(refusal?.field == "gradeReason", "\(String(describing: refusal))")
        #expect(try f.blobFiles().isEmpty)
        #expect(try kept().isEmpty)
        // Published as it may be, the same file gets its store again.
        request.grade = nil
        let record = try await service.publish(request, format: .csv, body: f.body(csv))
        #expect(try kept().map { String($0.prefix(64)) } == [record.distribution.sha256])
    }

    @Test func identicalFilesShareOneBlob() async throws {
        let f = try CatalogFixture()
        _ = try await f.service.publish(CatalogFixture.request, format: .csv, body: f.body("a\n1\n"))
        _ = try await f.service.publish(CatalogFixture.request, format: .csv, body: f.body("a\n1\n"))
        #expect(try f.blobFiles().count == 1)
        #expect(try await f.store.activeCount() == 2)
    }
}
