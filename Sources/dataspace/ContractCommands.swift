import ArgumentParser
import DataspaceCore
import DataspaceServer
import Foundation

struct NegotiateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "negotiate", abstract: "Negotiate a contract for a product with its provider (DSP) and print the agreement.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Unified identifier of the product.") var identifier: String
    @Option(help: "The provider node's base URL.") var provider: String
    @Option(help: "Declared purpose (research, research.medical, public-service, commercial …).") var purpose: String
    @Option(help: "Offer id from the provider's catalog (default: the first offer).") var offer: String?
    @Flag(name: .customLong("accept-counter-offer"), help: "Accept the provider's counter-offer if it makes one.") var acceptCounterOffer = false
    @Option(help: "Seconds to wait for the negotiation to finish.") var timeout: Int = 60
    @Option(help: "Failed attempts to reach the provider before giving up waiting.") var attempts: Int = 8

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            var body: [String: JSONValue] = ["provider": .string(provider), "dataset": .string(identifier), "purpose": .string(purpose)]
            if let offer { body["offer"] = .string(offer) }
            let started = try await client.call(ManagementAPI.negotiate, json: .object(body))
            let id = started["id"]?.stringValue ?? ""
            if !node.json { printError("negotiating \(id) with \(provider) …") }
            let settled: (JSONValue) -> Bool = { ["FINALIZED", "TERMINATED", "OFFERED"].contains($0["state"]?.stringValue ?? "") }
            var n = try await awaitProcess(
                client, ManagementAPI.showNegotiation, id, isDone: settled, timeout: timeout, attempts: attempts, quiet: node.json, waitingFor: "provider")
            if n["state"]?.stringValue == "OFFERED", acceptCounterOffer {
                if !node.json { printError("the provider made a counter-offer; accepting it") }
                _ = try await client.call(ManagementAPI.acceptOffer, id)
                n = try await awaitProcess(
                    client, ManagementAPI.showNegotiation, id, isDone: { ["FINALIZED", "TERMINATED"].contains($0["state"]?.stringValue ?? "") },
                    timeout: timeout, attempts: attempts, quiet: node.json, waitingFor: "provider")
            }
            // Still waiting on a message the provider has not taken: the provider is not answering.
            if !settled(n), n["outbox"] != nil {
                throw Unreachable(
                    "the provider \(DataPlaneClient.origin(provider)) did not answer negotiation \(id)"
                        + (n["outbox"]?["lastError"]?.stringValue.map { ": \($0)" } ?? "")
                        + ". The node keeps retrying in the background (see `dataspace negotiations`); check that the provider's node is running.")
            }
            if node.json { node.printJSON(n) } else { printNegotiation(n) }
            switch n["state"]?.stringValue {
            case "FINALIZED": return
            case "TERMINATED": throw Exit.refused
            default: throw Exit.failure
            }
        }
    }
}

func printNegotiation(_ n: JSONValue) {
    let state = n["state"]?.stringValue ?? "?"
    print("negotiation  \(n["id"]?.stringValue ?? "")")
    print("state        \(state)")
    if let reasons = n["reasons"]?.arrayValue, !reasons.isEmpty {
        print("refused because:")
        for r in reasons { print("  - \(r.stringValue ?? r.encodedString())") }
    }
    if state == "OFFERED" {
        print("the provider counter-offered; run again with --accept-counter-offer or POST /api/v1/negotiations/{id}/accept")
        print(n["offer"]?.encodedString(pretty: true) ?? "")
    }
    if let a = n["agreement"] { printAgreement(a) }
}

func printAgreement(_ a: JSONValue) {
    print("agreement    \(a["id"]?.stringValue ?? "")")
    print("dataset      \(a["dataset"]?.stringValue ?? "")")
    print("provider     \(a["provider"]?.stringValue ?? "")")
    print("consumer     \(a["consumer"]?.stringValue ?? "")")
    if let p = a["purpose"]?.stringValue { print("purpose      \(p)") }
    print("agreed at    \(a["agreedAt"]?.stringValue ?? "")")
    print("uses left    \(a["remainingUses"]?.intValue.map { String($0) } ?? "unlimited")")
    if let c = a["compensation"] { print("payment      \(c["amount"]?.doubleValue ?? 0) \(c["unit"]?.stringValue ?? "") per delivery") }
    print("sha-256      \(a["sha256"]?.stringValue ?? "")")
    print("signed by    provider\(a["consumerSignature"] != nil ? " and consumer" : " (consumer signature pending)")")
}

