import Crypto
import DataspaceLedger
import Foundation
import Testing

@Suite struct CheckpointTests {
    let signer = try! NoteSigner(name: "dataspace.example/node/log", key: Curve25519.Signing.PrivateKey())

    @Test func signedCheckpointsRoundTripAndBindEveryField() throws {
        var tree = MerkleTree()
        for i in 0..<10 { tree.append(.leaf(Data("e\(i)".utf8))) }
        let checkpoint = Checkpoint(origin: signer.verifier.name, size: tree.size, root: tree.root())
        #expect(checkpoint.body == "dataspace.example/node/log\n10\n\(tree.root().base64)\n")
        let note = try checkpoint.signed(by: signer)
        let (opened, _) = try Checkpoint.open(note, log: signer.verifier)
        #expect(opened == checkpoint)
        // Another size, another root or another origin under the same signature fails.
        for forged in [
            note.replacingOccurrences(of: "\n10\n", with: "\n11\n"),
            note.replacingOccurrences(of: tree.root().base64, with: tree.root(size: 9).base64),
            note.replacingOccurrences(of: "dataspace.example/node/log\n10", with: "dataspace.example/other/log\n10"),
        ] {
            #expect(throws: NoteError.self) { try Checkpoint.open(forged, log: signer.verifier) }
        }
    }

    @Test func malformedBodiesAreRefused() throws {
        let root = MerkleHash.empty.base64
        for body in ["origin\n010\n\(root)\n", "origin\n-1\n\(root)\n", "\n1\n\(root)\n", "origin\n1\nnot-base64\n", "origin\n1\n", "origin\n1\n\(root)", "origin\n1\n\(root)\n\n"] {
            #expect(throws: NoteError.self, "\(body.debugDescription)") { try Checkpoint(body: body) }
        }
        #expect(throws: NoteError.self) { try Checkpoint(origin: "other", size: 0, root: .empty).signed(by: signer) }
        #expect(try Checkpoint(body: "o\n0\n\(root)\next one\n").extensions == ["ext one"])
    }
}
