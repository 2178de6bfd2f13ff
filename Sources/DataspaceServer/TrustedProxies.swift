import Foundation
import NIOCore

/// The reverse proxies in front of a node (`http.trustedProxies`): addresses and prefixes whose
/// connections carry many clients. From them the node takes the client from `X-Forwarded-For`
/// (for request rates), and does not hold them to the per-client connection limit; from anyone
/// else that header is ignored, since a client can write whatever it likes in it.
public struct TrustedProxies: Hashable, Sendable, CustomStringConvertible {
    struct Block: Hashable, Sendable {
        let network: IPAddressBits
        let bits: Int

        func contains(_ address: IPAddressBits) -> Bool { address.prefix(bits) == network }
    }

    let blocks: [Block]
    /// The configured text, for the node's saved configuration.
    public let description: String

    /// At most this many `X-Forwarded-For` entries are read, from the right: a chain of proxies
    /// is short, and the header is the client's to make long.
    static let maximumHops = 16

    public static let none = TrustedProxies(blocks: [], description: "")

    private init(blocks: [Block], description: String) {
        self.blocks = blocks
        self.description = description
    }

    /// Parses a comma-separated list of addresses and prefixes: `127.0.0.1`, `10.0.0.0/8`,
    /// `fd00::/8`. Throws naming the entry that is neither.
    public init(parsing text: String) throws(ConfigurationError) {
        var blocks: [Block] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = IPAddressBits(parts[0]) else {
                throw ConfigurationError(key: "http.trustedProxies", message: "'\(entry.prefix(60))' is not an IP address or prefix such as 10.0.0.0/8")
            }
            var bits = 128
            if parts.count == 2 {
                let most = address.isIPv4 ? 32 : 128
                guard parts[1].utf8.count <= 3, let length = Int(parts[1]), (0...most).contains(length) else {
                    throw ConfigurationError(key: "http.trustedProxies", message: "'\(entry.prefix(60))': the prefix length must be 0–\(most)")
                }
                bits = address.isIPv4 ? 96 + length : length
            }
            guard blocks.count < 1_000 else {
                throw ConfigurationError(key: "http.trustedProxies", message: "at most 1000 entries")
            }
            blocks.append(Block(network: address.prefix(bits), bits: bits))
        }
        self.init(blocks: blocks, description: text.trimmingCharacters(in: .whitespaces))
    }

    public var isEmpty: Bool { blocks.isEmpty }

    func contains(_ address: IPAddressBits) -> Bool { blocks.contains { $0.contains(address) } }

    /// The client behind a request that came from `peer` with these `X-Forwarded-For` values:
    /// the peer itself unless it is a proxy; else, reading the header from the right (each proxy
    /// appends the address it was called from), the first address that is not a proxy. An entry
    /// that is not an address ends the reading there, with the last proxy as the client.
    /// The header is read only when the peer is a proxy.
    func client(peer: SocketAddress?, forwardedFor values: @autoclosure () -> [String]) -> ClientNetwork? {
        guard let peer, let peerBits = IPAddressBits(peer) else { return nil }
        guard contains(peerBits) else { return ClientNetwork(peerBits) }
        var client = peerBits
        var hops = 0
        for value in values().reversed() {
            var rest = Substring(value)
            while true {
                hops += 1
                let comma = rest.lastIndex(of: ",")
                let entry = comma.map { rest[rest.index(after: $0)...] } ?? rest
                guard hops <= Self.maximumHops, entry.utf8.count <= 64,
                    let address = IPAddressBits(entry.trimmingCharacters(in: .whitespaces))
                else { return ClientNetwork(client) }
                client = address
                if !contains(address) { return ClientNetwork(address) }
                guard let comma else { break }
                rest = rest[..<comma]
            }
        }
        return ClientNetwork(client)
    }
}
