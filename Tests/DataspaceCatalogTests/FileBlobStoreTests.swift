import Crypto
import DataspaceCatalog
import DataspaceCore
import Foundation
import Synchronization
import Testing

/// Blobs written around the page cache (O_DIRECT, through a writer thread) and through it must
/// hold the same bytes under the same digest, whatever the sizes of the writes.
@Suite struct FileBlobStoreTests {
    /// Bytes that differ at every offset, so a block written twice or in the wrong place shows.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    static func store() throws -> (FileBlobStore, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)")
        return (try FileBlobStore(root: root), root)
    }

    @Test(arguments: [0, 1, 4_095, 4_096, 4_097, 4 << 20, (4 << 20) + 1, (13 << 20) + 123])
    func writesTheBytesAndTheirDigest(size: Int) throws {
        for aroundCache in [true, false] {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            let store = try FileBlobStore(root: root, writesAroundCache: aroundCache)
            let data = Self.bytes(size, seed: UInt64(size))
            let writer = try store.beginWrite()
            let heard = Mutex<[Int64]>([])
            writer.observeLanding { total in heard.withLock { $0.append(total) } }
            // Writes of uneven sizes, crossing the writer's buffers anywhere.
            var random = SeededRandom(seed: 7)
            var offset = 0
            while offset < size {
                let n = min(size - offset, 1 + Int(random.next() % 300_000))
                try data[offset..<(offset + n)].withUnsafeBytes { try writer.write($0) }
                offset += n
            }
            try writer.flush()
            let pending = try #require(writer.pendingPath)
            #expect(FileManager.default.contents(atPath: pending) == Data(data), "around the cache: \(aroundCache)")
            let (digest, byteSize, created) = try writer.commit()
            #expect(digest == Hex.encode(SHA256.hash(data: data)))
            #expect(byteSize == Int64(size) && created)
            #expect(FileManager.default.contents(atPath: try #require(store.localPath(digest))) == Data(data))
            // The pending file's readers hear of every byte, in order, the last total the size.
            let totals = heard.withLock { $0 }
            #expect(totals == totals.sorted())
            #expect(totals.last == (size == 0 ? nil : Int64(size)))
        }
    }

    @Test func anUploadAbandonedMidWayLeavesNothing() throws {
        let (store, root) = try Self.store()
        defer { try? FileManager.default.removeItem(at: root) }
        let writer = try store.beginWrite()
        let pending = try #require(writer.pendingPath)
        try Self.bytes(9 << 20, seed: 3).withUnsafeBytes { try writer.write($0) }
        writer.abort()
        #expect(!FileManager.default.fileExists(atPath: pending))
        #expect(try store.allDigests().isEmpty)
    }

    @Test func theSameBytesTwiceAreOneBlob() throws {
        let (store, root) = try Self.store()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = Self.bytes((5 << 20) + 17, seed: 11)
        var digests: [String] = []
        var created: [Bool] = []
        for _ in 0..<2 {
            let writer = try store.beginWrite()
            try data.withUnsafeBytes { try writer.write($0) }
            let result = try writer.commit()
            digests.append(result.sha256)
            created.append(result.created)
        }
        #expect(digests[0] == digests[1] && created == [true, false])
        #expect(try store.allDigests() == [digests[0]])
    }
}
