import DataspaceApplication
import DataspaceCore
import DataspacePrivacy

/// The JSON of computation in place, one form for the provider's DSP endpoint, the consumer's
/// management API and the CLI: requests read at the edge with explicit ranges, answers and
/// budgets written with exact decimals (amounts as strings, never rounded floats).
enum ComputeJSON {
    /// `{"query": "SELECT …", "epsilon"|"rho": 0.1, "delta": 1e-6}`; a malformed field is a 400
    /// naming it.
    static func request(_ json: JSONValue) throws -> ComputeService.QueryRequest {
        guard let o = json.objectValue else {
            throw ValidationError(code: "compute.request", field: "body", message: "a JSON object with query (and optionally epsilon or rho, delta)")
        }
        for key in o.keys.sorted() where !["query", "epsilon", "rho", "delta"].contains(key) {
            throw ValidationError(code: "compute.field", field: key, message: "unknown field; expected query, epsilon, rho or delta")
        }
        guard let sql = o["query"]?.stringValue, !sql.isEmpty else {
            throw ValidationError(code: "compute.query", field: "query", message: "query is required: SELECT … FROM data (docs/privacy.md)")
        }
        guard sql.utf8.count <= PrivateQueryParser.maximumLength else {
            throw ValidationError(code: "compute.query", field: "query", message: "query is longer than \(PrivateQueryParser.maximumLength) bytes")
        }
        func amount(_ key: String) throws -> PrivacyAmount? {
            guard let v = o[key], v != .null else { return nil }
            let parsed = v.doubleValue.flatMap { PrivacyAmount($0) } ?? v.stringValue.flatMap { PrivacyAmount(decimal: $0) }
            guard let parsed, parsed > .zero else {
                throw ValidationError(code: "compute.amount", field: key, message: "\(key) takes a positive decimal with at most 9 decimals, e.g. 0.1")
            }
            return parsed
        }
        let epsilon = try amount("epsilon"), rho = try amount("rho")
        guard epsilon == nil || rho == nil else {
            throw ValidationError(code: "compute.amount", field: "rho", message: "give epsilon or rho, as the agreement's budget is counted, not both")
        }
        return ComputeService.QueryRequest(sql: sql, amount: epsilon ?? rho, delta: try amount("delta"))
    }

    static func budget(_ b: ComputeService.BudgetStatus) -> JSONValue {
        var o: [String: JSONValue] = [
            "parameter": .string(b.terms.total.parameter), "mechanism": .string(b.terms.total.mechanism),
            "total": .string(b.terms.total.amount.description), "spent": .string(b.spent.total.description),
            "remaining": .string(b.remaining.description), "period": .number(Double(b.period)),
            "periodLength": .string(ISO8601.formatDuration(b.terms.period)),
            "delta": .string(b.terms.delta.description), "deltaSpent": .string(b.spent.delta.description),
            "deltaRemaining": .string(b.remainingDelta.description),
        ]
        if let q = b.terms.perQuery { o["perQuery"] = .string(q.description) }
        if let p = b.terms.perPeriod {
            o["perPeriod"] = .string(p.description)
            o["periodSpent"] = .string(b.spent.period.description)
            o["periodRemaining"] = .string((b.remainingInPeriod ?? .zero).description)
        }
        return .object(o)
    }

    static func result(_ r: ComputeService.QueryResult) -> JSONValue {
        let a = r.answer
        var o: [String: JSONValue] = [
            "queryId": .string(r.queryID), "queryHash": .string(r.queryHash),
            "columns": .array(a.columns.map { c in
                var col: [String: JSONValue] = ["name": .string(c.name), "kind": .string(c.kind.rawValue)]
                if let n = c.noise {
                    col["noise"] = [
                        "mechanism": .string(n.mechanism), "scale": .number(n.scale), "halfWidth95": .number(n.halfWidth95),
                        "parameter": .string(n.loss.parameter), "spent": .string(n.loss.amount.description),
                    ]
                }
                return .object(col)
            }),
            "rows": .array(a.rows.map { .array($0.map { .string($0) }) }),
            "spent": [
                "parameter": .string(a.loss.parameter), "amount": .string(a.loss.amount.description), "delta": .string(a.delta.description),
            ],
            "budget": budget(r.budget),
        ]
        if let t = a.releaseThreshold { o["releaseThreshold"] = .number(Double(t)) }
        return .object(o)
    }

