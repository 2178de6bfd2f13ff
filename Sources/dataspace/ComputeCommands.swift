import ArgumentParser
import DataspaceCore
import DataspacePrivacy
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

/// `dataspace psi AGREEMENT ids.csv`: private set intersection of this node's identifiers with a
/// column of the provider's product; the identifiers never leave this node unblinded.
struct PSICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psi",
        abstract: "Match your identifiers with a provider's product by private set intersection; neither side sees the other's identifiers.",
        discussion: """
            Reads identifiers from a CSV file (the first column, or --id-column NAME; the first line is a header unless \
            --no-header). Values are trimmed, empty ones skipped and duplicates matched once. The provider learns only how \
            many identifiers you sent; you learn the size of the intersection, and which of yours matched when the offer \
            releases it (docs/privacy.md). Exits 3 when the provider refuses (set too large, runs used up), 64 for a bad file.
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: "Agreement id (see `dataspace agreements`).") var agreement: String
    @Argument(help: "CSV file of your identifiers.") var file: String
    @Option(name: .customLong("id-column"), help: "The column of the file holding the identifiers (default: the first).") var idColumn: String?
    @Flag(name: .customLong("no-header"), help: "The file has no header line: every line is an identifier.") var noHeader = false
    @Option(help: "The product's match column, when it offers several.") var column: String?
    @Flag(name: .customLong("cardinality-only"), help: "Ask only for the size of the intersection, even where the offer releases the matches.") var cardinalityOnly = false
    @Option(help: "Write the matched identifiers to this file, one a line.") var output: String?

    func run() async throws {
        try await runReporting {
            let identifiers = try Self.readIdentifiers(path: file, column: idColumn, header: !noHeader)
            if !node.json { FileHandle.standardError.write(Data("matching \(identifiers.count) identifiers…\n".utf8)) }
            var body: [String: JSONValue] = ["identifiers": .array(identifiers.map { .string($0) })]
            if let column { body["column"] = .string(column) }
            if cardinalityOnly { body["output"] = "cardinality" }
            let r = try await node.client().call(ManagementAPI.intersectAgreement, agreement, json: .object(body))
            let matches = r["matches"]?.arrayValue?.compactMap(\.stringValue)
            if let output, let matches {
                try Data((matches.joined(separator: "\n") + (matches.isEmpty ? "" : "\n")).utf8).write(to: URL(fileURLWithPath: output))
            }
            if node.json { return node.printJSON(r) }
            var rows = [
                ["your identifiers (distinct)", Self.grouped(r["consumerSetSize"]?.intValue)],
                ["the provider's", Self.grouped(r["providerSetSize"]?.intValue)],
                ["intersection", Self.grouped(r["intersectionSize"]?.intValue)],
            ]
            if let left = r["runsLeft"]?.intValue { rows.append(["runs left", Self.grouped(left)]) }
            printTable(["MATCHED ON \(r["column"]?.stringValue ?? "")".uppercased(), "COUNT"], rows)
            if let matches {
                if let output {
                    print("the \(matches.count) matched identifiers are in \(output)")
                } else {
                    for m in matches.prefix(20) { print("  \(m)") }
                    if matches.count > 20 { print("  … \(matches.count - 20) more; use --output FILE for all of them") }
                }
            } else {
                print("only the size of the intersection is released (psiOutput cardinality)")
            }
        }
    }

    static func grouped(_ n: Int?) -> String {
        guard let n else { return "?" }
        let digits = String(n)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// The identifiers of one column of a CSV file; refusals say what to fix.
    static func readIdentifiers(path: String, column: String?, header: Bool) throws -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DataspaceCore.ValidationError(code: "psi.file", field: "file", message: "cannot read \(path); check the path")
        }
        defer { try? handle.close() }
        var reader = CSVRecordReader()
        var index: Int? = column == nil ? 0 : nil
        var first = header
        var out: [String] = []
        func take(_ record: [[UInt8]]) throws {
            if first {
                first = false
                if let column {
                    index = record.firstIndex { String(decoding: $0, as: UTF8.self) == column }
                    guard index != nil else {
                        throw DataspaceCore.ValidationError(code: "psi.file", field: "id-column", message: "\(path) has no column '\(column)' in its header")
                    }
                }
                return
            }
            guard let index, index < record.count else { return }
            out.append(String(decoding: record[index], as: UTF8.self))
        }
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try chunk.withUnsafeBytes { raw in try reader.feed(raw, onRecord: take) }
            }
            try reader.finish(onRecord: take)
        } catch let error as CSVRecordReader.Failure {
            throw DataspaceCore.ValidationError(code: "psi.file", field: "file", message: "\(path) \(error.description)")
        }
        if column != nil, header, index == nil {
            throw DataspaceCore.ValidationError(code: "psi.file", field: "file", message: "\(path) is empty")
        }
        return out
    }
}

/// `dataspace aggregate --agreement A --agreement B --agreement C --aggregator DID --aggregator DID`:
/// a joint count (and sum) over several providers' products by secure aggregation.
struct AggregateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Add up several providers' counts and sums by secure aggregation; no node sees another's numbers.",
        discussion: """
            Each provider (one --agreement each, at least three) splits its own count and sum into two random shares, one \
            for each --aggregator (two other members that do not collude, e.g. the registry and a peer); each aggregator \
            adds the shares it got, and this node adds the two sums. If any provider refuses or cannot be reached the round \
            is aborted at both aggregators and nothing is released (docs/privacy.md). Exits 3 when a provider or \
            aggregator refuses, 4 when an aggregator cannot be reached.
            """)

    @OptionGroup var node: NodeOptions
    @Option(name: .customLong("agreement"), help: "An agreement with one provider (repeat for each, 3 to 100).") var agreements: [String] = []
    @Option(name: .customLong("aggregator"), help: "An aggregator node's DID (exactly two).") var aggregators: [String] = []
    @Option(help: "A column with declared bounds to sum (omit to count rows only).") var sum: String?
    @Option(name: .customLong("group-by"), help: "A public key of the products to group by.") var groupBy: String?
    @Option(name: .customLong("group"), help: "A value of --group-by to report (repeat; every provider reports the same groups).") var groups: [String] = []
    @Option(help: "Decimals to carry the sum with (0 to 6).") var decimals: Int = 0

    func run() async throws {
        try await runReporting {
            var body: [String: JSONValue] = [
                "agreements": .array(agreements.map { .string($0) }), "aggregators": .array(aggregators.map { .string($0) }),
                "decimals": .number(Double(decimals)),
            ]
            if let sum { body["column"] = .string(sum) }
            if let groupBy {
                body["groupBy"] = .string(groupBy)
                body["groups"] = .array(groups.map { .string($0) })
            }
            if !node.json {
                FileHandle.standardError.write(Data("aggregating over \(agreements.count) providers through \(aggregators.joined(separator: " and "))…\n".utf8))
            }
            let r = try await node.client().call(ManagementAPI.aggregate, json: .object(body))
            if node.json { return node.printJSON(r) }
            let rows: [[String]] = (r["groups"]?.arrayValue ?? []).map { g in
                var row = [g["key"]?.stringValue ?? "(all)", PSICommand.grouped(g["count"]?.intValue)]
                if sum != nil { row += [g["sum"]?.stringValue ?? "", g["avg"]?.stringValue ?? "—"] }
                return row
            }
            let headers = [(groupBy ?? "products").uppercased(), "COUNT"] + (sum.map { ["SUM(\($0))".uppercased(), "AVG"] } ?? [])
            printTable(headers, rows)
            print("round \(r["round"]?.stringValue ?? "") over \(r["providers"]?.arrayValue?.count ?? 0) providers; each aggregator saw only random shares")
        }
    }
}
