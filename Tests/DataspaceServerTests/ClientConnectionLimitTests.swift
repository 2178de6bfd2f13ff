import DataspaceCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import DataspaceServer

/// One client cannot take every connection or every request slot, and clients behind a reverse
/// proxy are still told apart (docs/security.md, "Connections"; `http.maxConnectionsPerClient`,
/// `http.trustedProxies`).
@Suite(.tags(.hostile)) struct ClientConnectionLimitTests {
    static func address(_ text: String) throws -> IPAddressBits {
        try #require(IPAddressBits(text), "\(text)")
    }

    @Test func aClientIsAnIPv4AddressOrAnIPv6Slash64() throws {
        let v4 = ClientNetwork(try Self.address("192.0.2.1"))
        #expect(v4.description == "192.0.2.1")
        #expect(ClientNetwork(try Self.address("::ffff:192.0.2.1")) == v4, "a dual-stack listener's IPv4 client")
        #expect(IPAddressBits(try SocketAddress(ipAddress: "192.0.2.1", port: 80)).map(ClientNetwork.init) == v4)
        #expect(ClientNetwork(try Self.address("192.0.2.2")) != v4)

        let v6 = ClientNetwork(try Self.address("2001:db8:1:2::1"))
        #expect(ClientNetwork(try Self.address("2001:db8:1:2:ffff:ffff:ffff:ffff")) == v6, "one /64")
        #expect(ClientNetwork(try Self.address("2001:db8:1:3::1")) != v6)
        #expect(v6.description == "2001:db8:1:2::/64")
        #expect(IPAddressBits(try SocketAddress(ipAddress: "2001:db8:1:2::9", port: 80)).map(ClientNetwork.init) == v6)
        #expect(IPAddressBits(try SocketAddress(unixDomainSocketPath: "/tmp/node.sock")) == nil)

        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::g", "1.2.3.4:80", "[::1]", " 1.2.3.4", "fe80::1%eth0", "1.2.3.4\0junk",
                    String(repeating: "1", count: 100_000), "١.٢.٣.٤"] {
            #expect(IPAddressBits(bad) == nil, "\(bad.prefix(20))")
        }
        #expect(try Self.address("10.1.2.3").prefix(120) == Self.address("10.1.2.0"), "an IPv4 /24 is the mapped form's /120")
        #expect(try Self.address("2001:db8::1").prefix(0) == Self.address("::"))
        #expect(try Self.address("2001:db8::1").prefix(128) == Self.address("2001:db8::1"))
    }

    @Test func trustedProxiesAreAddressesAndPrefixes() throws {
        let proxies = try TrustedProxies(parsing: " 127.0.0.1, 10.0.0.0/8 ,fd00::/8,")
        #expect(proxies.contains(try Self.address("127.0.0.1")))
        #expect(!proxies.contains(try Self.address("127.0.0.2")))
        #expect(proxies.contains(try Self.address("10.200.3.4")))
        #expect(!proxies.contains(try Self.address("11.0.0.1")))
        #expect(proxies.contains(try Self.address("fd12:3456::1")))
        #expect(!proxies.contains(try Self.address("fe00::1")))
        #expect(proxies.contains(try Self.address("::ffff:10.0.0.1")))
        #expect(try TrustedProxies(parsing: "").isEmpty)
        #expect(try TrustedProxies(parsing: "0.0.0.0/0").contains(try Self.address("203.0.113.1")))
        #expect(!(try TrustedProxies(parsing: "0.0.0.0/0").contains(try Self.address("2001:db8::1"))), "an IPv4 prefix covers IPv4 only")

        for bad in ["proxy.example", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/1000",
                    "127.0.0.1, nginx", Array(repeating: "10.0.0.1", count: 1_001).joined(separator: ",")] {
            #expect(throws: ConfigurationError.self, "\(bad.prefix(30))") { try TrustedProxies(parsing: bad) }
        }
    }

    @Test func behindATrustedProxyTheClientIsTheFirstOtherAddressFromTheRight() throws {
        let proxies = try TrustedProxies(parsing: "127.0.0.1,10.0.0.0/8")
        let proxy = try SocketAddress(ipAddress: "127.0.0.1", port: 5000)
        let stranger = try SocketAddress(ipAddress: "198.51.100.7", port: 5000)
        func client(_ peer: SocketAddress?, _ values: [String]) -> String? {
            proxies.client(peer: peer, forwardedFor: values)?.description
        }
        // From anyone but a proxy the header is the client's own writing, and ignored.
        #expect(client(stranger, ["203.0.113.9"]) == "198.51.100.7")
        // nginx appends the address it was called from; a client's own entries stand left of it.
        #expect(client(proxy, ["203.0.113.9, 198.51.100.7"]) == "198.51.100.7")
        // An inner proxy of ours is passed over.
        #expect(client(proxy, ["198.51.100.7, 10.1.1.1"]) == "198.51.100.7")
        #expect(client(proxy, ["198.51.100.7", "10.1.1.1"]) == "198.51.100.7", "several header lines are one list")
        // No header, or nothing but proxies: the last proxy is the client.
        #expect(client(proxy, []) == "127.0.0.1")
        #expect(client(proxy, ["10.1.1.1"]) == "10.1.1.1")
        // Something that is not an address ends the reading, with the last proxy as the client.
        #expect(client(proxy, ["198.51.100.7, unknown, 10.1.1.1"]) == "10.1.1.1")
        #expect(client(proxy, ["198.51.100.7, " + String(repeating: "9", count: 70_000)]) == "127.0.0.1")
        #expect(client(proxy, [", , ,"]) == "127.0.0.1")
        // Only so many hops are read.
        let chain = (["198.51.100.7"] + Array(repeating: "10.1.1.1", count: TrustedProxies.maximumHops)).joined(separator: ",")
        #expect(client(proxy, [chain]) == "10.1.1.1")
        #expect(client(proxy, [String(repeating: ",", count: 70_000)]) == "127.0.0.1")
        #expect(client(nil, ["198.51.100.7"]) == nil)
    }

    @Test func aQuarterOfTheCapUnlessConfiguredAndNeverMoreThanTheCap() {
        #expect(ClientConnectionLimit.perClient(configured: nil, cap: 4_096) == 1_024)
        #expect(ClientConnectionLimit.perClient(configured: nil, cap: 16) == 4)
        #expect(ClientConnectionLimit.perClient(configured: 8, cap: 4_096) == 8)
        #expect(ClientConnectionLimit.perClient(configured: 1_000_000, cap: 4_096) == 4_096)
    }

    /// A listening channel, accepted connections arriving as channels with their peers'
    /// addresses: past the limit a client's connection is closed and goes no further; another
    /// client, and a proxy, are not held to it; a closed connection frees its place.
    @Test func eachClientHoldsAtMostItsShareOfConnections() throws {
        let listener = EmbeddedChannel()
        let refusedBefore = Self.refusedTotal()
        let counts = ClientConnectionCounts(limit: 2)
        let log = PortalAccountTests.CapturedLog()
        try listener.pipeline.syncOperations.addHandler(
            ClientConnectionLimit(counts: counts, proxies: try TrustedProxies(parsing: "10.0.0.1"), logger: log.logger))

        /// Accepts a connection from `peer`: was it passed on to be served?
        func accept(_ peer: String) throws -> (connection: EmbeddedChannel, served: Bool) {
            let connection = EmbeddedChannel()
            try connection.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8443)).wait()
            connection.remoteAddress = try SocketAddress(ipAddress: peer, port: 40_000)
            try listener.writeInbound(connection as any Channel)
            let passed = try listener.readInbound(as: (any Channel).self)
            #expect(passed == nil || passed === connection)
            #expect(connection.isActive == (passed != nil), "a refused connection is closed, a served one is not")
            return (connection, passed != nil)
        }

        let first = try accept("192.0.2.1")
        #expect(first.served)
        #expect(try accept("192.0.2.1").served)
        #expect(try !accept("192.0.2.1").served, "a third from the same client")
        #expect(try !accept("::ffff:192.0.2.1").served, "the same client over IPv6")
        #expect(try accept("192.0.2.2").served, "another client")
        #expect(try accept("2001:db8::1").served)
        #expect(try accept("2001:db8::2").served)
        #expect(try !accept("2001:db8::3").served, "the same /64")
        for _ in 0..<5 { #expect(try accept("10.0.0.1").served, "a proxy carries many clients") }
        #expect(counts.open(ClientNetwork(try Self.address("10.0.0.1"))) == 0)

        let client = ClientNetwork(try Self.address("192.0.2.1"))
        #expect(counts.open(client) == 2)
        try first.connection.close().wait()
        first.connection.embeddedEventLoop.run()
        #expect(counts.open(client) == 1)
        #expect(try accept("192.0.2.1").served, "a closed connection frees its place")
        #expect(try !accept("192.0.2.1").served)
        // One warning per client that went over, naming it and what to change.
        let warnings = log.lines.withLock { $0 }.filter { $0.hasPrefix("warning") }
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.first?.contains("from 192.0.2.1: it holds 2 (http.maxConnectionsPerClient)") == true)
        #expect(warnings.last?.contains("from 2001:db8::/64") == true)
        // Every refusal is counted for /metrics (no other test in this process refuses one).
        #expect(Self.refusedTotal() - refusedBefore == 4)
    }

    /// `dataspace_connections_refused_total` as /metrics shows it.
    static func refusedTotal() -> Int {
        var buffer: [UInt8] = []
        Metrics.registry.emit(into: &buffer)
        let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("dataspace_connections_refused_total ") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    /// A graceful shutdown closes the listening channel; the close waits until every connection
    /// it passed on is active (handed to the accept loop) or closed, and meanwhile new ones are
    /// closed at once. Without this a connection caught between accept and hand-over traps the
    /// process (apple/swift-nio#2813).
    @Test func theListeningChannelClosesOnceWhatItAcceptedIsHandedOver() throws {
        let listener = EmbeddedChannel()
        try listener.pipeline.syncOperations.addHandler(AcceptedBeforeClose(patience: .seconds(2)))
        let first = EmbeddedChannel()
        let second = EmbeddedChannel()
        for connection in [first, second] {
            try listener.writeInbound(connection as any Channel)
            connection.embeddedEventLoop.run()
        }
        let closed = Flag()
        listener.close().whenComplete { _ in closed.set() }
        listener.embeddedEventLoop.run()
        #expect(!closed.isSet, "two connections are not handed over yet")

        let late = EmbeddedChannel()
        try late.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try listener.writeInbound(late as any Channel)
        #expect(!late.isActive, "accepted while the close waits: closed at once")

        try first.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        first.embeddedEventLoop.run()
        listener.embeddedEventLoop.run()
        #expect(!closed.isSet, "one is still between accept and hand-over")
        _ = try? second.close().wait()
        second.embeddedEventLoop.run()
        listener.embeddedEventLoop.run()
        #expect(closed.isSet, "both settled: the close goes ahead")
        #expect(try listener.readInbound(as: (any Channel).self) === first)
        #expect(try listener.readInbound(as: (any Channel).self) === second)
        #expect(try listener.readInbound(as: (any Channel).self) == nil, "the late one was not passed on")
    }

    @Test func aCloseHeldTooLongGoesAheadAndNothingHeldIsNotDelayed() throws {
        let listener = EmbeddedChannel()
        try listener.pipeline.syncOperations.addHandler(AcceptedBeforeClose(patience: .seconds(2)))
        let stuck = EmbeddedChannel()
        try listener.writeInbound(stuck as any Channel)
        stuck.embeddedEventLoop.run()
        let closed = Flag()
        listener.close().whenComplete { _ in closed.set() }
        listener.embeddedEventLoop.advanceTime(by: .milliseconds(1_999))
        #expect(!closed.isSet)
        listener.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(closed.isSet, "patience ran out")

        let idle = EmbeddedChannel()
        try idle.pipeline.syncOperations.addHandler(AcceptedBeforeClose(patience: .seconds(2)))
        let closedAtOnce = Flag()
        idle.close().whenComplete { _ in closedAtOnce.set() }
        idle.embeddedEventLoop.run()
        #expect(closedAtOnce.isSet)
    }

    @Test func aClientPastItsLimitIsWarnedAboutOnceUntilItHoldsNone() {
        let counts = ClientConnectionCounts(limit: 2)
        let client = ClientNetwork(IPAddressBits(high: 0, low: 0xffff_c000_0201))
        #expect(counts.admit(client) == .accepted)
        #expect(counts.admit(client) == .accepted)
        #expect(counts.admit(client) == .refused(first: true))
        #expect(counts.admit(client) == .refused(first: false))
        counts.release(client)
        #expect(counts.admit(client) == .accepted)
        #expect(counts.admit(client) == .refused(first: false), "still the same episode: it never held none")
        counts.release(client)
        counts.release(client)
        #expect(counts.open(client) == 0)
        #expect(counts.admit(client) == .accepted)
        #expect(counts.admit(client) == .accepted)
        #expect(counts.admit(client) == .refused(first: true))
    }

    /// The rate limiter behind a proxy: each client named in `X-Forwarded-For` has its own
    /// bucket, and a stranger's header changes nothing.
    @Test func requestRatesAreCountedPerClientBehindATrustedProxy() async throws {
        let limiter = RateLimiter(rate: 1, burst: 1, now: { 0 })
        let middleware = RateLimitMiddleware(limiter: limiter, proxies: try TrustedProxies(parsing: "127.0.0.1"))
        func status(from peer: String, forwardedFor: String?) async throws -> HTTPResponse.Status {
            let channel = EmbeddedChannel()
            channel.remoteAddress = try SocketAddress(ipAddress: peer, port: 40_000)
            let context = NodeRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: Logger(label: "test")))
            var head = HTTPRequest(method: .get, scheme: "http", authority: "node", path: "/catalog")
            if let forwardedFor { head.headerFields[.xForwardedFor] = forwardedFor }
            let response = try await middleware.handle(Request(head: head, body: RequestBody(buffer: ByteBuffer())), context: context) { _, _ in
                Response(status: .ok)
            }
            return response.status
        }
        #expect(try await status(from: "127.0.0.1", forwardedFor: "198.51.100.1") == .ok)
        #expect(try await status(from: "127.0.0.1", forwardedFor: "198.51.100.1") == .tooManyRequests)
        #expect(try await status(from: "127.0.0.1", forwardedFor: "198.51.100.2") == .ok, "another client behind the proxy")
        #expect(try await status(from: "192.0.2.9", forwardedFor: "198.51.100.3") == .ok)
        #expect(try await status(from: "192.0.2.9", forwardedFor: "198.51.100.4") == .tooManyRequests, "a stranger's header is ignored")
    }
}
