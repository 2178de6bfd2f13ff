/// An IPv6 address as 16 bytes, parsed from and formatted to RFC 5952 canonical text.
public struct IPv6Address: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        self.bytes = bytes
    }

    public init(_ text: String) throws(ValidationError) {
        func fail(_ why: String) -> ValidationError {
            ValidationError(code: "ipv6.format", field: "address", message: "'\(text)' is not an IPv6 address: \(why)")
        }
        let lower = text.lowercased()
        let halves = lower.components(separatedBy: "::")
        guard halves.count <= 2 else { throw fail("'::' may appear only once") }
        func groups(_ part: String) throws(ValidationError) -> [UInt16] {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else {
                    throw fail("group '\(g)' must be 1–4 hex digits")
                }
                result.append(v)
            }
            return result
        }
        let head = try groups(halves[0])
        let tail = halves.count == 2 ? try groups(halves[1]) : []
        var all: [UInt16]
        if halves.count == 2 {
            guard head.count + tail.count < 8 else { throw fail("'::' must stand for at least one zero group") }
            all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { throw fail("expected 8 groups, found \(head.count)") }
            all = head
        }
        var b: [UInt8] = []
        b.reserveCapacity(16)
        for g in all { b.append(UInt8(g >> 8)); b.append(UInt8(g & 0xff)) }
        self.bytes = b
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run (≥2) of zero groups as `::`.
    public var description: String {
        let g = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8 && g[j] == 0 { j += 1 }
                if j - i > bestLen { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        let hex = g.map { String($0, radix: 16) }
        if bestLen < 2 { return hex.joined(separator: ":") }
        let left = hex[0..<bestStart].joined(separator: ":")
        let right = hex[(bestStart + bestLen)...].joined(separator: ":")
        return left + "::" + right
    }
}

/// A node's /64 prefix under which identifiers get addresses.
public struct IPv6Prefix: Sendable, Hashable, CustomStringConvertible {
    public let address: IPv6Address

    public init(_ text: String) throws(ValidationError) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[1] == "64" else {
            throw ValidationError(code: "ipv6.prefix", field: "ipv6Prefix", message: "expected an IPv6 /64 prefix such as 'fd86:4401::/64', got '\(text)'")
        }
        let parsed = try IPv6Address(parts[0])
        guard parsed.bytes[8...].allSatisfy({ $0 == 0 }) else {
            throw ValidationError(code: "ipv6.prefix", field: "ipv6Prefix", message: "the interface bits of a /64 prefix must be zero in '\(text)'")
        }
        self.address = parsed
    }

    public func contains(_ address: IPv6Address) -> Bool { Array(address.bytes[0..<8]) == Array(self.address.bytes[0..<8]) }

    public var description: String { "\(address)/64" }
}
