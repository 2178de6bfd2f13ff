/// A full-match regular expression over bytes for the simple patterns quality rules use —
/// literals, `.`, ASCII classes such as `[0-9A-Z]` or `[^,]`, `\d \w \s`, and the quantifiers
/// `? * + {n} {n,m}` — about a hundred times faster than NSRegularExpression per value. Anything
/// else (alternation, groups, non-ASCII classes) returns nil and the caller falls back.
struct ByteRegex: Sendable {
    struct Atom: Sendable {
        /// The bytes the atom accepts, a bit each: inline, so taking an atom to match a value
        /// copies four words rather than retaining an array (2.5 % of a profile with a regex rule).
        var set: InlineArray<4, UInt64>
        var min: Int
        var max: Int  // Int.max for unbounded

        init(accepting accepted: [Bool], min: Int, max: Int) {
            var set = InlineArray<4, UInt64>(repeating: 0)
            for b in 0..<256 where accepted[b] { set[b >> 6] |= 1 << UInt64(b & 63) }
            self.set = set
            self.min = min
            self.max = max
        }

        @inline(__always)
        func accepts(_ byte: UInt8) -> Bool { set[Int(byte >> 6)] & (1 << UInt64(byte & 63)) != 0 }
    }

    let atoms: [Atom]
    /// The bytes a match takes when every atom takes a fixed count (`ST[0-9]{4}`): a value of
    /// that length is then checked byte by byte, without the backtracking search.
    let fixedLength: Int?
    /// The pattern has atoms whose meaning differs between bytes and Unicode characters (`.`,
    /// negated classes, `\d \w \s` which NSRegularExpression applies to all scripts): values with
    /// non-ASCII bytes then need the full engine.
    let unicodeSensitive: Bool

