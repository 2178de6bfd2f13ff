import DataspaceCore
import Synchronization

/// Maps the IPv6 addresses of this node's identifiers back to the identifiers.
public final class AddressBook: Sendable {
    public let prefix: IPv6Prefix
    private let table = Mutex<[IPv6Address: UnifiedIdentifier]>([:])

    public init(prefix: IPv6Prefix) { self.prefix = prefix }

    public func add(_ identifier: UnifiedIdentifier) {
        let address = identifier.ipv6Address(in: prefix)
        table.withLock { $0[address] = identifier }
    }

    public func identifier(for address: IPv6Address) -> UnifiedIdentifier? {
        table.withLock { $0[address] }
    }
}
