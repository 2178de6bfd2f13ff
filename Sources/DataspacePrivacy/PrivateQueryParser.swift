import DataspaceCore
/// Parses the restricted SQL of differentially private queries (`docs/privacy.md`). Bounded
/// everywhere: 8 KiB of text, 4,096 tokens, 1,000 values in an `IN` list, 32 levels of
/// parentheses; anything else is a `PrivateQueryError` naming the part of the query.
public enum PrivateQueryParser {
    public static let maximumLength = 8 * 1024
    public static let maximumTokens = 4_096
    public static let maximumListLength = 1_000
    public static let maximumDepth = 32
    /// The name a query uses for the product's rows.
    public static let tableName = "data"

    public static func parse(_ text: String) throws(PrivateQueryError) -> PrivateQuery {
        guard text.utf8.count <= maximumLength else {
            throw PrivateQueryError(part: "query", "is \(text.utf8.count) bytes; the limit is \(maximumLength)")
        }
        var parser = Parser(tokens: try Lexer.tokens(of: text), text: text)
        return try parser.query()
    }

    enum Token: Equatable {
        case word(String)  // keyword or bare identifier, as written
        case quoted(String)  // "identifier"
        case number(String)
        case text(String)  // 'literal'
        case symbol(String)

        var display: String {
            switch self {
            case .word(let w): w
            case .quoted(let q): "\"\(q)\""
            case .number(let n): n
            case .text(let t): "'\(t)'"
            case .symbol(let s): s
            }
        }
    }

    enum Lexer {
        static func tokens(of text: String) throws(PrivateQueryError) -> [Token] {
            var tokens: [Token] = []
            let scalars = Array(text.unicodeScalars)
            var i = 0
            func isWordStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
            func isWord(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || ("0"..."9").contains(c) }
            while i < scalars.count {
                guard tokens.count < maximumTokens else {
                    throw PrivateQueryError(part: "query", "has more than \(maximumTokens) tokens")
                }
                let c = scalars[i]
                if c.properties.isWhitespace { i += 1; continue }
                if c == "-", i + 1 < scalars.count, scalars[i + 1] == "-" {
                    throw PrivateQueryError(part: "--", "comments are not accepted; send the query alone")
                }
                if isWordStart(c) {
                    var j = i
                    while j < scalars.count, isWord(scalars[j]) { j += 1 }
                    tokens.append(.word(String(String.UnicodeScalarView(scalars[i..<j]))))
                    i = j
                } else if ("0"..."9").contains(c) || (c == "." && i + 1 < scalars.count && ("0"..."9").contains(scalars[i + 1])) {
                    var j = i
                    while j < scalars.count, ("0"..."9").contains(scalars[j]) || scalars[j] == "." { j += 1 }
                    if j < scalars.count, scalars[j] == "e" || scalars[j] == "E" {
                        j += 1
                        if j < scalars.count, scalars[j] == "-" || scalars[j] == "+" { j += 1 }
                        while j < scalars.count, ("0"..."9").contains(scalars[j]) { j += 1 }
                    }
                    tokens.append(.number(String(String.UnicodeScalarView(scalars[i..<j]))))
                    i = j
                } else if c == "'" || c == "\"" {
                    var value = String.UnicodeScalarView()
                    var j = i + 1
                    var closed = false
                    while j < scalars.count {
                        if scalars[j] == c {
                            if j + 1 < scalars.count, scalars[j + 1] == c {
                                value.append(c)
                                j += 2
                                continue
                            }
                            closed = true
                            break
                        }
                        value.append(scalars[j])
                        j += 1
                    }
                    guard closed else {
                        throw PrivateQueryError(part: String(String.UnicodeScalarView(scalars[i..<min(scalars.count, i + 20)])), "the quote is never closed")
                    }
                    tokens.append(c == "'" ? .text(String(value)) : .quoted(String(value)))
                    i = j + 1
                } else {
                    let two = i + 1 < scalars.count ? String(String.UnicodeScalarView([c, scalars[i + 1]])) : ""
                    if ["<=", ">=", "<>", "!="].contains(two) {
                        tokens.append(.symbol(two == "!=" ? "<>" : two))
                        i += 2
                    } else if "(),*=<>;.+-/".unicodeScalars.contains(c) {
                        tokens.append(.symbol(String(c)))
                        i += 1
                    } else {
                        throw PrivateQueryError(part: String(c), "is not part of the query language; see docs/privacy.md")
                    }
                }
            }
            return tokens
        }
    }

