import ArgumentParser
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceServer
import Foundation

/// `dataspace ledger …`: browse the evidence log, get receipts and proofs, and verify them —
/// a receipt offline, a whole log by recomputing every tile, or two checkpoints' consistency.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Browse and verify the evidence log (transparency log).",
        subcommands: [LedgerStatusCommand.self, LedgerListCommand.self, LedgerShowCommand.self, LedgerProofCommand.self, LedgerVerifyCommand.self])
}

struct LedgerStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "The log's origin, verifier key, size and witnesses.")
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await runReporting {
            let status = try await node.client().call(ManagementAPI.ledgerStatus)
            if node.json { return node.printJSON(status) }
            print("origin        \(status["origin"]?.stringValue ?? "")")
            print("verifier key  \(status["verifierKey"]?.stringValue ?? "")")
            print("size          \((status["size"]?.intValue ?? 0)) entries")
            print("root          \(status["root"]?.stringValue ?? "")")
            print("pending       \(status["pendingEvidence"]?.intValue ?? 0) queued events not yet in the log")
            if let failure = status["lastAppendFailure"] {
                print("APPEND FAILED \(failure["at"]?.stringValue ?? ""): \(failure["error"]?.stringValue ?? "") — the events stay queued and are retried")
            }
            for w in status["witnesses"]?.arrayValue ?? [] {
                let size = w["cosignedSize"]?.intValue.map { "cosigned size \($0)" } ?? "no cosignature yet"
                print("witness       \(w["url"]?.stringValue ?? "")  \(size)\(w["problem"]?.stringValue.map { "  PROBLEM: \($0)" } ?? "")")
            }
            if let witness = status["witness"] {
                print("acts as witness, key \(witness["verifierKey"]?.stringValue ?? "")")
                let rows = (witness["logs"]?.arrayValue ?? []).map { log in
                    [log["origin"]?.stringValue ?? "", String((log["size"]?.intValue ?? 0)), log["updated"]?.stringValue ?? ""]
                }
                if !rows.isEmpty { printTable(["LOG", "COSIGNED SIZE", "UPDATED"], rows) }
            }
        }
    }
}

struct LedgerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List log entries, oldest first.")
    @OptionGroup var node: NodeOptions
    @Option(help: "Only this event type (e.g. transfer.delivered, negotiation.agreed).") var type: String?
    @Option(help: "Only events at or after this ISO 8601 time.") var since: String?
    @Option(help: "Only entries after this index (the cursor 'next' gives).") var after: Int?
    @Option(help: "At most this many entries (1–1000).") var limit: Int = 100

    func run() async throws {
        try await runReporting {
            let list = try await node.client().call(
                ManagementAPI.ledgerEvents, query: ["limit": String(limit), "type": type, "since": since, "after": after.map(String.init)])
            if node.json { return node.printJSON(list) }
            let rows = (list["events"]?.arrayValue ?? []).map { item -> [String] in
                let event = item["event"] ?? .null
                let time = event["time"]?.doubleValue.map { ISO8601.format(Date(timeIntervalSince1970: $0)) } ?? ""
                let subject = ["transfer", "negotiation", "product", "participant"].lazy.compactMap { event[$0]?.stringValue }.first ?? ""
                return [String((item["index"]?.intValue ?? 0)), time, event["type"]?.stringValue ?? "", subject]
            }
            printTable(["INDEX", "TIME", "TYPE", "SUBJECT"], rows, maxWidth: 60)
            if let next = list["next"]?.stringValue { print("more: --\(next.replacingOccurrences(of: "=", with: " "))") }
        }
    }
}

struct LedgerShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one entry.")
    @OptionGroup var node: NodeOptions
    @Argument(help: "Entry index.") var index: Int

    func run() async throws {
        try await runReporting {
            let entry = try await node.client().call(ManagementAPI.ledgerEvent, String(index))
            if node.json { return node.printJSON(entry) }
            print("index      \(index)")
            print("leaf hash  \(entry["leafHash"]?.stringValue ?? "")")
            print(entry["event"]?.encodedString(pretty: true) ?? "")
        }
    }
}

