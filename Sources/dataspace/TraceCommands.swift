import ArgumentParser
import DataspaceCore
import DataspaceServer
import Foundation

/// `dataspace trace LEAKED.csv`: which agreement a leaked copy came from, by the watermark every
/// protected delivery carries. Runs on the providing node (only it holds the keys).
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "Name the agreement a leaked copy of delivered data came from (watermark).")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The leaked CSV or JSON-lines file (any subset of rows or columns).") var file: String
    @Option(help: "Only compare with this product's agreements (fewer candidates also let the trace score more of the file).") var dataset: String?
    @Option(help: "csv or jsonl (default: from the file name).") var format: String?

    func run() async throws {
        try await runReporting {
            let chosen = try tabularFormat(option: format) ?? TabularFormat.fromFileName(file) ?? .csv
            let result = try await node.client().trace(file: file, format: chosen, dataset: dataset)
            if node.json { node.printJSON(result); return }
            let marked = (result["markedValues"]?.intValue ?? 0)
            print("\(file): \(marked) distinct values carry a mark; compared with \((result["candidates"]?.intValue ?? 0)) agreements that delivered data")
            printTable(
                ["agreement", "consumer", "matches", "z"],
                (result["top"]?.arrayValue ?? []).map { e in
                    [
                        e["agreement"]?.stringValue ?? "", e["consumer"]?.stringValue ?? "",
                        "\((e["matches"]?.intValue ?? 0))/\((e["values"]?.intValue ?? 0))", String(format: "%.1f", e["z"]?.doubleValue ?? 0),
                    ]
                }, maxWidth: 60)
            if let a = result["attributed"], a != .null {
                let column = result["column"]?.stringValue.map { " on its column \($0)" } ?? ""
                print(
                    "leaked from agreement \(a["agreement"]?.stringValue ?? "") with \(a["consumer"]?.stringValue ?? "")\(column) (z = \(String(format: "%.1f", a["z"]?.doubleValue ?? 0)) ≥ \(String(format: "%g", result["threshold"]?.doubleValue ?? 6)))")
            } else {
                print("not attributed: \(result["explanation"]?.stringValue ?? "")")
                throw ExitCode(3)
            }
        }
    }
}

/// `dataspace grade ID GRADE --reason …`: the publisher confirms or overrides the assessed grade.
struct GradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade", abstract: "Confirm or override a product's GB/T 43697 grade (who and why are recorded).")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Identifier of the product.") var identifier: String
    @Argument(help: "core, important, general or general-1…4.") var grade: String
    @Option(help: "Why (required when lower than the assessment's proposal).") var reason: String?
    @Option(name: .customLong("by"), help: "Who decides (default: the node's administrator).") var decidedBy: String?

    func run() async throws {
        try await runReporting {
            let id = try UnifiedIdentifier(parsing: identifier)
            var body: [String: JSONValue] = ["grade": .string(grade)]
            if let reason { body["reason"] = .string(reason) }
            if let decidedBy { body["decidedBy"] = .string(decidedBy) }
            let record = try await node.client().call(ManagementAPI.decideGrade, id.prefix, id.local, json: .object(body))
            if node.json { node.printJSON(record) } else { printRecord(record) }
        }
    }
}
