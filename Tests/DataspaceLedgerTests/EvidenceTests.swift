import Crypto
import DataspaceCore
import DataspaceLedger
import Foundation
import Testing

/// Receipts, witnesses, whole-log audits and event entries, on a real tiled log.
@Suite struct EvidenceTests {
    let logSigner = try! NoteSigner(name: "bureau.example:8443/ledger", key: Curve25519.Signing.PrivateKey())
    let witness = Witness(cosigner: try! Cosigner(name: "registry.example/witness", key: Curve25519.Signing.PrivateKey()))

    func withLog(_ count: Int, _ body: (TransparencyLog, [[UInt8]]) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-evidence-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TransparencyLog(directory: dir, signer: logSigner, integrationInterval: .milliseconds(1))
        let entries = (0..<count).map { i in
            LedgerEvent(kind: .transferDelivered, time: Date(timeIntervalSince1970: 1_790_000_000 + Double(i)), node: "did:web:bureau.example%3A8443",
                        fields: ["transfer": .string("urn:uuid:\(i)"), "bytes": .number(Double(i * 100)), "sha256": .string(String(repeating: "ab", count: 32))]).entry
        }
        if count > 0 {
            _ = try await log.append(contentsOf: entries)
            _ = try await log.checkpoint(containing: UInt64(count - 1))
        }
        try await body(log, entries)
        await log.shutdown()
    }

    func cosigned(_ note: String) throws -> String {
        let checkpoint = try Checkpoint.open(note, log: logSigner.verifier).checkpoint
        return note + (try witness.cosigner.cosign(checkpoint, at: 1_790_000_000))
    }

    @Test func aReceiptVerifiesOfflineAndAnyChangedByteBreaksIt() async throws {
        try await withLog(300) { log, entries in
            let latest = log.latest
            let index: UInt64 = 257
            let receipt = LedgerReceipt(
                entry: try log.entry(index), index: index, proof: try log.inclusionProof(index: index, treeSize: latest.size),
                checkpoint: try cosigned(latest.note))
            let text = receipt.text
            #expect(text.hasPrefix("c2sp.org/tlog-proof@v1\nextra "))
            let parsed = try LedgerReceipt(parsing: text)
            #expect(parsed == receipt)
            let proven = try parsed.verify(log: logSigner.verifier, witnesses: [witness.cosigner.verifier], quorum: 1)
            #expect(proven.size == 300)
            #expect(parsed.entry == entries[257])
            // Without the witness's key the quorum cannot be met; with another log's key nothing verifies.
            #expect(throws: (any Error).self) { try parsed.verify(log: logSigner.verifier, witnesses: [], quorum: 1) }
            let stranger = try NoteSigner(name: "bureau.example:8443/ledger", key: Curve25519.Signing.PrivateKey())
            #expect(throws: (any Error).self) { try parsed.verify(log: stranger.verifier) }
            // Every single changed byte, anywhere in the receipt, is caught.
            let bytes = Array(text.utf8)
            var caught = 0
            for position in bytes.indices {
                var changed = bytes
                changed[position] ^= 0x01
                let tampered = String(decoding: changed, as: UTF8.self)
                do {
                    try LedgerReceipt(parsing: tampered).verify(log: logSigner.verifier, witnesses: [witness.cosigner.verifier], quorum: 1)
                    Issue.record("a receipt with byte \(position) changed still verifies")
                } catch {
                    caught += 1
                }
            }
            #expect(caught == bytes.count)
        }
    }

