import DataspaceApplication
import ServiceLifecycle

/// Runs the contract outbox (queued DSP messages to peers) in the node's service group: it
/// starts with the node and stops on graceful shutdown; what was not acknowledged is resumed
/// from the store at the next start.
struct OutboxService: Service {
    let contracts: ContractService

    func run() async throws {
        await withGracefulShutdownHandler {
            await contracts.runOutbox()
        } onGracefulShutdown: {
            contracts.stopOutbox()
        }
    }
}