    struct Parser {
        var tokens: [Token]
        let text: String
        var position = 0
        var depth = 0

        static let refusedWords: [String: String] = [
            "JOIN": "joins are not offered: a query reads the product's own rows (FROM data) only",
            "UNION": "combining queries is not offered; send each query on its own",
            "INTERSECT": "combining queries is not offered; send each query on its own",
            "EXCEPT": "combining queries is not offered; send each query on its own",
            "ORDER": "ORDER BY is not offered: the answer lists every released group",
            "LIMIT": "LIMIT is not offered: the answer lists every released group",
            "HAVING": "HAVING would filter on noisy values; filter rows with WHERE instead",
            "DISTINCT": "distinct values are not released: which values exist can identify a person",
            "WITH": "common table expressions are not offered; query FROM data directly",
            "INSERT": "only SELECT is accepted", "UPDATE": "only SELECT is accepted", "DELETE": "only SELECT is accepted",
            "DROP": "only SELECT is accepted", "CREATE": "only SELECT is accepted", "ALTER": "only SELECT is accepted",
        ]
        static let refusedFunctions: [String: String] = [
            "MIN": "MIN is not released: the smallest value is one person's value",
            "MAX": "MAX is not released: the largest value is one person's value",
            "MEDIAN": "quantiles are not offered yet; ask for COUNT, SUM or AVG",
            "PERCENTILE_CONT": "quantiles are not offered yet; ask for COUNT, SUM or AVG",
            "STDDEV": "variances are not offered yet; ask for COUNT, SUM or AVG",
            "VARIANCE": "variances are not offered yet; ask for COUNT, SUM or AVG",
        ]

        func peek(_ offset: Int = 0) -> Token? { position + offset < tokens.count ? tokens[position + offset] : nil }
        func isKeyword(_ token: Token?, _ word: String) -> Bool {
            if case .word(let w) = token { return w.uppercased() == word }
            return false
        }
        func isSymbol(_ token: Token?, _ s: String) -> Bool { token == .symbol(s) }
        var here: String { peek()?.display ?? "end of query" }

        mutating func take() -> Token? {
            defer { position += 1 }
            return peek()
        }

        mutating func expectKeyword(_ word: String) throws(PrivateQueryError) {
            guard isKeyword(peek(), word) else {
                throw PrivateQueryError(part: here, "expected \(word)")
            }
            position += 1
        }

        mutating func expectSymbol(_ s: String) throws(PrivateQueryError) {
            guard isSymbol(peek(), s) else { throw PrivateQueryError(part: here, "expected '\(s)'") }
            position += 1
        }

        func refuseIfKnown() throws(PrivateQueryError) {
            if case .word(let w) = peek(), let reason = Self.refusedWords[w.uppercased()] {
                throw PrivateQueryError(part: w, reason)
            }
        }

        mutating func identifier(_ role: String) throws(PrivateQueryError) -> String {
            try refuseIfKnown()
            switch peek() {
            case .word(let w) where !Self.reserved.contains(w.uppercased()):
                position += 1
                return w
            case .quoted(let q) where !q.isEmpty:
                position += 1
                return q
            default:
                throw PrivateQueryError(part: here, "expected \(role)")
            }
        }

        static let reserved: Set<String> = [
            "SELECT", "FROM", "WHERE", "GROUP", "BY", "AS", "AND", "OR", "NOT", "IN", "IS", "NULL", "BETWEEN",
        ]

