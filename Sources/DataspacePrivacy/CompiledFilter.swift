import DataspaceCore

/// A `WHERE` clause turned into per-row tests over the store's columns: for a text column the
/// condition is decided once per distinct value (a table indexed by code), for a bounded column
/// it compares fixed-point integers. Bounded columns are compared after clamping, the only values
/// the store holds.
struct CompiledFilter: Sendable {
    indirect enum Node: Sendable {
        case codes([UInt32], accepted: [Bool])
        case bounded([Int64], test: BoundedTest)
        case and(Node, Node)
        case or(Node, Node)
        case not(Node)
    }

    /// A test on a fixed-point value; literals are held at 6 more decimals than the column so
    /// `x > 10.55` on a one-decimal column compares exactly.
    enum BoundedTest: Sendable {
        case compare(RowPredicate.Comparison, Int128)
        case among(Set<Int128>, negated: Bool)
        case isNull(negated: Bool)
        case between(Int128, Int128, negated: Bool)
    }

    static let extraDecimals = 6

    let root: Node

    init(_ predicate: RowPredicate, store: QueryStore) throws(PrivateQueryError) {
        root = try Self.compile(predicate, store: store)
    }

    func matches(_ row: Int) -> Bool { Self.evaluate(root, row) }

    static func evaluate(_ node: Node, _ row: Int) -> Bool {
        switch node {
        case .codes(let codes, let accepted): return accepted[Int(codes[row])]
        case .bounded(let values, let test):
            let v = values[row]
            if v == QueryStore.FixedPointColumn.missing {
                if case .isNull(let negated) = test { return !negated }
                return false
            }
            let scaled = Int128(v) * Int128(FixedPoint.powerOfTen(extraDecimals))
            switch test {
            case .compare(let op, let literal): return compare(scaled, op, literal)
            case .among(let set, let negated): return set.contains(scaled) != negated
            case .isNull(let negated): return negated
            case .between(let low, let high, let negated): return (scaled >= low && scaled <= high) != negated
            }
        case .and(let a, let b): return evaluate(a, row) && evaluate(b, row)
        case .or(let a, let b): return evaluate(a, row) || evaluate(b, row)
        case .not(let a): return !evaluate(a, row)
        }
    }

    static func compare<T: Comparable>(_ a: T, _ op: RowPredicate.Comparison, _ b: T) -> Bool {
        switch op {
        case .equal: a == b
        case .notEqual: a != b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }

    static func compile(_ predicate: RowPredicate, store: QueryStore) throws(PrivateQueryError) -> Node {
        switch predicate {
        case .and(let a, let b): return .and(try compile(a, store: store), try compile(b, store: store))
        case .or(let a, let b): return .or(try compile(a, store: store), try compile(b, store: store))
        case .not(let a): return .not(try compile(a, store: store))
        case .compare(let name, _, _), .among(let name, _, _), .isNull(let name, _), .between(let name, _, _, _):
            guard let i = store.index(of: name) else {
                throw PrivateQueryError(part: "WHERE \(name)", "the product has no column '\(name)'")
            }
            switch store.columns[i] {
            case .privacyUnit:
                throw PrivateQueryError(part: "WHERE \(name)", "filtering on the privacy unit would single out a person")
            case .tooManyValues:
                throw PrivateQueryError(part: "WHERE \(name)", "'\(name)' has too many distinct values to filter on")
            case .bounded(let column):
                return .bounded(column.values, test: try boundedTest(predicate, name: name, decimals: column.bounds.decimals))
            case .coded(let codes, let dictionary, _):
                return .codes(codes, accepted: dictionary.map { textTest(predicate, $0) })
            }
        }
    }

    static func literalValue(_ literal: Literal, name: String, decimals: Int) throws(PrivateQueryError) -> Int128 {
        guard case .number(let text) = literal else {
            throw PrivateQueryError(part: "WHERE \(name)", "'\(name)' is numeric; compare it with a number")
        }
        switch FixedPoint.parse(Array(text.utf8)[...], decimals: decimals + extraDecimals) {
        case .value(let v): return Int128(v)
        case .saturated(let negative): return negative ? Int128(Int64.min) * 10 : Int128(Int64.max) * 10
        case .notANumber: throw PrivateQueryError(part: "WHERE \(name)", "'\(text)' is not a number")
        }
    }

    static func boundedTest(_ predicate: RowPredicate, name: String, decimals: Int) throws(PrivateQueryError) -> BoundedTest {
        switch predicate {
        case .compare(_, let op, let literal): return .compare(op, try literalValue(literal, name: name, decimals: decimals))
        case .among(_, let literals, let negated):
            var set = Set<Int128>()
            for l in literals { set.insert(try literalValue(l, name: name, decimals: decimals)) }
            return .among(set, negated: negated)
        case .isNull(_, let negated): return .isNull(negated: negated)
        case .between(_, let low, let high, let negated):
            return .between(try literalValue(low, name: name, decimals: decimals), try literalValue(high, name: name, decimals: decimals), negated: negated)
        case .and, .or, .not: return .isNull(negated: true)
        }
    }

    /// A condition on a text column's value: numbers compare as numbers when both sides are
    /// numbers, text compares as text; the empty cell is NULL.
    static func textTest(_ predicate: RowPredicate, _ value: String) -> Bool {
        func matches(_ literal: Literal, _ op: RowPredicate.Comparison) -> Bool {
            if value.isEmpty { return false }
            switch literal {
            case .text(let t): return compare(value, op, t)
            case .number(let n):
                guard let a = Double(value), let b = Double(n), a.isFinite, b.isFinite else { return op == .notEqual }
                return compare(a, op, b)
            }
        }
        switch predicate {
        case .compare(_, let op, let literal): return matches(literal, op)
        case .among(_, let literals, let negated):
            if value.isEmpty { return false }
            return literals.contains { matches($0, .equal) } != negated
        case .isNull(_, let negated): return value.isEmpty != negated
        case .between(_, let low, let high, let negated):
            if value.isEmpty { return false }
            return (matches(low, .greaterOrEqual) && matches(high, .lessOrEqual)) != negated
        case .and, .or, .not: return false
        }
    }
}
