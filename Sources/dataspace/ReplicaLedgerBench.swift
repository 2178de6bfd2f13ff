import ArgumentParser
import DataspaceCore
import DataspaceLedger
import DataspacePostgres
import DataspaceServer
import Foundation
import Synchronization

/// `dataspace bench replica-ledger`: evidence appends through replicas. Each replica is a
/// `PostgresStore` with its own connection pool; its writers queue one event per transaction
/// (the durable acknowledgement a replica gives for a state change's evidence), while the
/// replica elected sequencer (advisory lock + epoch) appends the queue to the tiled log in
/// batches and indexes it. The peer in the same run: the single-process log, the same number
/// of appenders appending straight into `TransparencyLog` (journal fdatasync per batch).
struct ReplicaLedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replica-ledger", abstract: "Benchmark evidence appends through replicas over PostgreSQL against the single-process log.")

    @Option(help: "PostgreSQL server (a database is made for the run and dropped after).", transform: { try PostgresLocation(url: $0, field: "postgres") })
    var postgres: PostgresLocation
    @Option(help: "Replicas.") var replicas: Int = 3
    @Option(help: "Concurrent writers per replica.") var writers: Int = 32
    @Option(help: "Events to append in all.") var events: Int = 60_000
    @Option(help: "Connections per replica.") var pool: Int = 24

    func run() async throws {
        try await runReporting {
            guard (1...16).contains(replicas), (1...512).contains(writers), (1...10_000_000).contains(events), (2...200).contains(pool) else {
                throw InputError("--replicas 1-16, --writers 1-512, --events up to 10,000,000, --pool 2-200")
            }
            let root = URL(fileURLWithPath: NSTemporaryDirectory() + "dataspace-replica-ledger-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: root) }
            let name = "bench_ledger_" + UUID().uuidString.prefix(8).lowercased()
            var server = postgres
            server.poolSize = pool
            let location = try await PostgresAdmin.createDatabase(name, on: server)
            do {
                let replicated = try await replicatedRun(location: location, directory: root.appendingPathComponent("replicated"))
                let single = try await singleProcessRun(directory: root.appendingPathComponent("single"))
                print("")
                printTable(
                    ["LOG", "APPENDERS", "ACKNOWLEDGED /S", "LOGGED /S", "ACK P50 MS", "ACK P99 MS"],
                    [
                        ["\(replicas) replicas, PostgreSQL sequencer", String(replicas * writers), String(format: "%.0f", replicated.acknowledged),
                         String(format: "%.0f", replicated.logged), String(format: "%.2f", replicated.p50), String(format: "%.2f", replicated.p99)],
                        ["one process, TransparencyLog", String(replicas * writers), String(format: "%.0f", single.acknowledged),
                         String(format: "%.0f", single.logged), String(format: "%.2f", single.p50), String(format: "%.2f", single.p99)],
                    ])
                print(String(format: "\nratio (replicated logged / single-process): %.2f×", replicated.logged / max(single.logged, 1)))
                print(JSONValue.object([
                    "replicatedAcknowledgedPerSecond": .number(replicated.acknowledged), "replicatedLoggedPerSecond": .number(replicated.logged),
                    "singleProcessPerSecond": .number(single.logged), "replicas": .number(Double(replicas)), "writersPerReplica": .number(Double(writers)),
                ]).encodedString())
            } catch {
                try? await PostgresAdmin.dropDatabase(name, on: server)
                throw error
            }
            try? await PostgresAdmin.dropDatabase(name, on: server)
        }
    }

    struct Outcome {
        var acknowledged: Double
        var logged: Double
        var p50: Double
        var p99: Double
    }

    final class Progress: Sendable {
        let queued = Atomic<Int>(0)
        let logged = Atomic<Int>(0)
        let latencies = Mutex<[Double]>([])
    }

    func replicatedRun(location: PostgresLocation, directory: URL) async throws -> Outcome {
        print("\(replicas) replicas × \(writers) writers queueing \(events) events; one sequencer appending …")
        var opened: [PostgresStore] = []
        for _ in 0..<replicas { opened.append(try await PostgresStore(location: location)) }
        let stores = opened
        let log = try EvidenceLog(directory: directory, signer: try LedgerBench.signer(directoryCreating: directory), writing: false)
        let progress = Progress()
        let total = events
        let start = ContinuousClock.now
        var acknowledgedAt = start
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The sequencer: elected in PostgreSQL, appends until everything is logged.
            group.addTask {
                _ = try await stores[0].whileSequencer(holder: "bench") { epoch in
                    try log.openWriter()
                    while progress.logged.load(ordering: .relaxed) < total {
                        let appended = try await LedgerService.appendQueued(store: stores[0], log: log, node: "did:web:bench", epoch: epoch)
                        if appended == 0 { try await Task.sleep(for: .milliseconds(1)) }
                        progress.logged.add(appended, ordering: .relaxed)
                    }
                    await log.closeWriter()
                }
            }
            for replica in 0..<replicas {
                for writer in 0..<writers {
                    group.addTask {
                        var mine: [Double] = []
                        while true {
                            let n = progress.queued.add(1, ordering: .relaxed).newValue
                            guard n <= total else { break }
                            let event = EvidenceEvent(kind: "product.published", fields: ["product": .string("bench/\(replica)/\(writer)/\(n)")])
                            let began = ContinuousClock.now
                            try await stores[replica].queueEvidence([event])
                            mine.append((ContinuousClock.now - began).milliseconds)
                        }
                        progress.latencies.withLock { $0 += mine }
                    }
                }
            }
            // Writers finish first (acknowledged), the sequencer when everything is logged.
            var finished = 0
            while try await group.next() != nil {
                finished += 1
                if finished == replicas * writers { acknowledgedAt = ContinuousClock.now }
            }
        }
        let loggedAt = ContinuousClock.now
        for store in stores { store.close() }
        let latencies = progress.latencies.withLock { $0 }.sorted()
        return Outcome(
            acknowledged: Double(total) / ((acknowledgedAt - start).milliseconds / 1_000), logged: Double(total) / ((loggedAt - start).milliseconds / 1_000),
            p50: OrderStatistics.percentile(latencies, 0.5), p99: OrderStatistics.percentile(latencies, 0.99))
    }

    func singleProcessRun(directory: URL) async throws -> Outcome {
        print("one process, \(replicas * writers) appenders appending \(events) entries straight into the log …")
        let log = try TransparencyLog(directory: directory, signer: try LedgerBench.signer(directoryCreating: directory))
        let progress = Progress()
        let total = events
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<(replicas * writers) {
                group.addTask {
                    var mine: [Double] = []
                    while true {
                        let n = progress.queued.add(1, ordering: .relaxed).newValue
                        guard n <= total else { break }
                        let event = LedgerEvent(
                            kind: .productPublished, time: Date(), node: "did:web:bench", fields: ["product": .string("bench/\(writer)/\(n)")])
                        let began = ContinuousClock.now
                        _ = try await log.append(event.entry)
                        mine.append((ContinuousClock.now - began).milliseconds)
                    }
                    progress.latencies.withLock { $0 += mine }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - start).milliseconds / 1_000
        await log.shutdown()
        let latencies = progress.latencies.withLock { $0 }.sorted()
        return Outcome(
            acknowledged: Double(total) / elapsed, logged: Double(total) / elapsed, p50: OrderStatistics.percentile(latencies, 0.5), p99: OrderStatistics.percentile(latencies, 0.99))
    }
}

extension LedgerBench {
    /// A log signer kept in a directory made for it.
    static func signer(directoryCreating directory: URL) throws -> NoteSigner {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try signer(directory)
    }
}