        mutating func query() throws(PrivateQueryError) -> PrivateQuery {
            try refuseIfKnown()
            try expectKeyword("SELECT")
            try refuseIfKnown()
            var outputs: [PrivateQuery.Output] = []
            repeat {
                outputs.append(try output())
            } while isSymbol(peek(), ",") && take() != nil
            try refuseIfKnown()
            try expectKeyword("FROM")
            if isSymbol(peek(), "(") { throw PrivateQueryError(part: "FROM (", "subqueries are not offered; query FROM data directly") }
            let table = try identifier("the table name 'data'")
            guard table.lowercased() == PrivateQueryParser.tableName else {
                throw PrivateQueryError(part: table, "the product's rows are called 'data'; no other table can be read")
            }
            if isSymbol(peek(), ",") { throw PrivateQueryError(part: ",", "joins are not offered: a query reads FROM data only") }
            if case .word(let w) = peek(), !Self.reserved.contains(w.uppercased()), Self.refusedWords[w.uppercased()] == nil {
                throw PrivateQueryError(part: w, "tables take no alias; write FROM data")
            }
            var filter: RowPredicate?
            try refuseIfKnown()
            if isKeyword(peek(), "WHERE") {
                position += 1
                filter = try predicate()
            }
            var groupBy: [String] = []
            try refuseIfKnown()
            if isKeyword(peek(), "GROUP") {
                position += 1
                try expectKeyword("BY")
                repeat {
                    let key = try identifier("a column to group by")
                    if isSymbol(peek(), "(") { throw PrivateQueryError(part: key, "group by columns as they are, not expressions") }
                    guard !groupBy.contains(key) else { throw PrivateQueryError(part: key, "is named twice in GROUP BY") }
                    groupBy.append(key)
                } while isSymbol(peek(), ",") && take() != nil
            }
            try refuseIfKnown()
            if isSymbol(peek(), ";") { position += 1 }
            guard peek() == nil else { throw PrivateQueryError(part: here, "unexpected after the end of the query") }
            var names = Set<String>()
            for output in outputs {
                guard names.insert(output.name.lowercased()).inserted else {
                    throw PrivateQueryError(part: output.name, "two answer columns have this name; rename one with AS")
                }
                if case .key(let column) = output.kind, !groupBy.contains(column) {
                    throw PrivateQueryError(part: column, "raw values are never released: a column can be selected only when it is grouped by (GROUP BY \(column))")
                }
            }
            guard outputs.contains(where: { if case .aggregate = $0.kind { true } else { false } }) else {
                throw PrivateQueryError(part: "SELECT", "ask for at least one COUNT, SUM or AVG")
            }
            return PrivateQuery(outputs: outputs, filter: filter, groupBy: groupBy, text: text)
        }

        mutating func output() throws(PrivateQueryError) -> PrivateQuery.Output {
            if isSymbol(peek(), "*") { throw PrivateQueryError(part: "*", "raw rows are never released; ask for COUNT, SUM or AVG") }
            let start = position
            let kind: PrivateQuery.OutputKind
            if case .word(let w) = peek(), isSymbol(peek(1), "(") {
                let function = w.uppercased()
                if let reason = Self.refusedFunctions[function] { throw PrivateQueryError(part: "\(w)(", reason) }
                position += 2
                if isKeyword(peek(), "DISTINCT") { throw PrivateQueryError(part: "\(w)(DISTINCT", Self.refusedWords["DISTINCT"] ?? "") }
                switch function {
                case "COUNT":
                    if isSymbol(peek(), "*") {
                        position += 1
                        kind = .aggregate(.count(column: nil))
                    } else {
                        kind = .aggregate(.count(column: try identifier("a column or * inside COUNT")))
                    }
                case "SUM": kind = .aggregate(.sum(column: try identifier("a column inside SUM")))
                case "AVG": kind = .aggregate(.average(column: try identifier("a column inside AVG")))
                default: throw PrivateQueryError(part: "\(w)(", "is not a function this node computes; ask for COUNT, SUM or AVG")
                }
                guard isSymbol(peek(), ")") else {
                    throw PrivateQueryError(part: here, "\(function) takes one column as it is, not an expression")
                }
                position += 1
            } else {
                kind = .key(column: try identifier("a column, COUNT, SUM or AVG"))
                if isSymbol(peek(), ".") { throw PrivateQueryError(part: ".", "qualified names are not needed; the only table is data") }
            }
            let written = tokens[start..<position].map(\.display).joined()
            var name = written
            if isKeyword(peek(), "AS") {
                position += 1
                name = try identifier("a name after AS")
            }
            if case .symbol(let s) = peek(), ["+", "-", "/", "*"].contains(s) {
                throw PrivateQueryError(part: s, "arithmetic on answers is not offered; compute on the released numbers")
            }
            return PrivateQuery.Output(kind: kind, name: name)
        }

