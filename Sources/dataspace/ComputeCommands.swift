import ArgumentParser
import DataspaceCore
import DataspaceServer
import Foundation

/// `dataspace query AGREEMENT "SELECT … FROM data"`: a differentially private query under an
/// agreement that grants compute; the provider answers with noisy aggregates (docs/privacy.md).
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Ask a differentially private query under an agreement that grants compute; rows never leave the provider.",
        discussion: """
            The query reads the product's rows as `data`: SELECT of COUNT(*), COUNT(col), SUM(col), AVG(col) and grouped keys, \
            with WHERE and GROUP BY (docs/privacy.md). Every answer spends budget; without --epsilon (or --rho) a query spends \
            the agreement's per-query cap, else a tenth of the total. Exits 3 when the provider refuses (the reason names the \
            part of the query or the budget), 64 for malformed options.
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: "Agreement id (see `dataspace agreements`).") var agreement: String
    @Argument(help: "The query, e.g. \"SELECT region, COUNT(*) FROM data GROUP BY region\".") var sql: String
    @Option(help: "ε to spend on this query (agreements counted in epsilon).") var epsilon: String?
    @Option(help: "ρ to spend on this query (agreements counted in rho, zCDP).") var rho: String?
    @Option(help: "δ to spend when grouping by keys that are not public.") var delta: String?

    func run() async throws {
        try await runReporting {
            var body: [String: JSONValue] = ["query": .string(sql)]
            for (name, value) in [("epsilon", epsilon), ("rho", rho), ("delta", delta)] {
                guard let value else { continue }
                guard PrivacyAmount(decimal: value).map({ $0 > .zero }) == true else {
                    throw DataspaceCore.ValidationError(code: "compute.amount", field: name, message: "--\(name) takes a positive decimal such as 0.1")
                }
                body[name] = .string(value)
            }
            let r = try await node.client().call(ManagementAPI.queryAgreement, agreement, json: .object(body))
            if node.json { return node.printJSON(r) }
            let columns = r["columns"]?.arrayValue ?? []
            let rows = (r["rows"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).map { $0.stringValue ?? "" } }
            printTable(columns.map { ($0["name"]?.stringValue ?? "").uppercased() }, rows, maxWidth: 120)
            print("")
            for c in columns {
                guard let n = c["noise"] else { continue }
                let scale = n["scale"]?.doubleValue ?? 0, width = n["halfWidth95"]?.doubleValue ?? 0
                print("\(c["name"]?.stringValue ?? ""): \(n["mechanism"]?.stringValue ?? "") noise, scale \(Self.number(scale)), 95 % within ±\(Self.number(width))")
            }
            if let t = r["releaseThreshold"]?.intValue { print("groups released only when their noisy count reached \(t)") }
            if let s = r["spent"], let b = r["budget"] {
                let parameter = s["parameter"]?.stringValue ?? "epsilon"
                print("spent \(parameter) \(s["amount"]?.stringValue ?? "?")\(s["delta"]?.stringValue.map { $0 == "0" ? "" : ", delta \($0)" } ?? ""); remaining \(b["remaining"]?.stringValue ?? "?") of \(b["total"]?.stringValue ?? "?")")
            }
        }
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(format: "%.4g", x)
    }
}

/// `dataspace budget AGREEMENT`: what an agreement's privacy budget allows and what is left.
struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget", abstract: "Show an agreement's privacy budget: total, spent, remaining, per query and per period.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Agreement id.") var agreement: String

    func run() async throws {
        try await runReporting {
            let b = try await node.client().call(ManagementAPI.agreementBudget, agreement)
            if node.json { return node.printJSON(b) }
            let p = b["parameter"]?.stringValue ?? "epsilon"
            var rows: [[String]] = [
                [p, b["total"]?.stringValue ?? "", b["spent"]?.stringValue ?? "", b["remaining"]?.stringValue ?? ""],
            ]
            if let per = b["perPeriod"]?.stringValue {
                rows.append(["\(p) per \(b["periodLength"]?.stringValue ?? "period")", per, b["periodSpent"]?.stringValue ?? "", b["periodRemaining"]?.stringValue ?? ""])
            }
            if b["delta"]?.stringValue != "0" {
                rows.append(["delta", b["delta"]?.stringValue ?? "", b["deltaSpent"]?.stringValue ?? "", b["deltaRemaining"]?.stringValue ?? ""])
            }
            printTable(["BUDGET", "LIMIT", "SPENT", "REMAINING"], rows)
            if let q = b["perQuery"]?.stringValue { print("one query may spend at most \(p) \(q) (\(b["mechanism"]?.stringValue ?? "") noise)") }
        }
    }
}
