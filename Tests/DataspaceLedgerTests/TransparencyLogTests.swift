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
        // Each entry sits at the index it was acknowledged with.
        var reference = MerkleTree(leaves: Array(repeating: .empty, count: 600))
        var byIndex = [MerkleHash](repeating: .empty, count: 600)
        for (i, index) in indices { byIndex[Int(index)] = .leaf(Array("event \(i)".utf8)) }
        reference = MerkleTree(leaves: byIndex)
        #expect(await log.size == 600)
        #expect(await log.root == reference.root())
        let (checkpoint, _) = try Checkpoint.open(await log.checkpointNote, log: signer.verifier)
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
            #expect(await log.root == MerkleTree(leaves: leaves).root())
        }
        let reopened = try TransparencyLog(directory: dir, signer: signer)
        #expect(await reopened.size == 70_000)
        #expect(await reopened.root == MerkleTree(leaves: leaves).root())
        let index = try await reopened.append(Array("after".utf8))
        #expect(index == 70_000)
        leaves.append(.leaf(Array("after".utf8)))
        #expect(await reopened.root == MerkleTree(leaves: leaves).root())
        // Crossing 65,536 entries wrote a level-2 tile.
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tile/2/000.p/1").path))
    }

    @Test func aDamagedTileIsDetectedAtOpen() async throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TransparencyLog(directory: dir, signer: signer)
        _ = try await log.append(contentsOf: (0..<300).map { Array("x\($0)".utf8) })
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
        let tree = MerkleTree(leaves: entries.map { MerkleHash.leaf($0) })
        for size in [UInt64(1), 2, 3, 255, 256, 257, 511, 512, 700, 1_024, 1_299, 1_300] {
            let root = try await log.root(treeSize: size)
            #expect(root == tree.root(size: size))
            for index in Set([0, size / 2, size - 1, size > 256 ? 256 : 0]) where index < size {
                let proof = try await log.inclusionProof(index: index, treeSize: size)
                #expect(proof == (try tree.inclusionProof(index: index, size: size)))
                try MerkleProof.verifyInclusion(leaf: .leaf(try await log.entry(index)), index: index, size: size, proof: proof, root: root)
            }
            for old in Set([1, size / 3, size - 1, 256]) where old > 0 && old <= size {
                let proof = try await log.consistencyProof(oldSize: old, newSize: size)
                #expect(proof == (try tree.consistencyProof(size1: old, size2: size)))
                try MerkleProof.verifyConsistency(size1: old, size2: size, root1: tree.root(size: old), root2: root, proof: proof)
            }
        }
        await #expect(throws: ProofError.self) { try await log.inclusionProof(index: 5, treeSize: 1_301) }
        #expect(try await log.entry(1_299) == entries[1_299])
    }
}
