#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// An IP address as 128 bits, an IPv4 address in its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`),
/// so that one comparison serves both families and a dual-stack listener's IPv4 clients are the
/// same clients as on an IPv4 listener.
struct IPAddressBits: Hashable, Sendable {
    var high: UInt64
    var low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses an IPv4 or IPv6 address in text (no port, no zone, no brackets); nil for anything else.
    init?<Text: StringProtocol>(_ text: Text) {
        guard (2...45).contains(text.utf8.count), !text.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        var v6 = in6_addr()
        let string = String(text)
        if inet_pton(AF_INET, string, &v4) == 1 {
            self.init(v4: v4)
        } else if inet_pton(AF_INET6, string, &v6) == 1 {
            self.init(v6: v6)
        } else {
            return nil
        }
    }

    /// The address of an IP socket address; nil for a Unix domain socket.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let a): self.init(v4: a.address.sin_addr)
        case .v6(let a): self.init(v6: a.address.sin6_addr)
        case .unixDomainSocket: return nil
        }
    }

    private init(v4: in_addr) {
        self.init(high: 0, low: 0xffff_0000_0000 | UInt64(UInt32(bigEndian: v4.s_addr)))
    }

    private init(v6: in6_addr) {
        let words = withUnsafeBytes(of: v6) { bytes in
            (bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }, bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
        }
        self.init(high: words.0, low: words.1)
    }

    var isIPv4: Bool { high == 0 && low >> 32 == 0xffff }

    /// The first `bits` bits (0–128), the rest zero.
    func prefix(_ bits: Int) -> IPAddressBits {
        func keep(_ word: UInt64, _ count: Int) -> UInt64 {
            count <= 0 ? 0 : count >= 64 ? word : word & ~(UInt64.max >> UInt64(count))
        }
        return IPAddressBits(high: keep(high, bits), low: keep(low, bits - 64))
    }

    /// The address in its usual text: dotted for IPv4, RFC 5952 for IPv6.
    var text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if isIPv4 {
            var v4 = in_addr(s_addr: UInt32(truncatingIfNeeded: low).bigEndian)
            guard inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        } else {
            var v6 = in6_addr()
            withUnsafeMutableBytes(of: &v6) { bytes in
                for i in 0..<8 {
                    bytes[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))
                    bytes[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i))
                }
            }
            guard inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The unit the node counts clients by, for request rates and connections: an IPv4 address, or
/// an IPv6 /64 — the block one subscriber or host is given, which holds more addresses than any
/// table could count one by one.
struct ClientNetwork: Hashable, Sendable, CustomStringConvertible {
    let bits: IPAddressBits

    init(_ address: IPAddressBits) {
        bits = address.isIPv4 ? address : address.prefix(64)
    }

    var description: String { bits.isIPv4 ? bits.text : bits.text + "/64" }
}