struct AgreementsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agreements", abstract: "List agreements with their state and remaining uses.")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await runReporting {
            let list = try await node.client().call(ManagementAPI.listAgreements)
            if node.json { return node.printJSON(list) }
            let rows = (list["items"]?.arrayValue ?? []).map { a in
                [
                    a["id"]?.stringValue ?? "", a["role"]?.stringValue ?? "", a["state"]?.stringValue ?? "", a["dataset"]?.stringValue ?? "",
                    a["purpose"]?.stringValue ?? "-", a["deliveries"]?.intValue.map { String($0) } ?? "0",
                    a["remainingUses"]?.intValue.map { String($0) } ?? "unlimited",
                    Self.budget(a["privacyBudget"]),
                ]
            }
            printTable(["AGREEMENT", "ROLE", "STATE", "DATASET", "PURPOSE", "DELIVERIES", "LEFT", "PRIVACY BUDGET"], rows)
        }
    }
}

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Run a transfer under an agreement and save the data, verifying its SHA-256.",
        discussion: """
            A transfer that is still open under the agreement (an earlier fetch failed on this \
            machine, or was interrupted) is continued: its delivery is not counted again. Use \
            --new to ask for another delivery instead.
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: "Agreement id.") var agreement: String
    @Option(name: .shortAndLong, help: "Where to write the data.") var output: String
    @Option(help: "Seconds to wait for the provider to start the transfer.") var timeout: Int = 60
    @Option(help: "Failed attempts to reach the provider before giving up.") var attempts: Int = 8
    @Flag(help: "Request a new transfer even if one is still open (uses another delivery).") var new = false

    func validate() throws {
        guard (1...3_600).contains(timeout) else { throw ValidationError("--timeout must be 1–3600 seconds") }
        guard (1...100).contains(attempts) else { throw ValidationError("--attempts must be 1–100") }
    }

    func run() async throws {
        try await runReporting {
            // A destination that cannot be written is found before anything is requested or used.
            do { try DataPlaneClient.checkDestination(output) } catch let error as DataPlaneClient.DownloadError { throw InputError(error.message) }
            let client = try await node.client()
            let started = try await client.call(
                ManagementAPI.startTransfer, json: ["agreement": .string(agreement), "continueOpen": .bool(!new)])
            let id = started["id"]?.stringValue ?? ""
            if started["continued"]?.boolValue == true, !node.json {
                printError("continuing transfer \(id), still open from an earlier fetch (no new delivery is used)")
            }
            let t = try await awaitProcess(
                client, ManagementAPI.showTransfer, id, isDone: { $0["state"]?.stringValue != "REQUESTED" }, timeout: timeout, attempts: attempts,
                quiet: node.json, waitingFor: "provider")
            guard t["state"]?.stringValue == "STARTED", let endpoint = t["dataAddress"]?["endpoint"]?.stringValue,
                let firstToken = t["dataAddress"]?["token"]?.stringValue
            else {
                if t["state"]?.stringValue == "REQUESTED" {
                    // Nothing was delivered or used: end the request so it does not linger.
                    _ = try? await client.call(
                        ManagementAPI.terminateTransfer, id, json: ["reason": .string("the consumer stopped waiting for the provider")])
                    throw Unreachable(
                        "the provider \(t["outbox"]?["url"]?.stringValue.map(DataPlaneClient.origin) ?? "") did not start transfer \(id)"
                            + (t["outbox"]?["lastError"]?.stringValue.map { ": \($0)" } ?? "")
                            + ". Nothing was used. Check that the provider's node is running, then run this command again.")
                }
                if node.json { node.printJSON(t) } else {
                    print("transfer \(id) \(t["state"]?.stringValue ?? "?")")
                    for r in t["reasons"]?.arrayValue ?? [] { print("  - \(r.stringValue ?? "")") }
                }
                throw t["state"]?.stringValue == "TERMINATED" ? Exit.refused : Exit.failure
            }
            let bar = node.json ? nil : ProgressBar(label: "fetching")
            let quiet = node.json
            var token = firstToken
            var result: DataPlaneClient.Result?
            for refreshed in [false, true] {
                do {
                    result = try await DataPlaneClient().download(
                        endpoint: endpoint, token: token, to: output, attempts: attempts,
                        progress: { done, total in bar?.update(done, total ?? done) },
                        retrying: { attempt, of, why in if !quiet { printError("\n\(why); retrying (\(attempt)/\(of))") } })
                    break
                } catch let error as DataPlaneClient.DownloadError where error.status == 401 && !refreshed {
                    // A transfer continued after a while: its data token expired. Suspending and
                    // resuming it makes the provider hand out a fresh one (same delivery).
                    if !quiet { printError("the data token of transfer \(id) has expired; asking the provider for a fresh one") }
                    token = try await freshToken(client, transfer: id, replacing: token)
                }
            }
            guard let result else { throw LocalFailure("no data was received for transfer \(id)") }
            let done = try await client.call(ManagementAPI.completeTransfer, id)
            // The node fetches the provider's receipt for this delivery, checks it and keeps it.
            var receiptIndex: Double?
            var receiptProblem: String?
            do {
                receiptIndex = try await client.call(ManagementAPI.fetchTransferReceipt, id)["index"]?.doubleValue
            } catch {
                receiptProblem = "\(error)"
            }
            if node.json {
                var body: [String: JSONValue] = [
                    "transfer": .string(id), "file": .string(output), "bytes": .number(Double(result.bytes)), "sha256": .string(result.sha256),
                    "state": done["state"] ?? .null,
                ]
                if let receiptIndex { body["receiptIndex"] = .number(receiptIndex) }
                if let receiptProblem { body["receiptProblem"] = .string(receiptProblem) }
                node.printJSON(.object(body))
            } else {
                print("saved \(output): \(result.bytes) bytes, sha-256 \(result.sha256) verified\(result.resumes > 0 ? " (resumed \(result.resumes)×)" : "")")
                if let receiptIndex {
                    print("receipt: entry \(Int(receiptIndex)) of the provider's log, verified and kept (GET /api/v1/transfers/\(id)/receipts)")
                } else if let receiptProblem {
                    printError("warning: no provider receipt kept: \(receiptProblem)")
                }
            }
        }
    }
}

extension FetchCommand {
    /// Suspends and resumes transfer `id` (DSP: the provider's start message carries a new data
    /// address) and waits for a token other than `old`.
    func freshToken(_ client: ManagementClient, transfer id: String, replacing old: String) async throws -> String {
        _ = try await client.call(ManagementAPI.suspendTransfer, id, json: ["reason": "refreshing an expired data address"])
        _ = try await client.call(ManagementAPI.resumeTransfer, id)
        let t = try await awaitProcess(
            client, ManagementAPI.showTransfer, id,
            isDone: { $0["state"]?.stringValue == "STARTED" && ($0["dataAddress"]?["token"]?.stringValue ?? old) != old && $0["outbox"] == nil },
            timeout: timeout, attempts: attempts, quiet: node.json, waitingFor: "provider")
        guard let token = t["dataAddress"]?["token"]?.stringValue, token != old else {
            throw Unreachable("the provider did not hand out a fresh data address for transfer \(id); run this command again later")
        }
        return token
    }
}

/// Waits for a negotiation or transfer to reach `isDone`, telling the person each time the
/// node's message to the peer failed ("provider http://… not answering (…), retrying (2/8)"),
/// and returns the last state seen — after `timeout` seconds or `attempts` failed deliveries.
func awaitProcess(
    _ client: ManagementClient, _ operation: ManagementOperation, _ id: String, isDone: (JSONValue) -> Bool, timeout: Int, attempts: Int, quiet: Bool, waitingFor peer: String
) async throws -> JSONValue {
    let deadline = ContinuousClock.now + .seconds(timeout)
    var reported = 0
    var revision: Int?
    while true {
        let left = max(1, min(5, Int((deadline - ContinuousClock.now).components.seconds)))
        // The first read learns the revision; later ones wait for any change after it.
        let value = try await client.call(operation, id, query: ["wait": revision == nil ? "0" : String(left), "since": revision.map(String.init)])
        revision = value["revision"]?.intValue
        if isDone(value) { return value }
        let failed = value["outbox"]?["attempts"]?.intValue ?? 0
        if failed > reported {
            reported = failed
            if !quiet {
                let url = value["outbox"]?["url"]?.stringValue.map(DataPlaneClient.origin) ?? "?"
                let why = value["outbox"]?["lastError"]?.stringValue.map { ": \($0)" } ?? ""
                printError("\(peer) \(url) not answering\(why); retrying (\(min(failed, attempts))/\(attempts))")
            }
            if failed >= attempts { return value }
        }
        if ContinuousClock.now >= deadline { return value }
    }
}

extension AgreementsCommand {
    /// `epsilon 0.75 of 1 left` (provider), `epsilon 1` (consumer: `dataspace budget` asks), or `-`.
    static func budget(_ b: JSONValue?) -> String {
        guard let b, let p = b["parameter"]?.stringValue, let total = b["total"]?.stringValue else { return "-" }
        if let remaining = b["remaining"]?.stringValue { return "\(p) \(remaining) of \(total) left" }
        return "\(p) \(total)"
    }
}

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare this node's count of an agreement's deliveries with the provider's, transfer by transfer.",
        discussion: "Exits 0 when both counts agree, 1 when they differ (each difference is explained), 4 when the provider cannot be asked.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Agreement id.") var agreement: String

    func run() async throws {
        try await runReporting {
            let r = try await node.client().call(ManagementAPI.reconcileAgreement, agreement)
            if node.json {
                node.printJSON(r)
            } else {
                func counts(_ c: JSONValue?) -> String {
                    guard let c, c != .null else { return "—" }
                    return "\(c["delivered"]?.intValue ?? 0) delivered, \(c["open"]?.intValue ?? 0) open"
                }
                if r["role"]?.stringValue == "consumer" { print("this node (consumer): \(counts(r["consumer"]))") }
                print("provider:             \(counts(r["provider"]))")
                let rows = (r["transfers"]?.arrayValue ?? []).map { (l: JSONValue) -> [String] in
                    let transfer: String = l["transfer"]?.stringValue ?? ""
                    let here: String = l["consumerState"]?.stringValue ?? "—"
                    let there: String = l["providerDelivery"]?.stringValue ?? "—"
                    let bytes: String = l["bytes"]?.intValue.map { String($0) } ?? "—"
                    let agrees: String = (l["agrees"]?.boolValue ?? false) ? "yes" : "NO"
                    return [transfer, here, there, bytes, agrees, l["note"]?.stringValue ?? ""]
                }
                printTable(["TRANSFER", "HERE", "PROVIDER", "BYTES", "AGREES", "NOTE"], rows, maxWidth: 120)
                if let problem = r["providerProblem"]?.stringValue { printError("the provider could not be asked: \(problem)") }
            }
            if r["providerProblem"] != nil { throw Exit.unreachable }
            if r["role"]?.stringValue == "consumer", r["agrees"]?.boolValue != true { throw Exit.failure }
        }
    }
}

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "usage", abstract: "Deliveries made by this node's data plane, per agreement.")

    @OptionGroup var node: NodeOptions
    @Option(help: "Only this agreement.") var agreement: String?

    func run() async throws {
        try await runReporting {
            let usage = try await node.client().call(ManagementAPI.listUsage, query: ["agreement": agreement])
            if node.json { return node.printJSON(usage) }
            let rows = (usage["summary"]?.arrayValue ?? []).map { s in
                [
                    s["agreement"]?.stringValue ?? "", String((s["requests"]?.intValue ?? 0)), String((s["completeDeliveries"]?.intValue ?? 0)),
                    String((s["bytes"]?.intValue ?? 0)), String((s["rows"]?.intValue ?? 0)),
                ]
            }
            printTable(["AGREEMENT", "REQUESTS", "COMPLETE", "BYTES", "ROWS"], rows)
        }
    }
}

struct NegotiationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "negotiations", abstract: "List negotiations in both roles (incoming ones too).")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await runReporting {
            let list = try await node.client().call(ManagementAPI.listNegotiations)
            if node.json { return node.printJSON(list) }
            let rows = (list["items"]?.arrayValue ?? []).map { n in
                [
                    n["id"]?.stringValue ?? "", n["role"]?.stringValue ?? "", n["state"]?.stringValue ?? "", n["counterparty"]?.stringValue ?? "",
                    n["dataset"]?.stringValue ?? "", n["purpose"]?.stringValue ?? "-",
                ]
            }
            printTable(["NEGOTIATION", "ROLE", "STATE", "COUNTERPARTY", "DATASET", "PURPOSE"], rows)
        }
    }
}
