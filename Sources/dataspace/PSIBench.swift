import ArgumentParser
import DataspaceCore
import DataspacePrivacy
import DataspaceServer
import Foundation

/// `dataspace bench psi`: private set intersection end to end between two real nodes (the
/// consumer's management API call to its answer), beside the bound this machine's group
/// operations set and beside openmined-psi computing the same intersection on the same sets.
struct PSIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psi", abstract: "Benchmark private set intersection between two nodes against openmined-psi.")

    @Option(help: "Comma-separated set sizes (each side holds this many identifiers; half of the consumer's match).")
    var sizes: String = "100000,1000000"
    @Option(help: "Python with openmined-psi installed (Benchmarks/psi-peer.sh makes one); omit to skip the peer.") var python: String?
    @Option(help: "Largest size the peer runs (its 1M×1M takes minutes).") var peerMaxSize: Int = 1_000_000

    func run() async throws {
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        guard !sizes.isEmpty else { throw ValidationError("--sizes takes comma-separated positive numbers") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("measuring this machine's group operations on \(cores) cores …")
        let rates = try await Self.groupOperationRates()
        print(String(format: "  X25519 blinding: %.0f/s; hash to curve + blinding: %.0f/s", rates.blind, rates.hashAndBlind))
        var rows: [[String]] = []
        var summary: [String: JSONValue] = ["cores": .number(Double(cores)), "blindPerSecond": .number(rates.blind), "hashAndBlindPerSecond": .number(rates.hashAndBlind)]
        for n in sizes {
            let net = try await BenchNetwork.start()
            do {
                let (ours, expected, peak) = try await runOurs(net, size: n)
                // Both sides hash and blind their own set and blind the other's once more.
                let bound = Double(2 * n) / rates.hashAndBlind + Double(2 * n) / rates.blind
                var row = [
                    "\(n)×\(n)", String(format: "%.1f", ours), String(format: "%.1f", bound), String(format: "%.2f", ours / bound),
                    String(format: "%.0f", Double(peak) / 1_048_576),
                ]
                var entry: [String: JSONValue] = [
                    "oursSeconds": .number(ours), "boundSeconds": .number(bound), "peakMiB": .number(Double(peak) / 1_048_576), "intersection": .number(Double(expected)),
                ]
                if let python, n <= peerMaxSize {
                    let files = try Self.writeSets(root: net.root, size: n)
                    let peer = try PythonPeer.run(
                        python: python, script: "psi_peer.py", arguments: [files.provider, files.consumer], label: "openmined-psi \(n)×\(n)")
                    let seconds = peer["seconds"]?.doubleValue ?? .nan
                    guard peer["intersection"]?.intValue == expected else {
                        throw PeerError("openmined-psi found \(peer["intersection"]?.intValue ?? -1) matches, not \(expected)")
                    }
                    row += [String(format: "%.1f", seconds), String(format: "%.1f×", seconds / ours)]
                    entry["peerSeconds"] = .number(seconds)
                } else {
                    row += ["—", "—"]
                }
                rows.append(row)
                summary["n\(n)"] = .object(entry)
            } catch {
                await net.stop()
                throw error
            }
            await net.stop()
        }
        print("")
        printTable(["SETS", "OURS S", "BOUND S", "OURS/BOUND", "PEAK MIB", "OPENMINED-PSI S", "SPEED-UP"], rows)
        print("\n" + JSONValue.object(summary).encodedString())
    }

    /// Hash-and-blind and blind rates on every core, over 200,000 points each.
    static func groupOperationRates() async throws -> (blind: Double, hashAndBlind: Double) {
        let ids = (0..<200_000).map { Array("rate-\($0)".utf8) }
        let key = PSIBlinding()
        let start = ContinuousClock.now
        let points = try await key.hashAndBlind(ids)
        let hashed = (ContinuousClock.now - start).milliseconds / 1_000
        let again = ContinuousClock.now
        _ = try await PSIBlinding().blind(packed: points)
        let blinded = (ContinuousClock.now - again).milliseconds / 1_000
        return (Double(ids.count) / blinded, Double(ids.count) / hashed)
    }

    /// The provider's customers P0…P(n−1); the consumer's n: half of the provider's, half its own.
    static func writeSets(root: String, size n: Int) throws -> (provider: String, consumer: String) {
        let provider = root + "/provider-\(n).csv", consumer = root + "/consumer-\(n).csv"
        var p = "customer_id,segment\n", c = "customer_id\n"
        p.reserveCapacity(n * 20)
        c.reserveCapacity(n * 12)
        for i in 0..<n { p += "P\(i),s\(i % 7)\n" }
        for i in 0..<n { c += i % 2 == 0 ? "P\(i)\n" : "Q\(i)\n" }
        try p.write(toFile: provider, atomically: false, encoding: .utf8)
        try c.write(toFile: consumer, atomically: false, encoding: .utf8)
        return (provider, consumer)
    }

    /// Publishes, agrees and runs one intersection; seconds from the consumer's call to its answer.
    func runOurs(_ net: BenchNetwork, size n: Int) async throws -> (seconds: Double, intersection: Int, peak: Int) {
        let files = try Self.writeSets(root: net.root, size: n)
        print("publishing \(n) customers and agreeing to match them …")
        let record = try await net.provider.publish(file: files.provider, metadata: [
            "title": "客户名录 Customers", "description": "customer ids", "sector": "financial-services",
            "compute": ["matchColumns": ["customer_id"]],
            "policy": ["permission": [["action": "compute", "constraint": [["leftOperand": "psiSetSize", "operator": "lteq", "rightOperand": .number(Double(n))]]]]],
        ])
        let started = try await net.consumer.call(
            ManagementAPI.negotiate, json: ["provider": .string(net.providerURL), "dataset": .string(record["identifier"]?.stringValue ?? ""), "purpose": "commercial"])
        let negotiation = try await net.consumer.call(ManagementAPI.showNegotiation, started["id"]?.stringValue ?? "", query: ["wait": "60"])
        guard let agreement = negotiation["agreement"]?["id"]?.stringValue else { throw PeerError("no agreement: \(negotiation)") }
        let ids = (0..<n).map { JSONValue.string($0 % 2 == 0 ? "P\($0)" : "Q\($0)") }
        print("matching \(n) × \(n) between the nodes …")
        let start = ContinuousClock.now
        let r = try await net.consumer.call(ManagementAPI.intersectAgreement, agreement, json: ["identifiers": .array(ids), "output": "cardinality"])
        let seconds = (ContinuousClock.now - start).milliseconds / 1_000
        let expected = (n + 1) / 2
        guard r["intersectionSize"]?.intValue == expected else { throw PeerError("found \(r["intersectionSize"]?.intValue ?? -1) matches, not \(expected)") }
        return (seconds, expected, processMemory().peak)
    }
}
