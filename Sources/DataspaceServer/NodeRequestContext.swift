import DataspaceIdentity
import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the connection's peer
/// address, which the rate limiter keys on (with `X-Forwarded-For` from a trusted proxy).
public struct NodeRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The DSP member the request authenticated as (set by `MemberAuthMiddleware`).
    public var caller: VerifiedCaller?
    /// Who called the management API (set by `ManagementAuthMiddleware`).
    public var managementCaller: ManagementCaller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
