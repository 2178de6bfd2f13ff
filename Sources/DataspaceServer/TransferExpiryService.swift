import DataspaceApplication
import Foundation
import ServiceLifecycle

/// Runs the transfer time-outs once a minute in the node's service group, ending with it.
struct TransferExpiryService: Service {
    let contracts: ContractService
    var interval: Duration = .seconds(60)

    func run() async throws {
        // Sleeping is cancelled when the node shuts down; a sweep in progress finishes.
        while !Task.isShuttingDownGracefully {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
            if Task.isShuttingDownGracefully { return }
            do { try await contracts.expireStaleTransfers(now: contracts.now()) } catch {
                contracts.logger.error("cannot time out stale transfers", metadata: ["error": "\(error)"])
            }
        }
    }
}
