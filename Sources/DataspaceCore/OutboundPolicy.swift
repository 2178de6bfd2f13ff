/// Which URLs this node may contact when input names one (a caller's did:web, a callback address,
/// a receipt's origin, a data address). The rules of docs/security.md, in one place:
///
/// - `https` only; plain `http` only to a loopback host, and only when `allowLoopback` is set
///   (the demo and tests set it; `dataspace init` writes it for a node whose own URL is loopback);
/// - no user info, no fragment, no backslash, no encoded slash or dot segment in the path;
/// - the host is a DNS name or an IP literal; loopback literals need `allowLoopback`, and
///   private, link-local, shared, unspecified, multicast and broadcast literals need
///   `allowPrivateNetworks` (an intranet deployment sets it explicitly);
/// - the port, when given, is 1–65535.
///
/// A name that resolves to a private address is not caught here (no DNS in the core); see the
/// out-of-scope list in docs/security.md.
public struct OutboundPolicy: Sendable, Hashable {
    public var allowLoopback: Bool
    public var allowPrivateNetworks: Bool

    public init(allowLoopback: Bool = false, allowPrivateNetworks: Bool = false) {
        self.allowLoopback = allowLoopback
        self.allowPrivateNetworks = allowPrivateNetworks
    }

    /// The parts of a URL the policy looked at.
    public struct Target: Sendable, Hashable {
        public var scheme: String
        public var host: String
        public var port: Int?
        public var isLoopback: Bool
    }

    /// Checks `url`; the error names the rule it breaks and never echoes more than the URL itself.
    @discardableResult
    public func check(_ url: String) throws(ValidationError) -> Target {
        func refuse(_ why: String) -> ValidationError {
            ValidationError(code: "url.refused", field: "url", message: "will not contact \(Self.shortened(url)): \(why)")
        }
        guard url.utf8.count <= 2_048 else { throw refuse("the URL is longer than 2048 bytes") }
        guard let schemeEnd = url.range(of: "://") else { throw refuse("not an absolute URL; write it as http://host:port or https://host") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { throw refuse("only https is allowed") }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        let tail = rest[authorityEnd...]
        guard !tail.contains("#") else { throw refuse("a fragment is not allowed") }
        guard !url.contains("\\"), !url.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) else {
            throw refuse("control characters, spaces and backslashes are not allowed")
        }
        let path = tail.prefix(while: { $0 != "?" })
        let lowered = path.lowercased()
        guard !lowered.contains("%2f"), !lowered.contains("%5c"), !lowered.contains("%2e") else {
            throw refuse("encoded slashes and dots are not allowed in the path")
        }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() where segment == "." || segment == ".." {
            throw refuse("dot segments are not allowed in the path")
        }
        let (host, port) = try Self.splitAuthority(authority, refuse: refuse)
        let kind = HostKind.classify(host)
        switch kind {
        case .invalid: throw refuse("'\(Self.shortened(host))' is not a host name or IP address")
        case .loopback:
            guard allowLoopback else { throw refuse("loopback addresses are not allowed (trust.allowLoopback)") }
        case .privateNetwork:
            guard allowPrivateNetworks else { throw refuse("private, link-local and special addresses are not allowed (trust.allowPrivateNetworks)") }
        case .publicAddress, .name: break
        }
        if scheme == "http" {
            guard kind == .loopback else { throw refuse("plain http is allowed only to loopback; use https") }
        }
        return Target(scheme: scheme, host: host, port: port, isLoopback: kind == .loopback)
    }

    static func splitAuthority(_ authority: String, refuse: (String) -> ValidationError) throws(ValidationError) -> (String, Int?) {
        guard !authority.isEmpty else { throw refuse("no host") }
        guard !authority.contains("@") else { throw refuse("user info is not allowed") }
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw refuse("unterminated IPv6 literal") }
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw refuse("unexpected text after the IPv6 literal") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        }
        var port: Int?
        if let portText {
            guard (1...5).contains(portText.count), portText.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(portText), (1...65_535).contains(p) else {
                throw refuse("the port must be 1–65535")
            }
            port = p
        }
        return (host, port)
    }

    static func shortened(_ text: some StringProtocol) -> String {
        text.count <= 120 ? String(text) : String(text.prefix(120)) + "…"
    }
}

/// What a URL's host is, for the outbound rules.
public enum HostKind: Sendable, Hashable {
    case name
    case publicAddress
    case loopback
    case privateNetwork
    case invalid

    public static func classify(_ rawHost: String) -> HostKind {
        let host = rawHost.lowercased()
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), let address = try? IPv6Address(String(host.dropFirst().dropLast())) else { return .invalid }
            return classify(v6: address.bytes)
        }
        if let v4 = ipv4(host) { return classify(v4: v4) }
        // A DNS name: LDH labels of 1–63 characters, 253 at most, not all digits.
        guard !host.isEmpty, host.utf8.count <= 253 else { return .invalid }
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { return .invalid }
        }
        if let last = labels.last, last.allSatisfy(\.isNumber) { return .invalid }
        if name == "localhost" || name.hasSuffix(".localhost") { return .loopback }
        return .name
    }

    /// Dotted-quad IPv4 with four decimal parts 0–255 (no octal, hex or shortened forms).
    static func ipv4(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }), !(p.count > 1 && p.first == "0"), let v = UInt8(p) else {
                return nil
            }
            bytes.append(v)
        }
        return bytes
    }

    static func classify(v4 b: [UInt8]) -> HostKind {
        switch (b[0], b[1]) {
        case (127, _): return .loopback
        case (0, _), (10, _), (169, 254), (192, 168): return .privateNetwork
        case (172, 16...31), (100, 64...127), (198, 18...19): return .privateNetwork
        case (192, 0) where b[2] == 0 || b[2] == 2: return .privateNetwork
        case (224...255, _): return .privateNetwork
        default: return .publicAddress
        }
    }

    static func classify(v6 b: [UInt8]) -> HostKind {
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? .loopback : .privateNetwork }
        // IPv4-mapped (::ffff:a.b.c.d) follows the IPv4 rules.
        if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF { return classify(v4: Array(b[12..<16])) }
        if b[0] & 0xFE == 0xFC { return .privateNetwork }  // fc00::/7 unique local
        if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return .privateNetwork }  // fe80::/10 link-local
        if b[0] == 0xFF { return .privateNetwork }  // multicast
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0D, b[3] == 0xB8 { return .privateNetwork }  // documentation
        return .publicAddress
    }
}