    /// `{"identifiers": ["…"], "column": "…"}` for a set-intersection run; each identifier is a
    /// string of at most 1,024 bytes, at most ten million of them.
    static func identifiers(_ json: JSONValue) throws -> (identifiers: [[UInt8]], column: String?, output: PSITerms.Output?) {
        guard let o = json.objectValue else {
            throw ValidationError(code: "psi.request", field: "body", message: "a JSON object with identifiers (and optionally column)")
        }
        for key in o.keys.sorted() where !["identifiers", "column", "output"].contains(key) {
            throw ValidationError(code: "psi.field", field: key, message: "unknown field; expected identifiers, column or output")
        }
        var output: PSITerms.Output?
        if let v = o["output"], v != .null {
            guard let o = v.stringValue.flatMap(PSITerms.Output.init(rawValue:)) else {
                throw ValidationError(code: "psi.output", field: "output", message: "output is cardinality or intersection")
            }
            output = o
        }
        guard let list = o["identifiers"]?.arrayValue else {
            throw ValidationError(code: "psi.identifiers", field: "identifiers", message: "identifiers is required: a list of strings")
        }
        guard list.count <= PSITerms.setSizeRange.upperBound else {
            throw ValidationError(code: "psi.identifiers", field: "identifiers", message: "at most \(PSITerms.setSizeRange.upperBound) identifiers a run")
        }
        var identifiers: [[UInt8]] = []
        identifiers.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            guard let text = item.stringValue, text.utf8.count <= PSIIdentifiers.maximumLength else {
                throw ValidationError(code: "psi.identifiers", field: "identifiers[\(i)]", message: "each identifier is a string of at most \(PSIIdentifiers.maximumLength) bytes")
            }
            identifiers.append(Array(text.utf8))
        }
        var column: String?
        if let c = o["column"], c != .null {
            guard let name = c.stringValue, !name.isEmpty, name.utf8.count <= 256 else {
                throw ValidationError(code: "psi.column", field: "column", message: "column names one of the product's match columns")
            }
            column = name
        }
        return (identifiers, column, output)
    }

    static func intersection(_ r: ContractService.SetIntersectionResult) -> JSONValue {
        var o: [String: JSONValue] = [
            "run": .string(r.runID), "output": .string(r.output.rawValue), "column": .string(r.column),
            "consumerSetSize": .number(Double(r.consumerSetSize)), "providerSetSize": .number(Double(r.providerSetSize)),
            "intersectionSize": .number(Double(r.intersectionSize)),
        ]
        if let matches = r.matches { o["matches"] = .array(matches.map { .string(String(decoding: $0, as: UTF8.self)) }) }
        if let left = r.runsLeft { o["runsLeft"] = .number(Double(left)) }
        return .object(o)
    }
}

extension ComputeJSON {
    /// `{"agreements": [...], "aggregators": [did, did], "column", "groupBy", "groups", "decimals"}`
    /// for a secure-aggregation round; the shapes are checked here, the terms by the service.
    static func aggregation(_ json: JSONValue) throws -> ContractService.AggregationRequest {
        guard let o = json.objectValue else {
            throw ValidationError(code: "aggregate.request", field: "body", message: "a JSON object with agreements and aggregators")
        }
        let known = ["agreements", "aggregators", "column", "groupBy", "groups", "decimals"]
        for key in o.keys.sorted() where !known.contains(key) {
            throw ValidationError(code: "aggregate.field", field: key, message: "unknown field; expected \(known.joined(separator: ", "))")
        }
        func strings(_ key: String, at most: Int) throws -> [String] {
            guard let v = o[key], v != .null else { return [] }
            guard let list = v.arrayValue, list.count <= most else {
                throw ValidationError(code: "aggregate.\(key)", field: key, message: "\(key) is a list of at most \(most) strings")
            }
            return try list.enumerated().map { i, item in
                guard let s = item.stringValue, s.utf8.count <= 1024 else {
                    throw ValidationError(code: "aggregate.\(key)", field: "\(key)[\(i)]", message: "a string of at most 1,024 bytes")
                }
                return s
            }
        }
        func name(_ key: String) throws -> String? {
            guard let v = o[key], v != .null else { return nil }
            guard let s = v.stringValue, (1...256).contains(s.utf8.count) else {
                throw ValidationError(code: "aggregate.\(key)", field: key, message: "\(key) names a column (1 to 256 bytes)")
            }
            return s
        }
        var decimals = 0
        if let d = o["decimals"], d != .null {
            guard let n = d.intValue, AggregationQuery.decimalsRange.contains(n) else {
                throw ValidationError(code: "aggregate.decimals", field: "decimals", message: "decimals is a whole number from 0 to 6")
            }
            decimals = n
        }
        return ContractService.AggregationRequest(
            agreements: try strings("agreements", at: AggregationQuery.providersRange.upperBound), column: try name("column"), groupBy: try name("groupBy"),
            groups: try strings("groups", at: AggregationQuery.maximumGroups), decimals: decimals, aggregators: try strings("aggregators", at: 2))
    }

    /// A released joint result; sums are written with their decimals, averages with two more.
    static func aggregation(_ r: ContractService.AggregationResult) -> JSONValue {
        let groups: [JSONValue] = r.groups.map { g in
            var o: [String: JSONValue] = ["count": .number(Double(g.count))]
            if let key = g.key { o["key"] = .string(key) }
            if let sum = g.sum {
                o["sum"] = .string(FixedPoint.render(Int128(sum), decimals: r.decimals))
                if g.count > 0 {
                    // Two more decimals than the sum, truncated toward zero: exact, no float.
                    o["avg"] = .string(FixedPoint.render(Int128(sum) * 100 / Int128(g.count), decimals: r.decimals + 2))
                }
            }
            return .object(o)
        }
        var o: [String: JSONValue] = [
            "round": .string(r.round), "providers": .array(r.providers.map { .string($0) }), "decimals": .number(Double(r.decimals)), "groups": .array(groups),
        ]
        if let c = r.column { o["column"] = .string(c) }
        if let k = r.groupBy { o["groupBy"] = .string(k) }
        return .object(o)
    }
}
