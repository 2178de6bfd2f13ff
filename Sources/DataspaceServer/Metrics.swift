import CoreMetrics
import Prometheus

/// The process-wide Prometheus registry; swift-metrics is bootstrapped once, on first use, so
/// several nodes in one process (tests, the demo) share it safely.
enum Metrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func bootstrap() { _ = registry }

    /// Entries this process appended to its evidence log.
    static let ledgerEntries: CoreMetrics.Counter = {
        bootstrap()
        return CoreMetrics.Counter(label: "dataspace_ledger_entries_total")
    }()

    /// Appends of queued evidence that failed (the events stay queued and are retried).
    static let ledgerAppendFailures: CoreMetrics.Counter = {
        bootstrap()
        return CoreMetrics.Counter(label: "dataspace_ledger_append_failures_total")
    }()

    /// Connections closed as they were accepted: their client held its share
    /// (`http.maxConnectionsPerClient`).
    static let connectionsRefused: CoreMetrics.Counter = {
        bootstrap()
        return CoreMetrics.Counter(label: "dataspace_connections_refused_total")
    }()

    /// Connections the node closed after waiting for its client: for a request (an idle
    /// kept-alive connection, a head that never completed) or for the rest of a body (stopped,
    /// or below `http.minimumBodyRate`). The second is the one to watch: real uploads cut short.
    static func connectionsCut(_ waiting: ClientWaitDeadline.Waiting) -> CoreMetrics.Counter {
        switch waiting {
        case .request: cutWaitingForRequest
        case .body: cutWaitingForBody
        }
    }

    private static let cutWaitingForRequest: CoreMetrics.Counter = {
        bootstrap()
        return CoreMetrics.Counter(label: "dataspace_connections_cut_total", dimensions: [("waiting", "request")])
    }()

    private static let cutWaitingForBody: CoreMetrics.Counter = {
        bootstrap()
        return CoreMetrics.Counter(label: "dataspace_connections_cut_total", dimensions: [("waiting", "body")])
    }()
}
