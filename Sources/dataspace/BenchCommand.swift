import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks (see BENCHMARKS.md).", subcommands: [SearchBench.self, PortalBench.self, PolicyBench.self, NegotiationBench.self, TransferBench.self, LedgerBench.self, ReplicaLedgerBench.self, ReplicaServeBench.self, QualityBench.self, OverloadBench.self, PSIBench.self, DPBench.self])
}
