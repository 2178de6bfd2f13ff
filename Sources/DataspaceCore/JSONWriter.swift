/// Serializes `JSONValue` straight to UTF-8 bytes with sorted keys, so the same value always
/// gives the same bytes. Much faster than going through `JSONEncoder` and `Codable`, which matters
/// on the search and catalog paths that render many records per response.
struct JSONWriter {
    var bytes: [UInt8] = []
    let pretty: Bool
    /// RFC 8785 (JCS) output: keys in UTF-16 code-unit order, `\b` and `\f` short escapes.
    let canonical: Bool

    init(pretty: Bool, canonical: Bool = false) {
        self.pretty = pretty
        self.canonical = canonical
        bytes.reserveCapacity(256)
    }

    mutating func write(_ value: JSONValue, indent: Int = 0) {
        switch value {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .number(let n): writeNumber(n)
        case .string(let s): writeString(s)
        case .array(let items):
            if items.isEmpty { append("[]"); return }
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                write(item, indent: indent + 1)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { append("{}"); return }
            bytes.append(UInt8(ascii: "{"))
            let keys = canonical ? members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) } : members.keys.sorted()
            for (i, key) in keys.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writeString(key)
                append(pretty ? ": " : ":")
                // Keys come from the dictionary itself, so the lookup cannot miss.
                write(members[key] ?? .null, indent: indent + 1)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func newline(_ indent: Int) {
        guard pretty else { return }
        bytes.append(0x0A)
        for _ in 0..<indent { append("  ") }
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func writeNumber(_ n: Double) {
        guard n.isFinite else { append("null"); return }
        if n.rounded() == n, abs(n) < 9.007_199_254_740_992e15 {
            bytes.append(contentsOf: String(Int64(n)).utf8)
        } else {
            bytes.append(contentsOf: n.description.utf8)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08 where canonical: append("\\b")
            case 0x0C where canonical: append("\\f")
            case 0x00..<0x20:
                append("\\u00")
                bytes.append(Self.hex[Int(b >> 4)])
                bytes.append(Self.hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
