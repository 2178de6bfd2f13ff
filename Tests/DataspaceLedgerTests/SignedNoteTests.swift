import Crypto
import DataspaceLedger
import Foundation
import Testing

@Suite struct SignedNoteTests {
    func vectors() throws -> [[String: Any]] {
        guard let root = Reference.directory else { return [] }
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/signed-note/vectors.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["vectors"] as? [[String: Any]] ?? []
    }

    @Test(.enabled(if: Reference.directory != nil)) func referenceVectorsVerifyAndTheDeterministicOneIsReproduced() throws {
        let all = try vectors()
        #expect(all.count == 2)
        for v in all {
            let verifier = try NoteVerifier(try #require(v["verifierKey"] as? String))
            let signed = try #require(v["signedNote"] as? String)
            let note = try SignedNote(parsing: signed)
            #expect(note.text == v["text"] as? String)
            #expect(try note.verify([verifier]) == [verifier])
            #expect(verifier.text == v["verifierKey"] as? String)
            if let signerKey = v["signerKey"] as? String, v["deterministicSignature"] as? Bool == true {
                let signer = try NoteSigner(privateKey: signerKey)
                #expect(signer.verifier == verifier)
                // Ed25519 is deterministic: the same bytes as the reference, byte for byte.
                #expect(try SignedNote.sign(try #require(v["text"] as? String), with: [signer]) == signed)
            }
        }
    }

    @Test(.enabled(if: Reference.directory != nil)) func anyChangedByteFailsVerification() throws {
        for v in try vectors() {
            let verifier = try NoteVerifier(try #require(v["verifierKey"] as? String))
            let signed = Array(try #require(v["signedNote"] as? String).utf8)
            for i in stride(from: 0, to: signed.count, by: 3) {
                var bytes = signed
                bytes[i] ^= 0x01
                guard let text = String(bytes: bytes, encoding: .utf8) else { continue }
                let accepted = (try? SignedNote(parsing: text).verify([verifier])) != nil
                #expect(!accepted, "a note with byte \(i) changed still verified")
            }
        }
    }

    @Test func signAndVerifyWithAFreshKey() throws {
        let signer = try NoteSigner(name: "dataspace.example/log", key: Curve25519.Signing.PrivateKey())
        let text = "dataspace.example/log\n3\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n"
        let note = try SignedNote(parsing: try SignedNote.sign(text, with: [signer]))
        #expect(try note.verify([signer.verifier]).first?.name == "dataspace.example/log")
        let other = try NoteSigner(name: "dataspace.example/log", key: Curve25519.Signing.PrivateKey())
        #expect(throws: NoteError.self) { try note.verify([other.verifier]) }
        #expect(throws: NoteError.self) { try NoteVerifier("name+00000000+" + Data([0x01] + Array(repeating: 0, count: 32)).base64EncodedString()) }
        #expect(throws: (any Error).self) { try SignedNote.sign("no trailing newline", with: [signer]) }
    }
}
