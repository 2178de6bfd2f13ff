import ArgumentParser
import DataspaceCore
import DataspaceQuality
import DataspaceServer
import Foundation

/// Metadata flags shared by publish and update.
struct MetadataOptions: ParsableArguments {
    @Option(help: "Title (required to publish; update keeps the current one).") var title: String?
    @Option(help: "Description (required to publish; update keeps the current one).") var description: String?
    @Option(help: "Comma-separated keywords (update keeps the current ones; \"\" clears them).") var keywords: String?
    @Option(help: "Sector slug, e.g. urban-governance, transport (required to publish).") var sector: String?
    @Option(help: "GB/T 2260 region the data covers (default: the publisher's).") var region: String?
    @Option(help: "Licence IRI (default CC BY 4.0).") var license: String?
    @Option(help: "GB/T 43697 grade: core, important, general, general-1…4 (default: the assessment's proposal; lower needs --grade-reason).") var grade: String?
    @Option(name: .customLong("grade-reason"), help: "Why the grade differs from the proposal (recorded with the decision).") var gradeReason: String?
    @Option(help: "Declared impact OBJECT:DEGREE (repeatable), e.g. public-interest:serious (GB/T 43697-2024 §6.4).") var impact: [String] = []
    @Option(help: "TC609 tier: general-knowledge, industry-general-knowledge, industry-professional-knowledge.") var tier: String?
    @Option(help: "Quality rules file (quality.yaml, see docs/quality.md).") var rules: String?
    @Option(help: "Masking on delivery COLUMN=RULE (repeatable): hide, partial:3,4, hash, generalize:year|month|province|city, round:N.") var mask: [String] = []
    @Flag(inversion: .prefixedNo, help: "Watermark every delivery (always on for important data); update keeps the current setting.") var watermark: Bool?
    @Option(name: .customLong("temporal-start"), help: "Start of the period covered (YYYY-MM-DD).") var temporalStart: String?
    @Option(name: .customLong("temporal-end"), help: "End of the period covered (YYYY-MM-DD).") var temporalEnd: String?
    @Option(help: "ODRL offer as a JSON file (default: use by any member).") var policy: String?
    @Option(name: .customLong("privacy-unit"), help: "Column saying whose row it is, for computation in place (docs/privacy.md).") var privacyUnit: String?
    @Option(help: "Range of a column DP sums may read, COLUMN=LO:HI (repeatable), e.g. age=0:120.") var bounds: [String] = []
    @Option(name: .customLong("public-key"), help: "A column whose values are public, grouped by without thresholding (repeatable).") var publicKey: [String] = []
    @Option(name: .customLong("match-column"), help: "An identifier column consumers may match by private set intersection (repeatable).") var matchColumn: [String] = []
    @Option(name: .customLong("max-rows-per-unit"), help: "Rows one privacy unit contributes to each group (default 1).") var maxRowsPerUnit: Int?
    @Option(name: .customLong("max-groups-per-unit"), help: "Groups one privacy unit contributes to (default 1).") var maxGroupsPerUnit: Int?
    @Option(help: "File format when the extension does not tell: csv or jsonl.") var format: String?
    @Option(help: "The file's encoding when detection gets it wrong: utf-8, gb18030 (gbk), utf-16le.") var encoding: String?
    @Option(help: "The CSV delimiter when detection gets it wrong: , ; | or tab.") var delimiter: String?

    /// The --encoding and --delimiter given, checked here so a typo exits 64 before uploading.
    func upload() throws -> (encoding: String?, delimiter: String?) {
        _ = try sourceOptions(encoding: encoding, delimiter: delimiter)
        return (encoding, delimiter)
    }