struct LedgerProofCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof", abstract: "A receipt (c2sp.org/tlog-proof@v1) for an entry, or a consistency proof between two sizes.")
    @OptionGroup var node: NodeOptions
    @Argument(help: "Entry index (omit with --consistency).") var index: Int?
    @Option(name: .customLong("consistency"), parsing: .upToNextOption, help: "OLD NEW: prove the tree of NEW entries extends the one of OLD.") var sizes: [Int] = []
    @Option(name: .shortAndLong, help: "Write the receipt to this file (receipts end in .tlog-proof).") var output: String?

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            let text: String
            if !sizes.isEmpty {
                guard sizes.count == 2, index == nil else { throw ValidationError(code: "consistency", field: "consistency", message: "give --consistency OLD NEW and no index") }
                text = try await client.text("/ledger/consistency?old=\(sizes[0])&new=\(sizes[1])")
            } else {
                guard let index, index >= 0 else { throw ValidationError(code: "index", field: "index", message: "give an entry index or --consistency OLD NEW") }
                text = try await client.text("/ledger/receipt/\(index)")
            }
            if let output {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
                if !node.json { printError("wrote \(output)") }
            } else {
                print(text, terminator: "")
            }
        }
    }
}

struct LedgerVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a receipt offline, a whole log (every tile recomputed), or the consistency of two checkpoints.",
        discussion: """
            dataspace ledger verify RECEIPT.tlog-proof --key LOGKEY [--witness KEY --quorum N]
            dataspace ledger verify --log http://node:8443 [--key LOGKEY]
            dataspace ledger verify --old OLD.checkpoint --new NEW.checkpoint --log http://node:8443 [--key LOGKEY]
            Keys are C2SP verifier keys (name+hash+base64); without --key the log's key is read from
            the DID document of the --log or --from node.
            """)

    @Argument(help: "A receipt file (c2sp.org/tlog-proof@v1).") var receipt: String?
    @Option(help: "The log's verifier key.") var key: String?
    @Option(help: "Learn the log key from this node's DID document (online).") var from: String?
    @Option(help: "A witness's cosignature verifier key (repeatable).") var witness: [String] = []
    @Option(help: "Cosignatures required from distinct --witness keys.") var quorum: Int = 0
    @Option(help: "Base URL of a node whose whole log to audit (or to fetch a consistency proof from).") var log: String?
    @Option(help: "An older signed checkpoint file.") var old: String?
    @Option(help: "A newer signed checkpoint file.") var new: String?
    @Flag(help: "Print machine-readable JSON.") var json = false

    func run() async throws {
        try await runReporting {
            let witnesses = try witness.map { try CosignatureVerifier($0) }
            if let receipt {
                try await verifyReceipt(path: receipt, witnesses: witnesses)
            } else if let old, let new {
                try await verifyConsistency(oldPath: old, newPath: new, witnesses: witnesses)
            } else if let log {
                try await audit(base: log, witnesses: witnesses)
            } else {
                throw ValidationError(code: "verify", field: "receipt", message: "give a receipt file, --log URL, or --old and --new checkpoints")
            }
        }
    }

    /// The log key: given, or from a node's DID document.
    func logKey(default base: String?) async throws -> NoteVerifier {
        if let key { return try NoteVerifier(key) }
        guard let url = from ?? base else {
            throw ValidationError(code: "key", field: "key", message: "give --key (the log's verifier key) or --from URL to read it from the node's DID document")
        }
        // A person waiting on a busy node would rather wait than retry: the document gets a third
        // of the minute the management calls get (a node's own lookups keep their 5 s).
        let document = try await PeerClient(http: CLIHTTP.client, timeout: .seconds(60), policy: CLIHTTP.operatorPolicy).didDocument(baseURL: trimmed(url))
        guard let text = document.verifierKey(ofServiceType: DIDDocument.logServiceType) else {
            throw ValidationError(code: "key", field: "from", message: "\(url) publishes no log key in its DID document")
        }
        return try NoteVerifier(text)
    }

    func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    func verifyReceipt(path: String, witnesses: [CosignatureVerifier]) async throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ValidationError(code: "receipt", field: "receipt", message: "cannot read \(path)")
        }
        let verifier = try await logKey(default: nil)
        do {
            let receipt = try LedgerReceipt(parsing: text)
            let checkpoint = try receipt.verify(log: verifier, witnesses: witnesses, quorum: quorum)
            let note = try SignedNote(parsing: receipt.checkpoint)
            let cosigners = try note.cosignatures(witnesses).map(\.witness.name)
            let event = try? LedgerEvent(entry: receipt.entry)
            if json {
                printJSON([
                    "valid": true, "index": .number(Double(receipt.index)), "treeSize": .number(Double(checkpoint.size)),
                    "origin": .string(checkpoint.origin), "cosignedBy": .array(cosigners.map { .string($0) }),
                    "entry": (try? JSONValue.parse(receipt.entry)) ?? .string(Data(receipt.entry).base64EncodedString()),
                ])
                return
            }
            print("VALID: entry \(receipt.index) is in \(checkpoint.origin) at size \(checkpoint.size)")
            if !cosigners.isEmpty { print("cosigned by   \(cosigners.joined(separator: ", "))") }
            if let event { print("event         \(event.kind.rawValue) at \(ISO8601.format(Date(timeIntervalSince1970: Double(event.time))))") }
            print(String(decoding: receipt.entry, as: UTF8.self))
        } catch {
            if json { printJSON(["valid": false, "reason": .string("\(error)")]) } else { printError("INVALID: \(error)") }
            throw Exit.failure
        }
    }

    func audit(base: String, witnesses: [CosignatureVerifier]) async throws {
        let verifier = try await logKey(default: base)
        let client = ManagementClient(baseURL: trimmed(base), adminToken: "", http: CLIHTTP.client)
        let note = try await client.text("/ledger/checkpoint")
        if quorum > 0 { try SignedNote(parsing: note).requireCosignatures(witnesses, quorum: quorum) }
        let bar = json ? nil : ProgressBar(label: "auditing")
        let started = ContinuousClock.now
        let result: LogAudit.Result
        do {
            result = try await LogAudit(log: verifier) { path in
                let (status, body) = try await client.fetch("/ledger/" + path)
                guard status == 200 else { throw LogError("\(path): HTTP \(status)") }
                return body
            }.verify(note: note) { done, total in bar?.update(Int64(done), Int64(total)) }
        } catch {
            if json { printJSON(["valid": false, "reason": .string("\(error)")]) } else { printError("INVALID: \(error)") }
            throw Exit.failure
        }
        let seconds = (ContinuousClock.now - started).milliseconds / 1_000
        if json {
            printJSON([
                "valid": true, "origin": .string(result.checkpoint.origin), "size": .number(Double(result.entries)),
                "root": .string(result.checkpoint.root.base64), "tiles": .number(Double(result.tiles)), "bundles": .number(Double(result.bundles)),
            ])
        } else {
            print("VALID: \(result.checkpoint.origin) — \(result.entries) entries, \(result.bundles) entry bundles and \(result.tiles) tiles recomputed to root \(result.checkpoint.root) in \(String(format: "%.2f", seconds)) s")
        }
    }

    func verifyConsistency(oldPath: String, newPath: String, witnesses: [CosignatureVerifier]) async throws {
        guard let log else { throw ValidationError(code: "log", field: "log", message: "give --log URL: the node that serves the consistency proof") }
        let verifier = try await logKey(default: log)
        do {
            let oldNote = try String(contentsOfFile: oldPath, encoding: .utf8)
            let newNote = try String(contentsOfFile: newPath, encoding: .utf8)
            let older = try Checkpoint.open(oldNote, log: verifier).checkpoint
            let newer = try Checkpoint.open(newNote, log: verifier).checkpoint
            let client = ManagementClient(baseURL: trimmed(log), adminToken: "", http: CLIHTTP.client)
            let text = older.size == 0 || older.size == newer.size ? "" : try await client.text("/ledger/consistency?old=\(older.size)&new=\(newer.size)")
            let proof = try text.split(separator: "\n").map { line in
                guard let hash = MerkleHash(base64: String(line)) else { throw LogError("the consistency proof has a line that is not a base64 hash") }
                return hash
            }
            if older.size == newer.size {
                guard older.root == newer.root else { throw LogError("two checkpoints of size \(older.size) with different roots: the log forked") }
            } else if older.size > 0 {
                try MerkleProof.verifyConsistency(size1: older.size, size2: newer.size, root1: older.root, root2: newer.root, proof: proof)
            }
            if json {
                printJSON(["valid": true, "oldSize": .number(Double(older.size)), "newSize": .number(Double(newer.size))])
            } else {
                print("VALID: the tree of \(newer.size) entries extends the one of \(older.size) (\(proof.count) proof hashes)")
            }
        } catch let error as ManagementClient.Failure {
            throw error
        } catch {
            if json { printJSON(["valid": false, "reason": .string("\(error)")]) } else { printError("INVALID: \(error)") }
            throw Exit.failure
        }
    }
}
