import DataspaceCore
import Synchronization

/// Records the DSP messages a node sends and the replies it receives, when started. The
/// conformance tests use it to validate every negotiation and transfer message against the
/// official schemas; it records nothing unless `start()` was called.
public final class MessageTap: Sendable {
    private let messages = Mutex<[JSONValue]?>(nil)

    public init() {}

    public func start() { messages.withLock { $0 = [] } }

    /// Everything recorded so far.
    public var recorded: [JSONValue] { messages.withLock { $0 ?? [] } }

    func record(_ message: JSONValue?) {
        guard let message, message.objectValue != nil else { return }
        messages.withLock { if $0 != nil { $0?.append(message) } }
    }
}
