import AsyncHTTPClient
import Crypto
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceServer
import Foundation
import NIOHTTP1
import Testing

/// The evidence log between real nodes: events from registration to delivery, witness
/// cosignatures from the authority, receipts kept by the consumer, tiles a client can audit,
/// and a witness that refuses a forked log.
@Suite struct LedgerFlowTests {
    func events(_ net: TestNetwork, _ node: Int, _ query: String = "") async throws -> [JSONValue] {
        try await net.clients[node].call(.GET, "/api/v1/ledger/events" + query)["events"]?.arrayValue ?? []
    }

    func types(_ events: [JSONValue]) -> [String] { events.compactMap { $0["event"]?["type"]?.stringValue } }

    /// Runs the `dataspace` executable off the cooperative pool (the nodes under test need it).
    func cli(_ arguments: [String]) async throws -> CLITests.Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try CLITests().run(arguments) }) }
        }
    }

    @Test(arguments: TestNetwork.Database.available) func eventsAreLoggedWitnessedAndEachSideHoldsProof(_ database: TestNetwork.Database) async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute], database: database) { net in
            try await net.register(1)
            try await net.register(2)
            let record = try await net.publish(1, ContractFlowTests.metadata())
            let dataset = try #require(record["identifier"]?.stringValue)
            let n = try await ContractFlowTests().negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research")
            let agreementID = try #require(n["agreement"]?["id"]?.stringValue)
            let t = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreementID)
            let tid = try #require(t["id"]?.stringValue)
            let endpoint = try #require(t["dataAddress"]?["endpoint"]?.stringValue)
            let token = try #require(t["dataAddress"]?["token"]?.stringValue)
            let download = try await DataPlaneClient().download(endpoint: endpoint, token: token, to: net.root + "/fetched.csv")

            // The authority logged both registrations and credentials.
            let authorityEvents = try await net.settled { try await events(net, 0) }
            #expect(types(authorityEvents).filter { $0 == "participant.registered" }.count == 2)
            #expect(types(authorityEvents).filter { $0 == "credential.issued" }.count == 2)
            // Both parties logged the agreement with the same hash of the signed agreement.
            let agreedProvider = try await events(net, 1, "?type=negotiation.agreed")
            let agreedConsumer = try await events(net, 2, "?type=negotiation.agreed")
            #expect(agreedProvider.count == 1 && agreedConsumer.count == 1)
            let hash = agreedProvider.first?["event"]?["agreementSha256"]?.stringValue
            #expect(hash != nil && hash == agreedConsumer.first?["event"]?["agreementSha256"]?.stringValue)
            #expect(types(try await events(net, 1, "?type=product.published")) == ["product.published"])

            // The consumer fetches the provider's receipt for the delivery, verified and kept.
            let stored = try await net.clients[2].call(.POST, "/api/v1/transfers/\(tid)/receipts")
            let receiptText = try #require(stored["receipt"]?.stringValue)
            let receipt = try LedgerReceipt(parsing: receiptText)
            let event = try LedgerEvent(entry: receipt.entry)
            #expect(event.kind == .transferDelivered)
            #expect(event.fields["sha256"]?.stringValue == download.sha256)
            #expect(event.fields["bytes"]?.doubleValue == Double(download.bytes))
            #expect(event.fields["agreement"]?.stringValue == agreementID)
            let kept = try await net.clients[2].call(.GET, "/api/v1/transfers/\(tid)/receipts")
            #expect(kept["receipts"]?.arrayValue?.first?["receipt"]?.stringValue == receiptText)

            // Anyone can check it offline with the keys the DID documents publish, demanding the
            // authority's cosignature.
            let logKey = try NoteVerifier(try #require(net.nodes[1].didDocument.verifierKey(ofServiceType: DIDDocument.logServiceType)))
            let witnessKey = try CosignatureVerifier(try #require(net.nodes[0].didDocument.verifierKey(ofServiceType: DIDDocument.witnessServiceType)))
            try receipt.verify(log: logKey, witnesses: [witnessKey], quorum: 1)

            // The CLI checks the receipt offline, refuses an altered copy, and audits the whole log.
            if CLITests.available {
                let file = net.root + "/delivery.tlog-proof"
                try receiptText.write(toFile: file, atomically: true, encoding: .utf8)
                let valid = try await cli(["ledger", "verify", file, "--key", logKey.text, "--witness", witnessKey.text, "--quorum", "1"])
                #expect(valid.status == 0 && valid.stdout.contains("VALID: entry \(receipt.index)"), "\(valid.stderr)")
                try receiptText.replacingOccurrences(of: "\nindex ", with: "\nindex 7").write(toFile: file, atomically: true, encoding: .utf8)
                let invalid = try await cli(["ledger", "verify", file, "--key", logKey.text])
                #expect(invalid.status == 1 && invalid.stderr.contains("INVALID"))
                let audited = try await cli(["ledger", "verify", "--log", net.url(1), "--json"])
                try #require(audited.status == 0, "exit \(audited.status): \(audited.stderr)")
                let report = try JSONValue.parse(audited.stdout)
                #expect(audited.status == 0 && report["valid"] == .bool(true) && report["origin"]?.stringValue == logKey.name, "\(audited.stderr)")
            }

            // The public evidence page lists the entries and checks a pasted receipt — the
            // consumer's portal finds the provider's key from the receipt's origin.
            let page = try await raw(.GET, net.url(1) + "/ledger")
            #expect(page.status == 200 && page.text.contains("transfer.delivered") && page.text.contains(logKey.text))
            let form = "receipt=" + (receiptText.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let checked = try await raw(.POST, net.url(2) + "/ledger", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(form.utf8))
            #expect(checked.status == 200 && checked.text.contains("有效 Valid") && checked.text.contains("cosigned by"), "\(checked.text.suffix(800))")
            let altered = receiptText.replacingOccurrences(of: "\nindex ", with: "\nindex 9")
            let tamperedForm = "receipt=" + (altered.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let refused = try await raw(.POST, net.url(2) + "/ledger", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(tamperedForm.utf8))
            #expect(refused.status == 422 && refused.text.contains("无效 Invalid"))

            // The same receipt uploaded as a file (the form a browser sends), then tampered with,
            // then not text at all, then a cut-off form: a verdict or a reason, never a 500.
            func upload(_ file: [UInt8], receipt: String = "", cut: Int = 0) async throws -> RawReply {
                let boundary = "----dataspace\(UUID().uuidString.prefix(8))"
                var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"receipt-\(receipt.count).txt\"\r\nContent-Type: text/plain\r\n\r\n".utf8)
                body.append(contentsOf: file)
                body.append(Data("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"receipt\"\r\n\r\n\(receipt)\r\n--\(boundary)--\r\n".utf8))
                return try await raw(
                    .POST, net.url(2) + "/ledger", headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: body.dropLast(cut))
            }
            let uploaded = try await upload(Array(receiptText.utf8))
            #expect(uploaded.status == 200 && uploaded.text.contains("有效 Valid") && uploaded.text.contains("cosigned by"), "\(uploaded.text.suffix(600))")
            #expect(try await upload([], receipt: receiptText).text.contains("有效 Valid"), "no file: the pasted text is checked")
            let tamperedUpload = try await upload(Array(altered.utf8))
            #expect(tamperedUpload.status == 422 && tamperedUpload.text.contains("无效 Invalid"))
            let binary = try await upload([0xff, 0xfe, 0x00, 0x80])
            #expect(binary.status == 400 && binary.text.contains("UTF-8"))
            let cutOff = try await upload(Array(receiptText.utf8), cut: 40)
            #expect(cutOff.status == 400 && cutOff.text.contains("could not be read"))
            let huge = try await upload(Array(repeating: 0x41, count: 300 << 10))
            #expect(huge.status == 400 && huge.text.contains("KiB"))

            // The tiles served over HTTP audit to the published checkpoint.
            let base = net.url(1) + "/ledger/"
            let checkpointReply = try await raw(.GET, base + "checkpoint")
            #expect(checkpointReply.status == 200)
            let audit = try await LogAudit(log: logKey) { path in
                let reply = try await raw(.GET, base + path)
                guard reply.status == 200 else { throw LogError("\(path): HTTP \(reply.status)") }
                return Array(reply.body)
            }.verify(note: checkpointReply.text)
            #expect(audit.entries >= 3)
            // Tiles beyond the checkpoint and malformed paths are 404s.
            #expect(try await raw(.GET, base + "tile/0/999").status == 404)
            #expect(try await raw(.GET, base + "tile/0/../../config.json").status == 404)
            #expect(try await raw(.GET, base + "tile/entries/000.p/0").status == 404)

            // The supervisors' API validates its filters; the audit API needs the admin token.
            let bad = try await raw(.GET, net.url(1) + "/api/v1/ledger/events?type=bogus", headers: [("Authorization", "Bearer \(net.nodes[1].adminToken)")])
            #expect(bad.status == 400 && bad.text.contains("unknown event type"))
            #expect(try await raw(.GET, net.url(1) + "/api/v1/ledger/events").status == 401)
            #expect(try await events(net, 1, "?since=2999-01-01T00:00:00Z").isEmpty)
            #expect(try await raw(.GET, net.url(1) + "/ledger/receipt/999999").status == 404)
        }
    }

    /// Posts an add-checkpoint request body to a witness; returns status, content type and body.
    func addCheckpoint(_ url: String, _ body: String) async throws -> (status: Int, type: String?, text: String) {
        let reply = try await raw(.POST, url, body: Data(body.utf8))
        return (reply.status, reply.headers.first(name: "Content-Type"), reply.text)
    }

    func witnessedSize(_ net: TestNetwork, origin: String) async throws -> (size: UInt64, root: String)? {
        let status = try await net.clients[0].call(.GET, "/api/v1/ledger")
        guard let log = status["witness"]?["logs"]?.arrayValue?.first(where: { $0["origin"]?.stringValue == origin }),
            let size = log["size"]?.doubleValue, let root = log["root"]?.stringValue
        else { return nil }
        return (UInt64(size), root)
    }

    /// Ten minutes at most: a cosignature that never comes fails the test rather than stalling the
    /// run (a whole parallel run takes about eight, and this test minutes of it under that load).
    @Test(.timeLimit(.minutes(10))) func theAuthorityWitnessRefusesAForkedLog() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            try await net.register(1)
            _ = try await net.publish(1, airQuality)
            // Wait until the authority has cosigned the bureau's log.
            let origin = LedgerNames.logOrigin(for: net.nodes[1].did)
            await net.settle()
            await net.nodes[1].ledger.cosigned(atLeast: 1)
            let honest = try #require(try await witnessedSize(net, origin: origin))
            #expect(honest.size >= 1)
            let size = honest.size
            let url = net.url(0) + "/ledger/witness/add-checkpoint"
            let signer = try NoteSigner(name: origin, key: net.nodes[1].key.privateKey)

            // The same size with another root, signed with the bureau's own key: rewritten history.
            let forgedRoot = MerkleHash.leaf(Array("rewritten".utf8))
            let fork = try Checkpoint(origin: origin, size: size, root: forgedRoot).signed(by: signer)
            let forked = try await addCheckpoint(url, Witness.Request(oldSize: size, proof: [], note: fork).body)
            #expect(forked.status == 409)
            #expect(forked.type == "text/x.tlog.size")
            #expect(forked.text == "\(size)\n")
            // Rolled back to an empty log.
            let rolledBack = try Checkpoint(origin: origin, size: 0, root: .empty).signed(by: signer)
            let rollback = try await addCheckpoint(url, Witness.Request(oldSize: 0, proof: [], note: rolledBack).body)
            #expect(rollback.status == 409)
            // Grown on a forked history: no consistency proof can hold.
            let grown = try Checkpoint(origin: origin, size: size + 5, root: forgedRoot).signed(by: signer)
            let hash = MerkleHash.leaf(Array("x".utf8))
            let inconsistent = try await addCheckpoint(url, Witness.Request(oldSize: size, proof: [hash], note: grown).body)
            #expect(inconsistent.status == 422)
            // Signed by a key that is not the bureau's, or by a log nobody registered.
            let stranger = try NoteSigner(name: origin, key: Curve25519.Signing.PrivateKey())
            let forged = try Checkpoint(origin: origin, size: size + 5, root: forgedRoot).signed(by: stranger)
            let unsigned = try await addCheckpoint(url, Witness.Request(oldSize: size, proof: [], note: forged).body)
            #expect(unsigned.status == 403)
            let unknownSigner = try NoteSigner(name: "elsewhere.example/ledger", key: Curve25519.Signing.PrivateKey())
            let unknownNote = try Checkpoint(origin: "elsewhere.example/ledger", size: 1, root: hash).signed(by: unknownSigner)
            let unknown = try await addCheckpoint(url, Witness.Request(oldSize: 0, proof: [], note: unknownNote).body)
            #expect(unknown.status == 404)
            let garbage = try await addCheckpoint(url, "garbage")
            #expect(garbage.status == 400)
            // The witness still holds the honest root; a member node is no witness.
            let after = try await witnessedSize(net, origin: origin)
            #expect(after?.root != forgedRoot.base64)
            #expect(after.map { $0.size >= size } == true)
            let member = try await addCheckpoint(net.url(1) + "/ledger/witness/add-checkpoint", "old 0\n\n")
            #expect(member.status == 404)
        }
    }
}
