import Crypto
import DataspaceLedger
import Foundation
import Testing

@Suite struct CosignatureTests {
    @Test func witnessesCosignAndAQuorumIsEnforced() throws {
        let log = try NoteSigner(name: "dataspace.example/log", key: Curve25519.Signing.PrivateKey())
        let w1 = try Cosigner(name: "witness.example/w1", key: Curve25519.Signing.PrivateKey())
        let w2 = try Cosigner(name: "witness.example/w2", key: Curve25519.Signing.PrivateKey())
        let w3 = try Cosigner(name: "witness.example/w3", key: Curve25519.Signing.PrivateKey())
        let checkpoint = Checkpoint(origin: log.verifier.name, size: 5, root: .leaf(Data("x".utf8)))
        let note = try checkpoint.signed(by: log) + (try w1.cosign(checkpoint, at: 1_790_000_000)) + (try w2.cosign(checkpoint, at: 1_790_000_001))
        let (_, signed) = try Checkpoint.open(note, log: log.verifier)
        let found = try signed.cosignatures([w1.verifier, w2.verifier, w3.verifier])
        #expect(found.map(\.witness.name) == ["witness.example/w1", "witness.example/w2"])
        #expect(found.map(\.timestamp) == [1_790_000_000, 1_790_000_001])
        try signed.requireCosignatures([w1.verifier, w2.verifier, w3.verifier], quorum: 2)
        #expect(throws: NoteError.self) { try signed.requireCosignatures([w1.verifier, w2.verifier, w3.verifier], quorum: 3) }
        // A cosigner key text round-trips; the log's own key is not a cosigner key.
        #expect(try CosignatureVerifier(w1.verifier.text) == w1.verifier)
        #expect(throws: NoteError.self) { try CosignatureVerifier(log.verifier.text) }
    }

    @Test func aCosignatureBindsTheTimeAndTheWholeBody() throws {
        let log = try NoteSigner(name: "dataspace.example/log", key: Curve25519.Signing.PrivateKey())
        let witness = try Cosigner(name: "witness.example/w1", key: Curve25519.Signing.PrivateKey())
        let checkpoint = Checkpoint(origin: log.verifier.name, size: 5, root: .empty, extensions: ["ext"])
        let line = try witness.cosign(checkpoint, at: 42)
        // The same signature over another body (another size) fails.
        let other = Checkpoint(origin: log.verifier.name, size: 6, root: .empty, extensions: ["ext"])
        let moved = try SignedNote(parsing: try other.signed(by: log) + line)
        #expect(throws: NoteError.self) { try moved.cosignatures([witness.verifier]) }
        // A changed timestamp byte fails.
        let raw = Data(base64Encoded: String(line.split(separator: " ")[2].dropLast())) ?? Data()
        var bytes = Array(raw)
        bytes[11] ^= 0x01
        let tampered = "— witness.example/w1 \(Data(bytes).base64EncodedString())\n"
        let note = try SignedNote(parsing: try checkpoint.signed(by: log) + tampered)
        #expect(throws: NoteError.self) { try note.cosignatures([witness.verifier]) }
    }
}
