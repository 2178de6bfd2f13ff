import DataspaceApplication
import DataspaceCatalog
import DataspaceCore
import ServiceLifecycle

/// On a store shared by replicas: follows what the other replicas commit, so a long-poll here
/// wakes when a peer's message changed the process there, and a product published there is
/// searchable here (within the time a NOTIFY takes; the replica test measures it).
struct StoreChangeService: Service {
    let feed: any StoreChangeFeed
    let contracts: ContractService
    let catalog: CatalogService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await feed.followChanges {
                // Changes may have been missed before (re)connecting: reload the catalog's view.
                do { try await catalog.resynchronizeIndex() } catch {
                    contracts.logger.error("cannot resynchronize the search index", metadata: ["error": "\(error)"])
                }
            } onChange: { change in
                switch change {
                case .process(let id):
                    await contracts.notifier.notify(id)
                case .product(let text):
                    guard let identifier = try? UnifiedIdentifier(parsing: text) else { return }
                    do { try await catalog.follow(identifier) } catch {
                        contracts.logger.error("cannot follow a product change", metadata: ["identifier": "\(text)", "error": "\(error)"])
                    }
                }
            }
        }
    }
}