    /// The metadata given on the command line; `current` (an update's current version) fills in
    /// the half of the protection setting that was not given (masks without --watermark …).
    func metadata(current: JSONValue? = nil) throws -> JSONValue {
        // Only what was given: an update carries everything else over from the current version.
        var o: [String: JSONValue] = [:]
        if let title { o["title"] = .string(title) }
        if let description { o["description"] = .string(description) }
        if let sector { o["sector"] = .string(sector) }
        if let keywords {
            o["keywords"] = .array(keywords.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 != "" })
        }
        if let region { o["region"] = .string(region) }
        if let license { o["license"] = .string(license) }
        if let grade { o["grade"] = .string(grade) }
        if let gradeReason { o["gradeReason"] = .string(gradeReason) }
        if !impact.isEmpty { o["impacts"] = .array(impact.map { .string($0) }) }
        if let tier { o["tier"] = .string(tier) }
        if let rules {
            guard let text = try? String(contentsOfFile: rules, encoding: .utf8) else {
                throw DataspaceCore.ValidationError(code: "rules.file", field: "rules", message: "cannot read \(rules)")
            }
            o["rules"] = .string(text)
        }
        if !mask.isEmpty || watermark != nil {
            var masking: [String: JSONValue] = [:]
            for item in mask {
                guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                    throw DataspaceCore.ValidationError(code: "mask.format", field: "mask", message: "'\(item)' is not COLUMN=RULE, e.g. phone=partial:3,4")
                }
                masking[String(item[..<eq])] = .string(String(item[item.index(after: eq)...]))
            }
            var protection: [String: JSONValue] = ["watermark": .bool(watermark ?? false)]
            if !mask.isEmpty || current == nil { protection["masking"] = .object(masking) }
            if mask.isEmpty, let kept = current?["protection"]?["masking"] { protection["masking"] = kept }
            if watermark == nil, let kept = current?["protection"]?["watermark"] { protection["watermark"] = kept }
            o["protection"] = .object(protection)
        }
        if privacyUnit != nil || !bounds.isEmpty || !publicKey.isEmpty || !matchColumn.isEmpty || maxRowsPerUnit != nil || maxGroupsPerUnit != nil {
            var compute: [String: JSONValue] = current?["compute"]?.objectValue ?? [:]
            if let privacyUnit { compute["privacyUnit"] = .string(privacyUnit) }
            if !bounds.isEmpty {
                var ranges: [String: JSONValue] = [:]
                for item in bounds {
                    guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                        throw DataspaceCore.ValidationError(code: "bounds.format", field: "bounds", message: "'\(item)' is not COLUMN=LO:HI, e.g. age=0:120")
                    }
                    ranges[String(item[..<eq])] = .string(String(item[item.index(after: eq)...]))
                }
                compute["bounds"] = .object(ranges)
            }
            if !publicKey.isEmpty { compute["publicKeys"] = .array(publicKey.map { .string($0) }) }
            if !matchColumn.isEmpty { compute["matchColumns"] = .array(matchColumn.map { .string($0) }) }
            if let maxRowsPerUnit { compute["maxRowsPerUnit"] = .number(Double(maxRowsPerUnit)) }
            if let maxGroupsPerUnit { compute["maxGroupsPerUnit"] = .number(Double(maxGroupsPerUnit)) }
            o["compute"] = .object(compute)
        }
        if let temporalStart { o["temporalStart"] = .string(temporalStart) }
        if let temporalEnd { o["temporalEnd"] = .string(temporalEnd) }
        if let policy {
            guard let data = FileManager.default.contents(atPath: policy) else {
                throw DataspaceCore.ValidationError(code: "policy.file", field: "policy", message: "cannot read \(policy)")
            }
            do { o["policy"] = try JSONValue.parse(data) } catch {
                throw DataspaceCore.ValidationError(code: "policy.json", field: "policy", message: "\(policy): \(error)")
            }
        }
        return .object(o)
    }

    func tabularFormat() throws -> TabularFormat? { try dataspace.tabularFormat(option: format) }
}

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "publish", abstract: "Publish a CSV or JSON-lines file as a data product.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The file to publish.") var file: String
    @OptionGroup var metadata: MetadataOptions

    func validate() throws {
        for (value, flag) in [(metadata.title, "--title"), (metadata.description, "--description"), (metadata.sector, "--sector")] where value == nil {
            throw ValidationError("\(flag) is required to publish (dataspace update keeps a product's current one)")
        }
    }

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            var progress: (@Sendable (Int64, Int64) -> Void)?
            if !node.json {
                let bar = ProgressBar(label: "uploading")
                progress = { done, total in bar.update(done, total) }
            }
            let upload = try metadata.upload()
            let record = try await client.publish(
                file: file, metadata: try metadata.metadata(), format: try metadata.tabularFormat(), encoding: upload.encoding,
                delimiter: upload.delimiter, progress: progress)
            if node.json { node.printJSON(record) } else { printRecord(record) }
        }
    }
}

