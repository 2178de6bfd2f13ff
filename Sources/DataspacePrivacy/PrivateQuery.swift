import DataspaceCore
/// A differentially private query as the consumer wrote it, after parsing: the restricted SQL of
/// `docs/privacy.md` (`SELECT` of keys and `COUNT`/`SUM`/`AVG` `FROM data` with an optional
/// `WHERE` and `GROUP BY`). What the grammar does not know is refused while parsing, naming the
/// part of the query (`PrivateQueryError`); what the offer does not allow is refused when planned.
public struct PrivateQuery: Sendable, Equatable {
    public enum Aggregate: Sendable, Equatable {
        /// COUNT(*) when column is nil, else the rows where the column is not empty.
        case count(column: String?)
        case sum(column: String)
        case average(column: String)
    }

    public enum OutputKind: Sendable, Equatable {
        case key(column: String)
        case aggregate(Aggregate)
    }

    public struct Output: Sendable, Equatable {
        public var kind: OutputKind
        /// The name the answer's column carries (`AS` alias, or the text as written).
        public var name: String
    }

    public var outputs: [Output]
    public var filter: RowPredicate?
    public var groupBy: [String]
    /// The text as received, for the query hash in evidence.
    public var text: String
}

/// A row filter; it reads only the row's own columns, so it never adds sensitivity.
public indirect enum RowPredicate: Sendable, Equatable {
    public enum Comparison: String, Sendable, Equatable {
        case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    case compare(column: String, Comparison, Literal)
    case among(column: String, [Literal], negated: Bool)
    case isNull(column: String, negated: Bool)
    case between(column: String, Literal, Literal, negated: Bool)
    case and(RowPredicate, RowPredicate)
    case or(RowPredicate, RowPredicate)
    case not(RowPredicate)

    /// Every column the predicate reads.
    public var columns: [String] {
        switch self {
        case .compare(let c, _, _), .among(let c, _, _), .isNull(let c, _), .between(let c, _, _, _): [c]
        case .and(let a, let b), .or(let a, let b): a.columns + b.columns
        case .not(let a): a.columns
        }
    }
}

/// A constant in a query: numbers keep their text so comparisons are exact in fixed point.
public enum Literal: Sendable, Equatable {
    case number(String)
    case text(String)
}

/// Why a query was refused: the part of the query at fault and the reason, for a person.
public struct PrivateQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The part of the query at fault, as written (or a name such as `GROUP BY`).
    public let part: String
    public let message: String

    public init(part: String, _ message: String) {
        self.part = part
        self.message = message
    }

    public var description: String { "\(part): \(message)" }
}
