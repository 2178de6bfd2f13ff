import NIOCore

/// Holds the close of the listening channel until every connection it has passed on is served
/// or closed. SwiftNIO's async server channel hands an accepted connection to Hummingbird's
/// accept loop only once the connection's pipeline is set up, on its own event loop; if the
/// listening channel closes in between (a graceful shutdown while a client connects), the
/// connection is dropped unserved and its writer, never finished, traps when the connection
/// becomes active — the whole process ends (apple/swift-nio#2813, #3481; seen in our CI as
/// "Deinited NIOAsyncWriter without calling finish()"). A connection that became active has been
/// handed over (SwiftNIO hands it over before activating it), so the close may go ahead then.
/// While the close is held, newly accepted connections are closed at once, before any setup:
/// a stream of clients cannot put the shutdown off. A close held longer than `patience` goes
/// ahead anyway.
final class AcceptedBeforeClose: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    let patience: TimeAmount
    /// Connections passed on that have neither become active nor closed.
    private var pending: Set<ObjectIdentifier> = []
    private var heldClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?

    init(patience: TimeAmount = .seconds(2)) {
        self.patience = patience
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = Self.unwrapInboundIn(data)
        guard heldClose == nil else {
            connection.close(promise: nil)
            return
        }
        let id = ObjectIdentifier(connection)
        pending.insert(id)
        let server = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: server)
        let loopContext = NIOLoopBound(context, eventLoop: server)
        let settled: @Sendable () -> Void = {
            server.execute { handler.value.settled(id, context: loopContext.value) }
        }
        connection.closeFuture.whenComplete { _ in settled() }
        connection.eventLoop.execute {
            // First in the connection's pipeline, ahead of what Hummingbird sets up next.
            try? connection.pipeline.syncOperations.addHandler(Activation(settled), position: .first)
        }
        context.fireChannelRead(data)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, !pending.isEmpty, heldClose == nil else {
            context.close(mode: mode, promise: promise)
            return
        }
        heldClose = (mode, promise)
        context.eventLoop.assumeIsolated().scheduleTask(in: patience) { self.releaseClose(context) }
    }

    private func settled(_ id: ObjectIdentifier, context: ChannelHandlerContext) {
        guard pending.remove(id) != nil, pending.isEmpty else { return }
        releaseClose(context)
    }

    private func releaseClose(_ context: ChannelHandlerContext) {
        guard let held = heldClose else { return }
        heldClose = nil
        pending.removeAll()
        context.close(mode: held.mode, promise: held.promise)
    }

    /// Tells, once, that a connection became active, then leaves its pipeline.
    final class Activation: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        let settled: @Sendable () -> Void

        init(_ settled: @escaping @Sendable () -> Void) {
            self.settled = settled
        }

        func channelActive(context: ChannelHandlerContext) {
            settled()
            context.fireChannelActive()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