struct UpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Publish a new version of a product (same identifier, linked to the previous version).")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Identifier of the product.") var identifier: String
    @Option(help: "New file (omit to keep the current one).") var file: String?
    @OptionGroup var metadata: MetadataOptions

    func run() async throws {
        try await runReporting {
            let id = try UnifiedIdentifier(parsing: identifier)
            let client = try await node.client()
            // Masks without --watermark (or the reverse) keep the other half of the current setting.
            let current = metadata.mask.isEmpty != (metadata.watermark == nil) ? try await client.call(ManagementAPI.showDataset, id.prefix, id.local) : nil
            let given = try metadata.metadata(current: current)
            if file == nil && given.objectValue?.isEmpty != false {
                throw InputError("nothing to update: give --file and/or the fields to change (--title, --keywords, --rules …)")
            }
            let upload = try metadata.upload()
            let record = try await client.publish(
                file: file, metadata: given, identifier: id.description, format: try metadata.tabularFormat(), encoding: upload.encoding,
                delimiter: upload.delimiter)
            if node.json { node.printJSON(record) } else { printRecord(record) }
        }
    }
}

struct WithdrawCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "withdraw", abstract: "Withdraw a product from the catalog.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Identifier of the product.") var identifier: String

    func run() async throws {
        try await runReporting {
            let id = try UnifiedIdentifier(parsing: identifier)
            let record = try await node.client().call(ManagementAPI.withdrawDataset, id.prefix, id.local)
            if node.json { node.printJSON(record) } else { print("withdrawn \(id) (version \((record["version"]?.intValue ?? 0)))") }
        }
    }
}

struct DatasetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "datasets", abstract: "List this node's active products.")

    @OptionGroup var node: NodeOptions
    @Option(help: "Page size.") var limit: Int = 100
    @Option(help: "Continue after this identifier.") var after: String?

    func run() async throws {
        try await runReporting {
            let reply = try await node.client().call(ManagementAPI.listDatasets, query: ["limit": String(limit), "after": after])
            if node.json { node.printJSON(reply); return }
            printRecords(reply["items"]?.arrayValue ?? [])
            if let next = reply["next"]?.stringValue { print("more: --after \(next)") }
        }
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a product with its versions.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Identifier of the product.") var identifier: String

    func run() async throws {
        try await runReporting {
            let id = try UnifiedIdentifier(parsing: identifier)
            let record = try await node.client().call(ManagementAPI.showDataset, id.prefix, id.local)
            if node.json { node.printJSON(record); return }
            printRecord(record)
            printTable(
                ["version", "status", "modified", "sha256"],
                (record["versions"]?.arrayValue ?? []).map {
                    ["v\(($0["version"]?.intValue ?? 0))", $0["status"]?.stringValue ?? "", $0["modified"]?.stringValue ?? "", $0["sha256"]?.stringValue ?? ""]
                }, maxWidth: 70)
        }
    }
}

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Search the node's catalog (Chinese, English or mixed), with facets.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Query text, e.g. 空气质量 or \"traffic 流量\".") var query: String = ""
    @Option(help: "Sector slug.") var sector: String?
    @Option(help: "Region code (matches everything inside it).") var region: String?
    @Option(help: "Grade: core, important, general.") var grade: String?
    @Option(help: "Page number.") var page: Int = 1

    func run() async throws {
        try await runReporting {
            let reply = try await node.client().call(
                ManagementAPI.search, query: ["q": query, "page": String(page), "sector": sector, "region": region, "grade": grade])
            if node.json { node.printJSON(reply); return }
            print("\((reply["total"]?.intValue ?? 0)) products match")
            printRecords(reply["items"]?.arrayValue ?? [], withScore: true)
            printFacets(reply["facets"])
        }
    }
}

func printFacets(_ facets: JSONValue?) {
    guard let facets else { return }
    for name in ["sector", "region", "grade"] {
        let values = (facets[name]?.arrayValue ?? []).prefix(8).map { "\($0["value"]?.stringValue ?? "") (\(($0["count"]?.intValue ?? 0)))" }
        if !values.isEmpty { print("  \(name): \(values.joined(separator: ", "))") }
    }
}

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve", abstract: "Resolve a unified identifier or its IPv6 address (follows redirects to the owning node).")

    @OptionGroup var node: NodeOptions
    @Argument(help: "Identifier (86.<region>.<code>/<local>) or IPv6 address.") var target: String

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            let path: String
            if target.contains(":") {
                path = "/resolve/ipv6/\(target)"
            } else {
                path = "/resolve/\(try UnifiedIdentifier(parsing: target))"
            }
            let reply = try await client.call(.GET, path)
            if node.json { node.printJSON(reply) } else { printRecord(reply) }
        }
    }
}

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Ask another node's DSP catalog, authenticated as this node.")

    @OptionGroup var node: NodeOptions
    @Option(help: "The provider's base URL.") var provider: String
    @Option(help: "Full-text filter.") var query: String?
    @Option(help: "Sector filter.") var sector: String?

    func run() async throws {
        try await runReporting {
            var body: [String: JSONValue] = ["provider": .string(provider)]
            if let query { body["q"] = .string(query) }
            if let sector { body["sector"] = .string(sector) }
            let reply = try await node.client().call(ManagementAPI.peerCatalog, json: .object(body))
            if node.json { node.printJSON(reply); return }
            printDSPCatalog(reply)
        }
    }
}

