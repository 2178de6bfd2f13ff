/// What one secure-aggregation round computes over each provider's product (docs/privacy.md,
/// "Secure aggregation"): the count, and the sum of one bounded column when named, for the whole
/// product or for each of the listed values of a public key. Every provider answers the same
/// vector — two numbers a group, in the order the groups are listed — so the shares of different
/// providers add up position by position, and a provider never reveals which groups it has.
public struct AggregationQuery: Sendable, Hashable {
    /// The round's identifier, chosen by the consumer (letters, digits and '-', 8 to 64).
    public var round: String
    /// The bounded column to sum; nil: rows are only counted.
    public var column: String?
    /// A public key of the products to group by; nil: one group, the whole product.
    public var groupBy: String?
    /// The values of `groupBy` the round reports, in order (empty without `groupBy`).
    public var groups: [String]
    /// Decimals the sum is carried with (values are rounded to them), 0 to 6.
    public var decimals: Int
    /// The two aggregator nodes (DIDs), each receiving one share of every provider's vector.
    public var aggregators: [String]
    /// How many providers the round has (the consumer names them to the aggregators).
    public var providers: Int

    public static let providersRange = 3...100
    public static let maximumGroups = 1_000
    public static let maximumGroupBytes = 256
    public static let decimalsRange = 0...6

    public init(round: String, column: String?, groupBy: String?, groups: [String], decimals: Int, aggregators: [String], providers: Int) {
        self.round = round
        self.column = column
        self.groupBy = groupBy
        self.groups = groups
        self.decimals = decimals
        self.aggregators = aggregators
        self.providers = providers
    }

    /// Numbers in a provider's vector: a sum and a count for each group.
    public var length: Int { Self.length(groups: groups.count) }

    public static func length(groups: Int) -> Int { max(1, groups) * 2 }

    /// True for an identifier a round may have.
    public static func isRoundID(_ text: String) -> Bool {
        (8...64).contains(text.utf8.count) && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 }
    }

    /// Reads a round's query as the consumer sends it to each provider; the error names the field.
    public init(json: JSONValue) throws(ValidationError) {
        guard case .object(let o) = json else { throw ValidationError(code: "aggregate.body", field: "body", message: "the body must be a JSON object") }
        guard let round = o["round"]?.stringValue, Self.isRoundID(round) else {
            throw ValidationError(code: "aggregate.round", field: "round", message: "round must be 8 to 64 letters, digits or '-'")
        }
        func name(_ key: String) throws(ValidationError) -> String? {
            guard let value = o[key], value != .null else { return nil }
            guard let s = value.stringValue, (1...256).contains(s.utf8.count) else {
                throw ValidationError(code: "aggregate.\(key)", field: key, message: "\(key) must name a column (1 to 256 bytes)")
            }
            return s
        }
        let column = try name("column")
        let groupBy = try name("groupBy")
        var groups: [String] = []
        if let list = o["groups"], list != .null {
            guard let items = list.arrayValue, items.count <= Self.maximumGroups else {
                throw ValidationError(code: "aggregate.groups", field: "groups", message: "groups must be a list of at most \(Self.maximumGroups) values")
            }
            var seen = Set<String>()
            for (i, item) in items.enumerated() {
                guard let s = item.stringValue, s.utf8.count <= Self.maximumGroupBytes else {
                    throw ValidationError(code: "aggregate.groups", field: "groups[\(i)]", message: "each group is a string of at most \(Self.maximumGroupBytes) bytes")
                }
                guard seen.insert(s).inserted else {
                    throw ValidationError(code: "aggregate.groups", field: "groups[\(i)]", message: "'\(s.prefix(40))' is listed twice")
                }
                groups.append(s)
            }
        }
        if groupBy == nil, !groups.isEmpty {
            throw ValidationError(code: "aggregate.groups", field: "groups", message: "groups need groupBy: the public key they are values of")
        }
        if groupBy != nil, groups.isEmpty {
            throw ValidationError(code: "aggregate.groups", field: "groups", message: "list the values of \(groupBy ?? "") to report (every provider reports the same groups)")
        }
        var decimals = 0
        if let d = o["decimals"], d != .null {
            guard let n = d.intValue, Self.decimalsRange.contains(n) else {
                throw ValidationError(code: "aggregate.decimals", field: "decimals", message: "decimals is a whole number from 0 to 6")
            }
            decimals = n
        }
        guard let list = o["aggregators"]?.arrayValue, list.count == 2, let first = list[0].stringValue, let second = list[1].stringValue else {
            throw ValidationError(code: "aggregate.aggregators", field: "aggregators", message: "aggregators must list the DIDs of exactly two aggregator nodes")
        }
        for (i, did) in [first, second].enumerated() {
            do { _ = try WebDID(did) } catch {
                throw ValidationError(code: "aggregate.aggregators", field: "aggregators[\(i)]", message: "not a did:web identifier: \(error.message)")
            }
        }
        guard first != second else {
            throw ValidationError(code: "aggregate.aggregators", field: "aggregators[1]", message: "the two aggregators must be different nodes")
        }
        guard let providers = o["providers"]?.intValue, Self.providersRange.contains(providers) else {
            throw ValidationError(
                code: "aggregate.providers", field: "providers",
                message: "providers is how many providers the round has, \(Self.providersRange.lowerBound) to \(Self.providersRange.upperBound)")
        }
        self.init(round: round, column: column, groupBy: groupBy, groups: groups, decimals: decimals, aggregators: [first, second], providers: providers)
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "round": .string(round), "decimals": .number(Double(decimals)), "aggregators": .array(aggregators.map { .string($0) }),
            "providers": .number(Double(providers)),
        ]
        if let column { o["column"] = .string(column) }
        if let groupBy {
            o["groupBy"] = .string(groupBy)
            o["groups"] = .array(groups.map { .string($0) })
        }
        return .object(o)
    }
}

/// Shares travel as decimal strings: JSON numbers cannot carry 64 bits exactly.
public enum ShareVector {
    public static func json(_ values: [UInt64]) -> JSONValue { .array(values.map { .string(String($0)) }) }

    /// Reads exactly `length` values; the error names the first bad one.
    public static func parse(_ json: JSONValue?, length: Int, field: String = "values") throws(ValidationError) -> [UInt64] {
        guard let items = json?.arrayValue else { throw ValidationError(code: "aggregate.values", field: field, message: "\(field) must be a list of \(length) numbers") }
        guard items.count == length else {
            throw ValidationError(code: "aggregate.values", field: field, message: "\(field) has \(items.count) numbers; the round's vector has \(length)")
        }
        var out: [UInt64] = []
        out.reserveCapacity(length)
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue, s.utf8.count <= 20, let v = UInt64(s) else {
                throw ValidationError(code: "aggregate.values", field: "\(field)[\(i)]", message: "each value is a decimal string from 0 to 18446744073709551615")
            }
            out.append(v)
        }
        return out
    }
}

extension CompiledPolicy {
    /// How many secure-aggregation rounds the first `compute` permission with `aggregateRounds`
    /// allows; nil when the offer does not allow secure aggregation.
    public var aggregateRounds: Int? {
        for rule in permissions where PolicyActions.covers(rule.action, "compute") {
            for c in rule.constraints {
                if case .atomic(let a) = c, a.left == .aggregateRounds, case .limit(let n) = a.operand { return n }
            }
        }
        return nil
    }
}
