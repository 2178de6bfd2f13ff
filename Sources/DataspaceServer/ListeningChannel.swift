import Logging
import NIOCore

/// What the node adds to its listening channel once it listens (docs/security.md,
/// "Connections"). Each step that cannot be taken is a warning naming what the node then lacks;
/// none stops it.
enum ListeningChannel {
    static func prepare(_ channel: any Channel, perClient: ClientConnectionCounts, proxies: TrustedProxies, logger: Logger) async {
        // One connection per accept call, so the connection cap is exact: SwiftNIO accepts up to
        // four at a time, and the cap can only refuse the next call.
        do {
            try await channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1).get()
        } catch {
            logger.warning("http.maxConnections may be passed by up to three connections", metadata: ["reason": "\(error)"])
        }
        do {
            try await ConnectionSetupErrors.install(on: channel, logger: logger)
        } catch {
            logger.warning("one client's failed connection could stop this node listening", metadata: ["reason": "\(error)"])
        }
        do {
            try await addFirst(to: channel) { AcceptedBeforeClose() }
        } catch {
            logger.warning("a client connecting during shutdown could end this node abruptly", metadata: ["reason": "\(error)"])
        }
        // Ahead of the above: a refused connection is not passed on.
        do {
            try await addFirst(to: channel) { ClientConnectionLimit(counts: perClient, proxies: proxies, logger: logger) }
        } catch {
            logger.warning("one client may take every connection (http.maxConnectionsPerClient is not applied)", metadata: ["reason": "\(error)"])
        }
    }

    /// Puts the handler `make` builds first in `channel`'s pipeline, on the channel's event loop.
    private static func addFirst(to channel: any Channel, _ make: @escaping @Sendable () -> any ChannelHandler) async throws {
        try await channel.eventLoop.submit { try channel.pipeline.syncOperations.addHandler(make(), position: .first) }.get()
    }
}