    init?(_ pattern: String) {
        var p = Array(pattern.utf8)
        if p.first == UInt8(ascii: "^") { p.removeFirst() }
        if p.last == UInt8(ascii: "$"), p.count >= 2, p[p.count - 2] != UInt8(ascii: "\\") { p.removeLast() }
        guard p.allSatisfy({ $0 < 0x80 }), !p.isEmpty else { return nil }
        // In a class ICU reads `&&` and `--` as set operations (intersection, difference),
        // wherever they stand, and refuses a range from `&`: such patterns are left to it.
        if p.contains(UInt8(ascii: "[")) && (p.contains(UInt8(ascii: "&")) || pattern.contains("--")) { return nil }
        var atoms: [Atom] = []
        var sensitive = false
        var i = 0
        func escapeSet(_ c: UInt8) -> [Bool]? {
            var set = [Bool](repeating: false, count: 256)
            switch c {
            case UInt8(ascii: "d"): for b in 48...57 { set[b] = true }
            case UInt8(ascii: "w"):
                for b in 48...57 { set[b] = true }
                for b in 65...90 { set[b] = true }
                for b in 97...122 { set[b] = true }
                set[95] = true
            case UInt8(ascii: "s"): for b in [9, 10, 11, 12, 13, 32] { set[b] = true }
            case UInt8(ascii: "D"), UInt8(ascii: "W"), UInt8(ascii: "S"):
                guard let inner = escapeSet(c + 32) else { return nil }
                return inner.map { !$0 }
            default:
                guard !((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) else { return nil }  // \b, \1, \p … unsupported
                set[Int(c)] = true
            }
            return set
        }
        while i < p.count {
            var set = [Bool](repeating: false, count: 256)
            let c = p[i]
            switch c {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "|"), UInt8(ascii: "{"), UInt8(ascii: "}"),
                UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "$"):
                return nil
            case UInt8(ascii: "."):
                sensitive = true
                set = [Bool](repeating: true, count: 256)
                set[10] = false
                i += 1
            case UInt8(ascii: "\\"):
                guard i + 1 < p.count, let s = escapeSet(p[i + 1]) else { return nil }
                if "dwsDWS".utf8.contains(p[i + 1]) { sensitive = true }
                set = s
                i += 2
            case UInt8(ascii: "["):
                i += 1
                var negate = false
                if i < p.count, p[i] == UInt8(ascii: "^") { negate = true; i += 1 }
                // ICU reads `[:alpha:]` as a property.
                if i < p.count, p[i] == UInt8(ascii: ":") { return nil }
                var first = true
                while i < p.count, p[i] != UInt8(ascii: "]") || first {
                    first = false
                    var lo = p[i]
                    if lo == UInt8(ascii: "\\") {
                        guard i + 1 < p.count, let s = escapeSet(p[i + 1]) else { return nil }
                        if "dwsDWS".utf8.contains(p[i + 1]) { sensitive = true }
                        for b in 0..<256 where s[b] { set[b] = true }
                        i += 2
                        continue
                    }
                    if lo == UInt8(ascii: "[") { return nil }  // POSIX classes
                    i += 1
                    if i + 1 < p.count, p[i] == UInt8(ascii: "-"), p[i + 1] != UInt8(ascii: "]") {
                        let hi = p[i + 1]
                        // A range ends at a plain character (ICU refuses `[0-\d]`).
                        guard hi >= lo, hi != UInt8(ascii: "\\"), hi != UInt8(ascii: "[") else { return nil }
                        for b in lo...hi { set[Int(b)] = true }
                        i += 2
                    } else {
                        set[Int(lo)] = true
                        lo = 0
                    }
                }
                guard i < p.count else { return nil }
                i += 1
                if negate {
                    sensitive = true
                    set = set.map { !$0 }
                }
            default:
                set[Int(c)] = true
                i += 1
            }
            var min = 1, max = 1
            if i < p.count {
                switch p[i] {
                case UInt8(ascii: "?"): min = 0; max = 1; i += 1
                case UInt8(ascii: "*"): min = 0; max = Int.max; i += 1
                case UInt8(ascii: "+"): min = 1; max = Int.max; i += 1
                case UInt8(ascii: "{"):
                    guard let close = p[i...].firstIndex(of: UInt8(ascii: "}")) else { return nil }
                    let body = String(decoding: p[(i + 1)..<close], as: UTF8.self)
                    let parts = body.split(separator: ",", omittingEmptySubsequences: false)
                    guard let a = Self.count(parts[0]) else { return nil }
                    min = a
                    if parts.count == 1 { max = a } else if parts.count == 2 { max = parts[1].isEmpty ? Int.max : (Self.count(parts[1]) ?? -1) } else { return nil }
                    guard max >= min else { return nil }
                    i = close + 1
                default: break
                }
                if i < p.count, p[i] == UInt8(ascii: "?") || p[i] == UInt8(ascii: "+") { return nil }  // lazy/possessive
            }
            atoms.append(Atom(accepting: set, min: min, max: max))
        }
        self.atoms = atoms
        unicodeSensitive = sensitive
        // Counts are at most `largestCount`, so the sum cannot overflow.
        fixedLength = atoms.allSatisfy { $0.min == $0.max } ? atoms.reduce(0) { $0 + $1.min } : nil
    }

    /// Repeat counts above this are left to the full engine.
    static let largestCount = 100_000

    /// A repeat count: plain digits, at most `largestCount` (`{+3}`, `{-1}` or `{ 3}` decline).
    private static func count(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 6, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(text), n <= largestCount else { return nil }
        return n
    }

    /// Whether the whole value matches; nil when only the full engine can tell (a non-ASCII value
    /// under a Unicode-sensitive pattern).
    func matches(_ value: UnsafeBufferPointer<UInt8>) -> Bool? {
        if unicodeSensitive && value.contains(where: { $0 >= 0x80 }) { return nil }
        if let fixedLength {
            guard value.count == fixedLength else { return false }
            var i = 0
            for atom in atoms {
                for _ in 0..<atom.min {
                    if !atom.accepts(value[i]) { return false }
                    i &+= 1
                }
            }
            return true
        }
        return matches(value, from: 0, atom: 0)
    }

    private func matches(_ v: UnsafeBufferPointer<UInt8>, from start: Int, atom: Int) -> Bool {
        if atom == atoms.count { return start == v.count }
        let a = atoms[atom]
        // Greedy: take as many as allowed, then give back one at a time.
        var n = 0
        while n < a.max, start + n < v.count, a.accepts(v[start + n]) { n += 1 }
        if n < a.min { return false }
        if atom == atoms.count - 1 { return start + n == v.count }
        var k = n
        while k >= a.min {
            if matches(v, from: start + k, atom: atom + 1) { return true }
            k -= 1
        }
        return false
    }
}