    @Test func aWitnessCosignsConsistentCheckpointsAndRefusesForksAndRollbacks() async throws {
        try await withLog(700) { log, _ in
            let small = try Checkpoint(origin: logSigner.verifier.name, size: 300, root: try log.root(treeSize: 300)).signed(by: logSigner)
            // First contact: old size 0, empty proof.
            let first = try witness.check(.init(oldSize: 0, proof: [], note: small), log: logSigner.verifier, last: nil)
            #expect(first.record == .init(size: 300, root: try log.root(treeSize: 300)))
            let cosignedNote = try SignedNote(parsing: small + first.cosignature)
            #expect(try cosignedNote.cosignatures([witness.cosigner.verifier]).count == 1)

            // A consistent extension is cosigned.
            let big = log.latest.note
            let proof = try log.consistencyProof(oldSize: 300, newSize: 700)
            let second = try witness.check(.init(oldSize: 300, proof: proof, note: big), log: logSigner.verifier, last: first.record)
            #expect(second.record.size == 700)

            // A stale old size is a conflict that tells the client the witness's size.
            #expect(throws: WitnessError.conflict(700, "the witness last cosigned size 700, not 300")) {
                try witness.check(.init(oldSize: 300, proof: proof, note: big), log: logSigner.verifier, last: second.record)
            }
            // Rolled back: a smaller tree than the witness saw.
            let rolledBack = try Checkpoint(origin: logSigner.verifier.name, size: 500, root: try log.root(treeSize: 500)).signed(by: logSigner)
            let rollback = #expect(throws: WitnessError.self) {
                try witness.check(.init(oldSize: 700, proof: [], note: rolledBack), log: logSigner.verifier, last: second.record)
            }
            #expect(rollback?.status == 400)
            // Forked: same size, another root.
            let forkedRoot = MerkleTree(leaves: (0..<700).map { MerkleHash.leaf(Array("forged \($0)".utf8)) }).root()
            let fork = try Checkpoint(origin: logSigner.verifier.name, size: 700, root: forkedRoot).signed(by: logSigner)
            let forked = #expect(throws: WitnessError.self) {
                try witness.check(.init(oldSize: 700, proof: [], note: fork), log: logSigner.verifier, last: second.record)
            }
            #expect(forked?.status == 409)
            // Forked and grown: the consistency proof cannot hold.
            let forkedBigger = try Checkpoint(origin: logSigner.verifier.name, size: 900, root: forkedRoot).signed(by: logSigner)
            let inconsistent = #expect(throws: WitnessError.self) {
                try witness.check(.init(oldSize: 700, proof: proof, note: forkedBigger), log: logSigner.verifier, last: second.record)
            }
            #expect(inconsistent?.status == 422)
            // Signed by someone else: 403.
            let stranger = try NoteSigner(name: logSigner.verifier.name, key: Curve25519.Signing.PrivateKey())
            let forged = try Checkpoint(origin: stranger.verifier.name, size: 900, root: forkedRoot).signed(by: stranger)
            let unsigned = #expect(throws: WitnessError.self) {
                try witness.check(.init(oldSize: 700, proof: [], note: forged), log: logSigner.verifier, last: second.record)
            }
            #expect(unsigned?.status == 403)
        }
    }

    @Test func requestBodiesFollowTlogWitness() throws {
        let hash = MerkleHash.leaf(Array("x".utf8))
        let request = Witness.Request(oldSize: 12, proof: [hash, hash], note: "origin\n13\n\(hash.base64)\n\n— origin AAAA\n")
        let parsed = try Witness.Request(parsing: request.body)
        #expect(parsed.oldSize == 12 && parsed.proof == [hash, hash] && parsed.note == request.note)
        for bad in ["old 012\n\nnote\n", "old x\n\n", "new 1\n\n", "old 1\nnot-base64\n\n", "old 1"] {
            #expect(throws: WitnessError.self) { try Witness.Request(parsing: bad) }
        }
    }

    @Test func anAuditRecomputesEveryTileAndCatchesADamagedOne() async throws {
        try await withLog(70_000) { log, _ in
            let directory = log.storageDirectory
            let fetch: @Sendable (String) async throws -> [UInt8] = { path in
                guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(path).path) else { throw LogError("missing \(path)") }
                return Array(data)
            }
            let result = try await LogAudit(log: logSigner.verifier, fetch: fetch).verify(note: log.latest.note)
            #expect(result.entries == 70_000)
            #expect(result.bundles == 274)
            // 274 level-0 tiles, 2 level-1 tiles (273 full tiles below: 256 + 17), 1 level-2 tile.
            #expect(result.tiles == 274 + 2 + 1)
            // One flipped bit in an entry bundle is found.
            let bundle = directory.appendingPathComponent(TilePath.entries(index: 100))
            var data = try Data(contentsOf: bundle)
            data[10] ^= 0x01
            try data.write(to: bundle)
            await #expect(throws: LogError.self) { try await LogAudit(log: logSigner.verifier, fetch: fetch).verify(note: log.latest.note) }
        }
    }

    @Test func eventsAreCanonicalJSONAndOnlyCanonicalEntriesParse() throws {
        let event = LedgerEvent(
            kind: .negotiationAgreed, time: Date(timeIntervalSince1970: 1_790_000_000.7), node: "did:web:a",
            fields: ["agreement": "urn:uuid:1", "z": .number(3), "ä": "x", "b\u{8}": "tab\tnew\nline"])
        let text = String(decoding: event.entry, as: UTF8.self)
        #expect(text == #"{"agreement":"urn:uuid:1","b\b":"tab\tnew\nline","node":"did:web:a","time":1790000000,"type":"negotiation.agreed","z":3,"ä":"x"}"#)
        #expect(try LedgerEvent(entry: event.entry) == event)
        #expect(throws: LedgerEventError.self) { try LedgerEvent(entry: Array(#"{"type":"negotiation.agreed","node":"did:web:a","time":1790000000}"#.utf8)) }
        #expect(throws: LedgerEventError.self) { try LedgerEvent(entry: Array(#"{"node":"did:web:a","time":1,"type":"unknown"}"#.utf8)) }
    }

    @Test func originsMapBackToDIDs() throws {
        let did = try WebDID("did:web:127.0.0.1%3A8443")
        #expect(LedgerNames.logOrigin(for: did) == "127.0.0.1:8443/ledger")
        #expect(LedgerNames.did(forLogOrigin: "127.0.0.1:8443/ledger") == did)
        let pathDID = try WebDID("did:web:example.com:org:unit")
        #expect(LedgerNames.did(forLogOrigin: LedgerNames.logOrigin(for: pathDID)) == pathDID)
        #expect(LedgerNames.did(forLogOrigin: "example.com/log") == nil)
    }
}
