import Logging
import NIOCore

/// Keeps the failed setup of one accepted connection from ending the server. SwiftNIO's accept
/// handler reports such a failure (a socket option refused on a connection the client already
/// reset, say) down the listening channel's pipeline, and at its end Hummingbird's accept loop
/// stops on any error: the node would stop listening because of one client
/// (hummingbird-project/hummingbird#812; Hummingbird catches one such error on macOS only).
/// Installed right after the accept handler, it sees only errors about single connections: those
/// of the listening socket itself stop earlier, at NIO's `AcceptBackoffHandler`.
final class ConnectionSetupErrors: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    /// The name SwiftNIO's server bootstrap gives its accept handler.
    static let acceptHandlerName = "AcceptHandler"

    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("a connection could not be set up and was closed", metadata: ["reason": "\(error)"])
    }

    /// Puts the filter right after the accept handler of `server`, a listening channel.
    static func install(on server: any Channel, logger: Logger) async throws {
        try await server.eventLoop.submit { try install(in: server.pipeline.syncOperations, logger: logger) }.get()
    }

    /// The same, on the channel's event loop.
    static func install(in pipeline: ChannelPipeline.SynchronousOperations, logger: Logger) throws {
        let accept = try pipeline.context(name: acceptHandlerName)
        try pipeline.addHandler(ConnectionSetupErrors(logger: logger), position: .after(accept.handler))
    }
}
