import DataspaceApplication
import Foundation
import ServiceLifecycle

/// Runs the contract outbox (queued DSP messages to peers) in the node's service group: it
/// starts with the node and stops on graceful shutdown; what was not acknowledged is resumed
/// from the store at the next start. Every `sweep` it looks for queued messages nobody is
/// delivering — those of a replica that died, once its claims expire.
struct OutboxService: Service {
    let contracts: ContractService
    var sweep: Duration = .seconds(15)

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await contracts.runOutbox() }
                group.addTask {
                    while !Task.isShuttingDownGracefully && !Task.isCancelled {
                        // The sleep ends early when the node shuts down.
                        guard (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: sweep) })) != nil, !Task.isShuttingDownGracefully
                        else { return }
                        do { try await contracts.resume(quietly: true) } catch {
                            contracts.logger.error("cannot look for undelivered messages", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            contracts.stopOutbox()
        }
    }
}
