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
}
