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

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            var body: [String: JSONValue] = ["provider": .string(provider), "dataset": .string(identifier), "purpose": .string(purpose)]
            if let offer { body["offer"] = .string(offer) }
            let started = try await client.call(.POST, "/api/v1/negotiations", json: .object(body))
            let id = started["id"]?.stringValue ?? ""
            if !node.json { printError("negotiating \(id) with \(provider) …") }
            var n = try await client.call(.GET, "/api/v1/negotiations/\(id)?wait=\(min(timeout, 120))")
            if n["state"]?.stringValue == "OFFERED", acceptCounterOffer {
                if !node.json { printError("the provider made a counter-offer; accepting it") }
                _ = try await client.call(.POST, "/api/v1/negotiations/\(id)/accept")
                n = try await client.call(.GET, "/api/v1/negotiations/\(id)?wait=\(min(timeout, 120))")
            }
            if node.json { printJSON(n) } else { printNegotiation(n) }
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
            let list = try await node.client().call(.GET, "/api/v1/agreements")
            if node.json { return printJSON(list) }
            let rows = (list["items"]?.arrayValue ?? []).map { a in
                [
                    a["id"]?.stringValue ?? "", a["role"]?.stringValue ?? "", a["state"]?.stringValue ?? "", a["dataset"]?.stringValue ?? "",
                    a["purpose"]?.stringValue ?? "-", a["deliveries"]?.intValue.map { String($0) } ?? "0",
                    a["remainingUses"]?.intValue.map { String($0) } ?? "unlimited",
                ]
            }
            printTable(["AGREEMENT", "ROLE", "STATE", "DATASET", "PURPOSE", "DELIVERIES", "LEFT"], rows)
        }
    }
}

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch", abstract: "Run a transfer under an agreement and save the data, verifying its SHA-256.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Agreement id.") var agreement: String
    @Option(name: .shortAndLong, help: "Where to write the data.") var output: String

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            let started = try await client.call(.POST, "/api/v1/transfers", json: ["agreement": .string(agreement)])
            let id = started["id"]?.stringValue ?? ""
            let t = try await client.call(.GET, "/api/v1/transfers/\(id)?wait=60")
            guard t["state"]?.stringValue == "STARTED", let endpoint = t["dataAddress"]?["endpoint"]?.stringValue,
                let token = t["dataAddress"]?["token"]?.stringValue
            else {
                if node.json { printJSON(t) } else {
                    print("transfer \(id) \(t["state"]?.stringValue ?? "?")")
                    for r in t["reasons"]?.arrayValue ?? [] { print("  - \(r.stringValue ?? "")") }
                }
                throw t["state"]?.stringValue == "TERMINATED" ? Exit.refused : Exit.failure
            }
            let bar = node.json ? nil : ProgressBar(label: "fetching")
            let result = try await DataPlaneClient().download(endpoint: endpoint, token: token, to: output) { done, total in
                bar?.update(done, total ?? done)
            }
            let done = try await client.call(.POST, "/api/v1/transfers/\(id)/complete")
            // The node fetches the provider's receipt for this delivery, checks it and keeps it.
            var receiptIndex: Double?
            var receiptProblem: String?
            do {
                receiptIndex = try await client.call(.POST, "/api/v1/transfers/\(id)/receipts")["index"]?.doubleValue
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
                printJSON(.object(body))
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

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "usage", abstract: "Deliveries made by this node's data plane, per agreement.")

    @OptionGroup var node: NodeOptions
    @Option(help: "Only this agreement.") var agreement: String?

    func run() async throws {
        try await runReporting {
            let path = "/api/v1/usage" + (agreement.map { "?agreement=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? "")
            let usage = try await node.client().call(.GET, path)
            if node.json { return printJSON(usage) }
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
            let list = try await node.client().call(.GET, "/api/v1/negotiations")
            if node.json { return printJSON(list) }
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
