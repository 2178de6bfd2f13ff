/// A `did:web` decentralized identifier. Nodes are identified by their host and port
/// (`did:web:127.0.0.1%3A8443`), optionally with a path; the DID document lives at
/// `<base>/.well-known/did.json` (no path) or `<base>/<path>/did.json`.
public struct WebDID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let value: String
    /// Host with optional port, decoded (`127.0.0.1:8443`).
    public let authority: String
    public let path: [String]

    public init(_ text: String) throws(ValidationError) {
        guard text.hasPrefix("did:web:") else {
            throw ValidationError(code: "did.method", field: "did", message: "only did:web identifiers are supported, got '\(text)'")
        }
        let specific = text.dropFirst("did:web:".count)
        let parts = specific.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let host = parts.first, !host.isEmpty else {
            throw ValidationError(code: "did.host", field: "did", message: "did:web needs a host, got '\(text)'")
        }
        let decodedHost = host.replacingOccurrences(of: "%3A", with: ":").replacingOccurrences(of: "%3a", with: ":")
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        guard decodedHost.allSatisfy({ allowed.contains($0) }) else {
            throw ValidationError(code: "did.host", field: "did", message: "'\(decodedHost)' is not a valid host[:port]")
        }
        guard text.utf8.count <= 512 else {
            throw ValidationError(code: "did.length", field: "did", message: "a did:web is at most 512 bytes")
        }
        let (hostOnly, port) = Self.splitHostPort(decodedHost)
        guard HostKind.classify(hostOnly) != .invalid, port.map({ p in p.count <= 5 && p.allSatisfy(\.isNumber) && (Int(p).map { (1...65_535).contains($0) } ?? false) }) ?? true
        else {
            throw ValidationError(code: "did.host", field: "did", message: "'\(decodedHost)' is not a valid host[:port]")
        }
        for segment in parts.dropFirst() where !Self.isSafePathSegment(segment) {
            throw ValidationError(
                code: "did.path", field: "did",
                message: "path segments of a did:web are non-empty, use letters, digits, '-', '.', '_', '~' or %XX (not an encoded '/', '\\', '?', '#' or '%'), and are not '.' or '..'")
        }
        self.value = text
        self.authority = decodedHost
        self.path = Array(parts.dropFirst())
    }

    /// Host and optional port text of a decoded authority (`[::1]:9001`, `127.0.0.1:9001`, `a.cn`).
    static func splitHostPort(_ authority: String) -> (host: String, port: Substring?) {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let after = authority[authority.index(after: close)...]
            return (String(authority[...close]), after.first == ":" ? after.dropFirst() : (after.isEmpty ? nil : after))
        }
        guard let colon = authority.firstIndex(of: ":") else { return (authority, nil) }
        return (String(authority[..<colon]), authority[authority.index(after: colon)...])
    }

    /// A did:web path segment that maps to exactly one URL path segment: RFC 3986 unreserved
    /// characters and percent-escapes of anything but '/', '\\', '?', '#', '%' and '.'.
    static func isSafePathSegment(_ segment: String) -> Bool {
        guard !segment.isEmpty, segment.utf8.count <= 128, segment != ".", segment != ".." else { return false }
        let bytes = Array(segment.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                i += 1
            case UInt8(ascii: "%"):
                guard i + 2 < bytes.count, bytes[(i + 1)...(i + 2)].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                    let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16),
                    ![UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "%"), UInt8(ascii: ".")].contains(v),
                    v >= 0x20, v != 0x7F
                else { return false }
                i += 3
            default:
                return false
            }
        }
        return true
    }

    /// The DID for a node reachable at `host:port`.
    public static func forNode(host: String, port: Int) -> WebDID {
        let text = "did:web:\(host)%3A\(port)"
        // host comes from configuration and was validated there; fall back to a literal build.
        return (try? WebDID(text)) ?? WebDID(unchecked: text, authority: "\(host):\(port)")
    }

    /// The DID a node at `baseURL` (`http://127.0.0.1:9001`, `https://data.example.cn`) has, when
    /// the URL is exactly a did:web base (no path, the scheme did:web implies); nil otherwise.
    public init?(baseURL: String) {
        let trimmed = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        guard let range = trimmed.range(of: "://") else { return nil }
        let authority = String(trimmed[range.upperBound...])
        guard !authority.isEmpty, !authority.contains("/"), let did = try? WebDID("did:web:" + authority.replacingOccurrences(of: ":", with: "%3A")),
            did.baseURL == trimmed
        else { return nil }
        self = did
    }

    private init(unchecked: String, authority: String) {
        self.value = unchecked
        self.authority = authority
        self.path = []
    }

    /// Loopback hosts resolve over plain HTTP so nodes on one machine can run without TLS;
    /// every other host over HTTPS, as did:web requires.
    public var isLoopback: Bool {
        HostKind.classify(Self.splitHostPort(authority).host) == .loopback
    }

    public var baseURL: String { (isLoopback ? "http://" : "https://") + authority }

    public var documentURL: String {
        path.isEmpty ? baseURL + "/.well-known/did.json" : baseURL + "/" + path.joined(separator: "/") + "/did.json"
    }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        self = try WebDID(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
