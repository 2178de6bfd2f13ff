import DataspaceApplication
import Foundation
import Logging
import ServiceLifecycle

/// Housekeeping that runs once a minute in the node's service group and ends with it: transfer
/// time-outs, expired portal sessions. A sweep that fails is logged and tried again next time.
struct PeriodicSweep: Service {
    let name: String
    var interval: Duration = .seconds(60)
    let logger: Logger
    let sweep: @Sendable () async throws -> Void

    func run() async throws {
        // Sleeping is cancelled when the node shuts down; a sweep in progress finishes.
        while !Task.isShuttingDownGracefully {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
            if Task.isShuttingDownGracefully { return }
            do { try await sweep() } catch {
                logger.error("periodic sweep failed", metadata: ["sweep": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Times out transfers that made no progress (`transfer.timeoutSeconds`).
    static func transferExpiry(_ contracts: ContractService) -> PeriodicSweep {
        PeriodicSweep(name: "transfer time-outs", logger: contracts.logger) { try await contracts.expireStaleTransfers(now: contracts.now()) }
    }

    /// Aborts secure-aggregation rounds left open past their lifetime (their shares are deleted).
    static func abandonedRounds(_ aggregation: AggregationService, logger: Logger) -> PeriodicSweep {
        PeriodicSweep(name: "abandoned aggregation rounds", logger: logger) {
            let expired = try await aggregation.expireAbandonedRounds()
            if expired > 0 { logger.info("aborted abandoned aggregation rounds", metadata: ["count": "\(expired)"]) }
        }
    }

    /// Drops portal sessions past their end (they are refused anyway; this keeps the table small).
    static func sessionPurge(_ accounts: AccountService, logger: Logger) -> PeriodicSweep {
        PeriodicSweep(name: "expired sessions", logger: logger) { try await accounts.purgeExpiredSessions() }
    }

    /// Removes portal upload drafts nobody confirmed within `PublishDrafts.lifetime`.
    static func draftPurge(_ drafts: PublishDrafts, logger: Logger) -> PeriodicSweep {
        PeriodicSweep(name: "unconfirmed drafts", logger: logger) {
            let removed = drafts.sweep(before: Date().addingTimeInterval(-PublishDrafts.lifetime))
            if removed > 0 { logger.info("removed unconfirmed drafts", metadata: ["count": "\(removed)"]) }
        }
    }
}