func printDSPCatalog(_ catalog: JSONValue) {
    let rows = (catalog["dataset"]?.arrayValue ?? []).map { d in
        [d["@id"]?.stringValue ?? "", d["dct:title"]?.stringValue ?? "", d["dcat:theme"]?.stringValue ?? "",
         (d["hasPolicy"]?.arrayValue?.first?["permission"]?.arrayValue?.first?["action"]?.stringValue) ?? ""]
    }
    print("catalog of \(catalog["participantId"]?.stringValue ?? "?"): \(rows.count) datasets")
    printTable(["identifier", "title", "sector", "offer"], rows, maxWidth: 60)
}

func printRecords(_ items: [JSONValue], withScore: Bool = false) {
    let rows = items.map { r -> [String] in
        var row = [r["identifier"]?.stringValue ?? "", r["title"]?.stringValue ?? "", r["sector"]?.stringValue ?? "", r["region"]?.stringValue ?? "",
                   "v\((r["version"]?.intValue ?? 0))", String((r["distribution"]?["rowCount"]?.intValue ?? 0))]
        if withScore { row.append(String(format: "%.2f", r["score"]?.doubleValue ?? 0)) }
        return row
    }
    printTable(["identifier", "title", "sector", "region", "ver", "rows"] + (withScore ? ["score"] : []), rows)
}

func printRecord(_ r: JSONValue) {
    var rows: [[String]] = [
        ["identifier", r["identifier"]?.stringValue ?? ""], ["title", r["title"]?.stringValue ?? ""],
        ["status", r["status"]?.stringValue ?? ""], ["version", String((r["version"]?.intValue ?? 0))],
        ["sector", r["sector"]?.stringValue ?? ""], ["region", r["region"]?.stringValue ?? ""], ["grade", r["grade"]?.stringValue ?? ""],
        ["publisher", r["publisher"]?["name"]?.stringValue ?? ""],
        ["file", "\(r["distribution"]?["mediaType"]?.stringValue ?? "") · \((r["distribution"]?["byteSize"]?.intValue ?? 0)) bytes · \((r["distribution"]?["rowCount"]?.intValue ?? 0)) rows"],
        ["sha256", r["distribution"]?["sha256"]?.stringValue ?? ""],
    ]
    let encoding = r["distribution"]?["sourceEncoding"]?.stringValue, delimiter = r["distribution"]?["sourceDelimiter"]?.stringValue
    if encoding != nil || delimiter != nil {
        let form = [encoding, delimiter.map { $0 == "tab" ? "tab-separated" : "'\($0)'-separated" }].compactMap { $0 }.joined(separator: ", ")
        rows.append(["source", "\(form) — stored as UTF-8, comma-separated"])
    }
    if let q = r["quality"] {
        rows.append(["quality", "score \(q["score"]?.doubleValue.map { String(format: "%.3f", $0) } ?? "—") · report sha256 \(String((q["reportSha256"]?.stringValue ?? "").prefix(16)))…"])
        let g = q["grade"]
        rows.append(["grade decision", "\(g?["status"]?.stringValue ?? "") (proposed \(g?["proposed"]?.stringValue ?? ""))\(g?["by"]?.stringValue.map { " by \($0)" } ?? "")\(g?["reason"]?.stringValue.map { ": \($0)" } ?? "")"])
        if let review = g?["review"]?.stringValue { rows.append(["REVIEW GRADE", review]) }
        let sensitive = (q["sensitive"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value.doubleValue ?? 0))" }
        if !sensitive.isEmpty { rows.append(["sensitive", sensitive.joined(separator: ", ")]) }
    }
    if let p = r["protection"] {
        let masking = (p["masking"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }
        rows.append(["delivery", (masking.isEmpty ? "" : "masked " + masking.joined(separator: ", ")) + (p["watermark"] == .bool(true) ? (masking.isEmpty ? "" : "; ") + "watermarked" : "")])
    }
    if let ipv6 = r["ipv6"]?.stringValue { rows.append(["ipv6", ipv6]) }
    printTable(["field", "value"], rows, maxWidth: 80)
}
