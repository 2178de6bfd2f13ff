import DataspaceCore
import Foundation
import Hummingbird
import ServiceLifecycle
import Logging
import NIOCore

/// Builds the HTTP application of a node: every route, in one readable place.
public enum NodeApplication {
    public static func buildRouter(services: NodeServices) throws -> Router<NodeRequestContext> {
        Metrics.bootstrap()
        let router = Router(context: NodeRequestContext.self)
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(RateLimitMiddleware(limiter: services.rateLimiter, proxies: services.configuration.trustedProxies))
        router.middlewares.add(RequestLogMiddleware(.debug))
        router.middlewares.add(PortalLanguageMiddleware())

        PublicRoutes.register(on: router, services: services)
        ResolveRoutes.register(on: router, services: services)
        DSPCatalogRoutes.register(on: router, services: services)
        DSPContractRoutes.register(on: router, services: services)
        DataPlaneRoutes.register(on: router, services: services)
        ComputeRoutes.register(on: router, services: services)
        AggregationRoutes.register(on: router, services: services)
        LedgerRoutes.register(on: router, services: services)
        if let authority = services.authority {
            IdentityRoutes.register(on: router, services: services, authority: authority)
        }
        let portal = try Portal(services: services)
        portal.register(on: router)
        try OperatorPortal(portal: portal, services: services).register(on: router)
        let people = PortalAccounts(portal: portal, services: services)
        people.register(on: router)
        AuthorityPortal(accounts: people).register(on: router)
        AuditPortal(accounts: people).register(on: router)
        AccessRequestPortal(accounts: people).register(on: router)
        let publishing = PublisherPortal(accounts: people)
        publishing.register(on: router)

        PersonTokenRoutes.registerLogin(on: router, services: services)
        let management = router.group("/api/v1").add(middleware: ManagementAuthMiddleware(adminToken: services.adminToken, accounts: services.accounts))
        ManagementRoutes.register(on: management, services: services)
        PublicRoutes.registerMetrics(on: router.group("").add(middleware: AdminAuthMiddleware(token: services.adminToken)))
        return router
    }

    /// The runnable application. `onServerRunning` receives the bound port.
    public static func build(
        services: NodeServices, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = try buildRouter(services: services)
        var background: [any Service] = [
            services.ledger, OutboxService(contracts: services.contracts), PeriodicSweep.transferExpiry(services.contracts),
            PeriodicSweep.sessionPurge(services.accounts, logger: services.logger),
            PeriodicSweep.abandonedRounds(services.aggregation, logger: services.logger),
            PeriodicSweep.draftPurge(PublishDrafts(root: services.directory.path + "/drafts"), logger: services.logger),
        ]
        // Replicas over one database follow each other's changes.
        if let feed = services.store as? any StoreChangeFeed {
            background.append(StoreChangeService(feed: feed, contracts: services.contracts, catalog: services.catalog))
        }
        // Connections are bounded by count and by how long the node waits on each (docs/security.md).
        let configuration = services.configuration
        let openFiles = OpenFileLimit.raise()
        let connections = try OpenFileLimit.connectionCap(configured: configuration.maxConnections, openFiles: openFiles)
        if connections < configuration.maxConnections {
            services.logger.warning(
                "accepting at most \(connections) connections at once: the process may open \(openFiles) files; raise its limit (ulimit -n, or LimitNOFILE= in a systemd unit) to allow http.maxConnections (\(configuration.maxConnections))")
        }
        let perClient = ClientConnectionCounts(
            limit: ClientConnectionLimit.perClient(configured: configuration.maxConnectionsPerClient, cap: connections))
        let idleTimeout = TimeAmount.seconds(Int64(configuration.idleTimeoutSeconds))
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ClientWaitDeadline(timeout: idleTimeout, minimumRate: configuration.minimumBodyRate)])),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "dataspace",
                availableConnectionsDelegate: .maximum(connections, logger: services.logger)),
            services: background,
            onServerRunning: { channel in
                await ListeningChannel.prepare(channel, perClient: perClient, proxies: configuration.trustedProxies, logger: services.logger)
                await onServerRunning(channel.localAddress?.port ?? services.configuration.port)
            },
            logger: services.logger)
    }

    /// Loads the search index from the store; runs before the node accepts requests.
    public static func prepare(_ services: NodeServices) async throws {
        try await services.catalog.rebuildIndex()
        // On a replica that is not (yet) the log's sequencer, the sequencer does both.
        if services.ledger.log.isSequencer {
            try await services.ledger.reconcileIndex()
            // Evidence queued by changes that committed before a crash or a failed append.
            await services.ledger.flush()
        }
        try await services.store.releaseStreamingDeliveries()
        try await services.contracts.resume()
    }
}
