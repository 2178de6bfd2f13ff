import NIOCore
import NIOHTTPTypes

/// Closes a connection on which the node has waited `timeout` for its client: for the next
/// request (a keep-alive connection left idle, or a request head sent a byte at a time), or for
/// the rest of a request body that stopped arriving. Without it every connection a client opens
/// and leaves — or trickles — stays open for ever, and enough of them use up the process's file
/// descriptors (docs/security.md, "Connections").
///
/// The clock runs only while the node is ready to read and the client owes it bytes: not while
/// the node works on a response or streams it, and not while a handler leaves a body unread (a
/// publish queued behind others), since the node then asks for no more. Progress is a decoded
/// request part (the head, a piece of body, its end), so a head that never completes counts as
/// no progress at all.
///
/// A body must also keep up `minimumRate` bytes a second on the whole: all the time the node
/// has waited for it may not exceed `timeout` plus a second for every `minimumRate` bytes
/// received. Otherwise a client sending a byte just inside each `timeout` would hold its
/// connection for days.
final class ClientWaitDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What the node was waiting for when it closed a connection.
    enum Waiting: Sendable {
        case request
        case body
    }

    let timeout: TimeAmount
    /// Bytes a second a body must average, over the time the node waited for it.
    let minimumRate: Int
    /// Told of each connection closed (the node counts them in `/metrics`).
    let cut: @Sendable (Waiting) -> Void
    /// Requests whose head arrived and whose response has not ended.
    private var unanswered = 0
    /// A request's head arrived and its end has not.
    private var readingBody = false
    /// The node asked the channel for more and nothing arrived since.
    private var readPending = false
    private var deadline: Scheduled<Void>?
    /// When the running clock started.
    private var waitStarted: NIODeadline?
    /// Of the body being read: bytes received, and the time the node waited for them.
    private var bodyBytes = 0
    private var bodyWaited = TimeAmount.zero

    init(timeout: TimeAmount, minimumRate: Int, cut: @escaping @Sendable (Waiting) -> Void = { Metrics.connectionsCut($0).increment() }) {
        self.timeout = timeout
        self.minimumRate = max(1, minimumRate)
        self.cut = cut
    }

    /// Does the client owe the node bytes it is ready to take?
    private var clientOwes: Bool { readPending && (readingBody || unanswered == 0) }

    func handlerAdded(context: ChannelHandlerContext) {
        // An active channel reads on its own: the first read may have passed before this handler.
        if context.channel.isActive { readPending = true }
        update(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopClock(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopClock(context)
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        readPending = true
        update(context)
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Progress: the wait, if any, ends here and starts again from the next read.
        readPending = false
        stopClock(context)
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            readingBody = true
            bodyBytes = 0
            bodyWaited = .zero
        case .body(let bytes):
            bodyBytes += bytes.readableBytes
        case .end:
            readingBody = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            update(context)
        }
        context.write(data, promise: promise)
    }

    /// Starts the clock when the client owes bytes and it is not running; stops it otherwise.
    private func update(_ context: ChannelHandlerContext) {
        if clientOwes {
            guard deadline == nil else { return }
            waitStarted = context.eventLoop.now
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: allowedWait) {
                self.deadline = nil
                self.cut(self.readingBody ? .body : .request)
                context.close(promise: nil)
            }
        } else {
            stopClock(context)
        }
    }

    /// How long this wait may last: `timeout`, or less when a body has used up what its bytes
    /// earned.
    private var allowedWait: TimeAmount {
        guard readingBody else { return timeout }
        let earned = TimeAmount.seconds(Int64(min(bodyBytes / minimumRate, 1 << 31)))
        return max(.zero, min(timeout, timeout + earned - bodyWaited))
    }

    private func stopClock(_ context: ChannelHandlerContext) {
        if let started = waitStarted, readingBody {
            bodyWaited = bodyWaited + (context.eventLoop.now - started)
        }
        waitStarted = nil
        deadline?.cancel()
        deadline = nil
    }
}
