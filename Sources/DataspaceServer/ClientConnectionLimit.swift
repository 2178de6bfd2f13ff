import Logging
import NIOCore
import Synchronization

/// Connections open at once from each client network, shared by the listening channel (which
/// counts a connection in as it is accepted) and the connections' own event loops (which count
/// it out as it closes).
final class ClientConnectionCounts: Sendable {
    /// What became of a connection.
    enum Admission: Equatable {
        case accepted
        /// Over the limit; `first` for the first refusal since the client last held no
        /// connection, the one worth a warning (a client that keeps trying gets one).
        case refused(first: Bool)
    }

    let limit: Int
    private let table = Mutex<[ClientNetwork: (open: Int, warned: Bool)]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a connection from `client` in, unless it already holds `limit`.
    func admit(_ client: ClientNetwork) -> Admission {
        table.withLock { table in
            var entry = table[client] ?? (0, false)
            defer { table[client] = entry }
            guard entry.open < limit else {
                let first = !entry.warned
                entry.warned = true
                return .refused(first: first)
            }
            entry.open += 1
            return .accepted
        }
    }

    /// Counts a connection admitted before out again.
    func release(_ client: ClientNetwork) {
        table.withLock { table in
            guard var entry = table[client] else { return }
            entry.open -= 1
            table[client] = entry.open > 0 ? entry : nil
        }
    }

    /// Connections `client` holds now.
    func open(_ client: ClientNetwork) -> Int { table.withLock { $0[client]?.open ?? 0 } }
}

/// Closes a connection as it is accepted when its client network (an IPv4 address, an IPv6 /64)
/// already holds `http.maxConnectionsPerClient`, so that one client cannot take every one of the
/// `http.maxConnections` slots and leave everyone else in the listen queue. Connections from
/// `http.trustedProxies` carry many clients and are not counted. Sits first on the listening
/// channel: a refused connection is closed before anything is set up for it or counted against
/// the cap, no request on it is read (the point is clients that open connections and send
/// nothing), and a connection's close is counted here before the cap's handler, which reacts to
/// the same close by accepting the next one, can let its successor in.
final class ClientConnectionLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    let counts: ClientConnectionCounts
    let proxies: TrustedProxies
    let logger: Logger

    init(counts: ClientConnectionCounts, proxies: TrustedProxies, logger: Logger) {
        self.counts = counts
        self.proxies = proxies
        self.logger = logger
    }

    /// Connections one client network may hold: `configured`, or a quarter of the node's
    /// connection cap; never more than the cap.
    static func perClient(configured: Int?, cap: Int) -> Int {
        min(configured ?? max(1, cap / 4), cap)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = Self.unwrapInboundIn(data)
        guard let peer = connection.remoteAddress.flatMap(IPAddressBits.init), !proxies.contains(peer) else {
            context.fireChannelRead(data)
            return
        }
        let client = ClientNetwork(peer)
        switch counts.admit(client) {
        case .accepted:
            let counts = self.counts
            // Runs before the cap's handler, later in the pipeline, hears of the same close.
            connection.closeFuture.whenComplete { _ in counts.release(client) }
            context.fireChannelRead(data)
        case .refused(let first):
            Metrics.connectionsRefused.increment()
            if first {
                logger.warning(
                    "refusing further connections from \(client): it holds \(counts.limit) (http.maxConnectionsPerClient); if that is a reverse proxy, name it in http.trustedProxies")
            }
            connection.close(promise: nil)
        }
    }

}
