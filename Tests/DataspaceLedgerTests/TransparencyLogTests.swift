import Crypto
import DataspaceLedger
import Foundation
import Testing

@Suite struct TransparencyLogTests {
    func temporary() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-log-\(UUID().uuidString.prefix(8))")
    }

    let signer = try! NoteSigner(name: "dataspace.example/log", key: Curve25519.Signing.PrivateKey())

    @Test func concurrentAppendsGetDistinctIndicesAndTheCheckpointCoversThem() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TransparencyLog(directory: dir, signer: signer)
        let indices = try await withThrowingTaskGroup(of: (Int, UInt64).self) { group in
            for i in 0..<600 { group.addTask { (i, try await log.append(Array("event \(i)".utf8))) } }
            var out: [(Int, UInt64)] = []
            for try await pair in group { out.append(pair) }
            return out
        }
        #expect(Set(indices.map(\.1)) == Set(0..<600))
        let published = try await log.checkpoint(containing: 599)
        // Each entry sits at the index it was acknowledged with.
        var reference = MerkleTree(leaves: Array(repeating: .empty, count: 600))
        var byIndex = [MerkleHash](repeating: .empty, count: 600)
        for (i, index) in indices { byIndex[Int(index)] = .leaf(Array("event \(i)".utf8)) }
        reference = MerkleTree(leaves: byIndex)
        #expect(published.size == 600)
        #expect(published.root == reference.root())
        let (checkpoint, _) = try Checkpoint.open(published.note, log: signer.verifier)
        #expect(checkpoint.size == 600 && checkpoint.root == reference.root())
        // The files on disk follow tlog-tiles: two full level-0 tiles, a partial one, bundles.
        let tile = try Data(contentsOf: dir.appendingPathComponent("tile/0/001"))
        #expect(tile.count == 256 * 32)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tile/0/002.p/88").path))
        let bundle = try TransparencyLog.parseBundle(Array(try Data(contentsOf: dir.appendingPathComponent("tile/entries/002.p/88"))))
        #expect(bundle.count == 88)
        #expect(MerkleHash.leaf(bundle[0]) == byIndex[512])
    }

    @Test func reopeningRecoversFromTheCheckpointAndContinues() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        var leaves: [MerkleHash] = []
        do {
            let log = try TransparencyLog(directory: dir, signer: signer)
            let entries = (0..<70_000).map { Array("e\($0)".utf8) }
            _ = try await log.append(contentsOf: Array(entries[0..<40_000]))
            _ = try await log.append(contentsOf: Array(entries[40_000...]))
            leaves = entries.map { MerkleHash.leaf($0) }
            #expect(try await log.checkpoint(containing: 69_999).root == MerkleTree(leaves: leaves).root())
            await log.shutdown()
        }
        let reopened = try TransparencyLog(directory: dir, signer: signer)
        #expect(reopened.size == 70_000)
        #expect(reopened.latest.root == MerkleTree(leaves: leaves).root())
        let index = try await reopened.append(Array("after".utf8))
        #expect(index == 70_000)
        leaves.append(.leaf(Array("after".utf8)))
        #expect(try await reopened.checkpoint(containing: 70_000).root == MerkleTree(leaves: leaves).root())
        await reopened.shutdown()
        // Crossing 65,536 entries wrote a level-2 tile.
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tile/2/000.p/1").path))
    }

    @Test func aDamagedTileIsDetectedAtOpen() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TransparencyLog(directory: dir, signer: signer)
        _ = try await log.append(contentsOf: (0..<300).map { Array("x\($0)".utf8) })
        _ = try await log.checkpoint(containing: 299)
        let path = dir.appendingPathComponent("tile/0/001.p/44")
        var data = try Data(contentsOf: path)
        data[5] ^= 0xFF
        try data.write(to: path)
        #expect(throws: LogError.self) { try TransparencyLog(directory: dir, signer: signer) }
        // Another key cannot open the log: the checkpoint is not its own.
        let stranger = try NoteSigner(name: "dataspace.example/log", key: Curve25519.Signing.PrivateKey())
        #expect(throws: (any Error).self) { try TransparencyLog(directory: dir, signer: stranger) }
        await #expect(throws: LogError.self) { try await log.append([UInt8](repeating: 0, count: 70_000)) }
    }

    @Test func proofsFromTilesMatchTheReferenceTreeAndVerify() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TransparencyLog(directory: dir, signer: signer)
        let entries = (0..<1_300).map { Array("entry \($0)".utf8) }
        _ = try await log.append(contentsOf: Array(entries[0..<700]))
        _ = try await log.append(contentsOf: Array(entries[700...]))
        _ = try await log.checkpoint(containing: 1_299)
        let tree = MerkleTree(leaves: entries.map { MerkleHash.leaf($0) })
        for size in [UInt64(1), 2, 3, 255, 256, 257, 511, 512, 700, 1_024, 1_299, 1_300] {
            let root = try log.root(treeSize: size)
            #expect(root == tree.root(size: size))
            for index in Set([0, size / 2, size - 1, size > 256 ? 256 : 0]) where index < size {
                let proof = try log.inclusionProof(index: index, treeSize: size)
                #expect(proof == (try tree.inclusionProof(index: index, size: size)))
                try MerkleProof.verifyInclusion(leaf: .leaf(try log.entry(index)), index: index, size: size, proof: proof, root: root)
            }
            for old in Set([1, size / 3, size - 1, 256]) where old > 0 && old <= size {
                let proof = try log.consistencyProof(oldSize: old, newSize: size)
                #expect(proof == (try tree.consistencyProof(size1: old, size2: size)))
                try MerkleProof.verifyConsistency(size1: old, size2: size, root1: tree.root(size: old), root2: root, proof: proof)
            }
        }
        #expect(throws: ProofError.self) { try log.inclusionProof(index: 5, treeSize: 1_301) }
        #expect(try log.entry(1_299) == entries[1_299])
    }

    @Test func acknowledgedEntriesNotYetInACheckpointAreRecoveredFromTheJournal() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        // This instance integrates once, then not for an hour: what follows lives only in the
        // journal, as after a crash between acknowledgement and integration.
        let stalled = try TransparencyLog(directory: dir, signer: signer, integrationInterval: .seconds(3_600))
        _ = try await stalled.append(Array("first".utf8))
        _ = try await stalled.checkpoint(containing: 0)
        let entries = (0..<1_000).map { Array("journaled \($0)".utf8) }
        let range = try await stalled.append(contentsOf: entries)
        #expect(range == 1..<1_001)
        #expect(stalled.size == 1 && stalled.journaledSize == 1_001)
        let recovered = try TransparencyLog(directory: dir, signer: signer)
        #expect(recovered.size == 1_001)
        #expect(recovered.latest.root == MerkleTree(leaves: [.leaf(Array("first".utf8))] + entries.map { .leaf($0) }).root())
        #expect(try recovered.entry(1_000) == entries[999])
        await recovered.shutdown()
    }

    @Test func aSmallJournalWrapsManyTimesWithoutLosingEntries() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TransparencyLog(directory: dir, signer: signer, journalBytes: 4_096, integrationInterval: .milliseconds(1))
        let entries = (0..<3_000).map { Array("wrapped entry \($0)".utf8) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in stride(from: worker, to: entries.count, by: 8) { _ = try await log.append(entries[i]) }
                }
            }
            try await group.waitForAll()
        }
        let published = try await log.checkpoint(containing: 2_999)
        #expect(published.size == 3_000)
        let stored = try Set((0..<3_000).map { try log.entry(UInt64($0)) })
        #expect(stored == Set(entries))
        await log.shutdown()
        let reopened = try TransparencyLog(directory: dir, signer: signer, journalBytes: 4_096)
        #expect(reopened.latest == published)
        // A batch larger than the whole journal is refused, and the log keeps working.
        await #expect(throws: LogError.self) { try await reopened.append(contentsOf: (0..<200).map { _ in [UInt8](repeating: 7, count: 100) }) }
        #expect(try await reopened.append(Array("still fine".utf8)) == 3_000)
        await reopened.shutdown()
    }

    @Test func shutdownWhileAppendingCompletesAndKeepsEveryAcknowledgedEntry() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TransparencyLog(directory: dir, signer: signer, journalBytes: 1 << 20, integrationInterval: .milliseconds(5))
        let acknowledged = try await withThrowingTaskGroup(of: [UInt64: [UInt8]].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mine: [UInt64: [UInt8]] = [:]
                    for i in 0..<100_000 {
                        let entry = Array("w\(worker)-\(i)".utf8)
                        // Once the log closes, appends are refused; stop there.
                        guard let index = try? await log.append(entry) else { break }
                        mine[index] = entry
                    }
                    return mine
                }
            }
            group.addTask {
                // Shut down once appends are well under way — counted, not timed (a busy machine
                // acknowledged only 22 in the 150 ms this used to sleep). The shutdown must
                // finish even with appenders mid-write.
                while log.journaledSize < 200 { await Task.yield() }
                await log.shutdown()
                return [:]
            }
            var all: [UInt64: [UInt8]] = [:]
            for try await part in group { all.merge(part) { a, _ in a } }
            return all
        }
        #expect(acknowledged.count > 100)
        let reopened = try TransparencyLog(directory: dir, signer: signer)
        for (index, entry) in acknowledged { #expect(try reopened.entry(index) == entry) }
        await reopened.shutdown()
    }

    /// The witness loop waits on `published(beyond:)` instead of polling the checkpoint: it must
    /// return for a larger checkpoint, for a closing log and for a cancelled caller, and not for
    /// an append alone (the checkpoint is what witnesses sign).
    @Test(.timeLimit(.minutes(10))) func waitingForALargerCheckpointEndsOnGrowthClosingOrCancellation() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TransparencyLog(directory: dir, signer: signer)
        // Growth: a waiter that joined before the append returns once a checkpoint covers it.
        let grown = Task { await log.published(beyond: 0); return log.latest.size }
        let index = try await log.append(Array("first".utf8))
        #expect(await grown.value >= 1)
        // Asked for a size already exceeded: at once.
        await log.published(beyond: 0)
        let covered = try await log.checkpoint(containing: index)
        #expect(covered.size == 1)
        // Cancelled: the caller goes, the log has not grown.
        let cancelled = Task { await log.published(beyond: covered.size); return log.latest.size }
        cancelled.cancel()
        #expect(await cancelled.value == covered.size)
        // Closing: a waiter is let go although nothing was published.
        let closed = Task { await log.published(beyond: covered.size); return log.latest.size }
        await log.shutdown()
        #expect(await closed.value == covered.size)
    }
}
