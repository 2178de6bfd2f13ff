import DataspaceCore

/// The YAML subset `quality.yaml` files need, read into JSON values: block mappings and
/// sequences by indentation, flow sequences `[a, b]` and flow mappings `{k: v}` of scalars,
/// plain and quoted scalars, comments. Anchors, tags, multi-line scalars and multiple documents
/// are refused with the line number rather than misread.
public enum MiniYAML {
    public static func parse(_ text: String) throws(ValidationError) -> JSONValue {
        var lines: [(number: Int, indent: Int, text: String)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = stripComment(String(raw)).replacingOccurrences(of: "\r", with: "")
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            if line.hasPrefix("---") || line.hasPrefix("...") { continue }
            let indent = line.prefix { $0 == " " }.count
            guard !line.prefix(indent + 1).contains("\t") else { throw error(i + 1, "tabs are not allowed for indentation") }
            lines.append((i + 1, indent, String(line.dropFirst(indent))))
        }
        var position = 0
        guard !lines.isEmpty else { return .object([:]) }
        let value = try block(&lines, &position, indent: lines[0].indent)
        if position < lines.count { throw error(lines[position].number, "unexpected indentation") }
        return value
    }

    static func error(_ line: Int, _ message: String) -> ValidationError {
        ValidationError(code: "yaml", field: "line \(line)", message: message)
    }

    static func stripComment(_ line: String) -> String {
        var inSingle = false, inDouble = false
        var previous: Character = " "
        for (offset, c) in line.enumerated() {
            if c == "'" && !inDouble { inSingle.toggle() } else if c == "\"" && !inSingle { inDouble.toggle() } else if c == "#", !inSingle, !inDouble, previous == " " || offset == 0 {
                return String(line.prefix(offset))
            }
            previous = c
        }
        return line
    }

    static func block(_ lines: inout [(number: Int, indent: Int, text: String)], _ i: inout Int, indent: Int) throws(ValidationError) -> JSONValue {
        if lines[i].text.hasPrefix("- ") || lines[i].text == "-" {
            var items: [JSONValue] = []
            while i < lines.count, lines[i].indent == indent, lines[i].text.hasPrefix("- ") || lines[i].text == "-" {
                let number = lines[i].number
                let rest = lines[i].text == "-" ? "" : String(lines[i].text.dropFirst(2)).trimmingCharacters(in: .whitespaces)
                if rest.isEmpty {
                    i += 1
                    guard i < lines.count, lines[i].indent > indent else { items.append(.null); continue }
                    items.append(try block(&lines, &i, indent: lines[i].indent))
                } else if let colon = mappingColon(rest), !rest.hasPrefix("[") && !rest.hasPrefix("{") {
                    // "- key: value" opens a mapping whose further keys are indented under the key.
                    let childIndent = indent + 2
                    lines[i] = (number, childIndent, rest)
                    _ = colon
                    items.append(try block(&lines, &i, indent: childIndent))
                } else {
                    items.append(try scalarOrFlow(rest, line: number))
                    i += 1
                }
            }
            return .array(items)
        }
        var object: [String: JSONValue] = [:]
        while i < lines.count, lines[i].indent == indent {
            let (number, _, text) = lines[i]
            guard let colon = mappingColon(text) else { throw error(number, "expected 'key: value'") }
            let key = unquote(String(text[..<colon]).trimmingCharacters(in: .whitespaces))
            guard object[key] == nil else { throw error(number, "duplicate key '\(key)'") }
            let rest = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            i += 1
            if rest.isEmpty {
                if i < lines.count, lines[i].indent > indent {
                    object[key] = try block(&lines, &i, indent: lines[i].indent)
                } else if i < lines.count, lines[i].indent == indent, lines[i].text.hasPrefix("- ") {
                    object[key] = try block(&lines, &i, indent: indent)
                } else {
                    object[key] = .null
                }
            } else {
                object[key] = try scalarOrFlow(rest, line: number)
            }
        }
        if i < lines.count, lines[i].indent > indent { throw error(lines[i].number, "unexpected indentation") }
        return .object(object)
    }

    /// The colon that separates a key from its value (followed by a space or the end), outside quotes.
    static func mappingColon(_ text: String) -> String.Index? {
        var inSingle = false, inDouble = false
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "'" && !inDouble { inSingle.toggle() } else if c == "\"" && !inSingle { inDouble.toggle() } else if c == ":", !inSingle, !inDouble {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " { return index }
            } else if (c == "[" || c == "{"), !inSingle, !inDouble, index == text.startIndex {
                return nil
            }
            index = text.index(after: index)
        }
        return nil
    }

    static func scalarOrFlow(_ text: String, line: Int) throws(ValidationError) -> JSONValue {
        if text.hasPrefix("&") || text.hasPrefix("*") || text.hasPrefix("!") { throw error(line, "anchors, aliases and tags are not supported") }
        if text == "|" || text == ">" || text.hasPrefix("|") || text.hasPrefix(">") { throw error(line, "multi-line scalars are not supported") }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw error(line, "unterminated flow sequence") }
            return .array(try splitFlow(String(text.dropFirst().dropLast()), line: line).map { item throws(ValidationError) in try scalarOrFlow(item, line: line) })
        }
        if text.hasPrefix("{") {
            guard text.hasSuffix("}") else { throw error(line, "unterminated flow mapping") }
            var object: [String: JSONValue] = [:]
            for item in try splitFlow(String(text.dropFirst().dropLast()), line: line) {
                guard let colon = mappingColon(item) else { throw error(line, "expected 'key: value' in '\(item)'") }
                let key = unquote(String(item[..<colon]).trimmingCharacters(in: .whitespaces))
                object[key] = try scalarOrFlow(String(item[item.index(after: colon)...]).trimmingCharacters(in: .whitespaces), line: line)
            }
            return .object(object)
        }
        return scalar(text)
    }

    /// Splits a flow collection's body at top-level commas.
    static func splitFlow(_ body: String, line: Int) throws(ValidationError) -> [String] {
        var items: [String] = []
        var current = ""
        var depth = 0
        var inSingle = false, inDouble = false
        for c in body {
            if c == "'" && !inDouble { inSingle.toggle() }
            if c == "\"" && !inSingle { inDouble.toggle() }
            if !inSingle && !inDouble {
                if c == "[" || c == "{" { depth += 1 }
                if c == "]" || c == "}" { depth -= 1 }
                if c == "," && depth == 0 {
                    items.append(current.trimmingCharacters(in: .whitespaces))
                    current = ""
                    continue
                }
            }
            current.append(c)
        }
        guard depth == 0, !inSingle, !inDouble else { throw error(line, "unbalanced brackets or quotes") }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty { items.append(last) }
        return items
    }

    static func scalar(_ text: String) -> JSONValue {
        if text.hasPrefix("\"") || text.hasPrefix("'") { return .string(unquote(text)) }
        switch text {
        case "true", "True", "TRUE", "yes", "Yes": return .bool(true)
        case "false", "False", "FALSE", "no", "No": return .bool(false)
        case "null", "Null", "NULL", "~": return .null
        default: break
        }
        if let number = Double(text), text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true,
            !(text.count > 1 && text.hasPrefix("0") && !text.hasPrefix("0."))
        {
            return .number(number)
        }
        return .string(text)
    }

    static func unquote(_ text: String) -> String {
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
        }
        if text.count >= 2, text.hasPrefix("'"), text.hasSuffix("'") {
            return String(text.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
        }
        return text
    }
}