        mutating func predicate() throws(PrivateQueryError) -> RowPredicate {
            var left = try conjunction()
            while isKeyword(peek(), "OR") {
                position += 1
                left = .or(left, try conjunction())
            }
            return left
        }

        mutating func conjunction() throws(PrivateQueryError) -> RowPredicate {
            var left = try unary()
            while isKeyword(peek(), "AND") {
                position += 1
                left = .and(left, try unary())
            }
            return left
        }

        mutating func unary() throws(PrivateQueryError) -> RowPredicate {
            if isKeyword(peek(), "NOT") {
                position += 1
                return .not(try unary())
            }
            if isSymbol(peek(), "(") {
                if isKeyword(peek(1), "SELECT") { throw PrivateQueryError(part: "(SELECT", "subqueries are not offered") }
                depth += 1
                guard depth <= maximumDepth else { throw PrivateQueryError(part: "(", "parentheses nest deeper than \(maximumDepth)") }
                position += 1
                let inner = try predicate()
                try expectSymbol(")")
                depth -= 1
                return inner
            }
            return try condition()
        }

        mutating func condition() throws(PrivateQueryError) -> RowPredicate {
            if case .word(let w) = peek(), isSymbol(peek(1), "(") {
                throw PrivateQueryError(part: "\(w)(", "functions are not accepted in WHERE; compare a column with a value")
            }
            let column = try identifier("a column to filter on")
            if isKeyword(peek(), "IS") {
                position += 1
                let negated = isKeyword(peek(), "NOT")
                if negated { position += 1 }
                try expectKeyword("NULL")
                return .isNull(column: column, negated: negated)
            }
            let negated = isKeyword(peek(), "NOT")
            if negated { position += 1 }
            if isKeyword(peek(), "IN") {
                position += 1
                try expectSymbol("(")
                if isKeyword(peek(), "SELECT") { throw PrivateQueryError(part: "IN (SELECT", "subqueries are not offered") }
                var values: [Literal] = []
                repeat {
                    guard values.count < maximumListLength else {
                        throw PrivateQueryError(part: "\(column) IN", "lists more than \(maximumListLength) values")
                    }
                    values.append(try literal())
                } while isSymbol(peek(), ",") && take() != nil
                try expectSymbol(")")
                return .among(column: column, values, negated: negated)
            }
            if isKeyword(peek(), "BETWEEN") {
                position += 1
                let low = try literal()
                try expectKeyword("AND")
                return .between(column: column, low, try literal(), negated: negated)
            }
            if negated { throw PrivateQueryError(part: "NOT", "expected IN or BETWEEN after NOT") }
            guard case .symbol(let s) = peek(), let comparison = RowPredicate.Comparison(rawValue: s) else {
                if isKeyword(peek(), "LIKE") { throw PrivateQueryError(part: "LIKE", "pattern matching is not offered; compare with = or IN") }
                throw PrivateQueryError(part: here, "expected a comparison (=, <>, <, <=, >, >=, IN, BETWEEN, IS NULL) after \(column)")
            }
            position += 1
            if case .word(let w) = peek(), !Self.reserved.contains(w.uppercased()) {
                throw PrivateQueryError(part: w, "a column can be compared with a value only, not with another column")
            }
            return .compare(column: column, comparison, try literal())
        }

        mutating func literal() throws(PrivateQueryError) -> Literal {
            if isSymbol(peek(), "-"), case .number(let n) = peek(1) {
                position += 2
                return .number("-" + n)
            }
            switch peek() {
            case .number(let n):
                position += 1
                return .number(n)
            case .text(let t):
                position += 1
                return .text(t)
            default:
                throw PrivateQueryError(part: here, "expected a value: a number or 'text'")
            }
        }
    }
}
