import DataspaceContracts
import DataspaceCore
import DataspaceProtocol
import Foundation

/// Transfers that stopped making progress (a provider that never answered, a consumer that never
/// fetched, a peer gone during an outage) end in a clear state on each side instead of staying
/// REQUESTED or STARTED forever (docs/policies.md, "Transfers that stall").
extension ContractService {
    /// What one sweep did.
    public struct ExpiryOutcome: Sendable, Equatable {
        /// Transfers terminated: nothing was delivered; a provider's reserved delivery is released.
        public var terminated: [String] = []
        /// Provider transfers whose file had streamed whole but the consumer never confirmed: completed.
        public var completed: [String] = []
        public init() {}
    }

    /// Ends every open transfer whose last change is older than `transferTimeout` at `now`; the
    /// other party is told (termination or completion message). A provider transfer that a
    /// request is streaming, or that streamed recently, is left alone.
    @discardableResult
    public func expireStaleTransfers(now: Date) async throws -> ExpiryOutcome {
        let cutoff = now.addingTimeInterval(-transferTimeout)
        var outcome = ExpiryOutcome()
        let minutes = Int(transferTimeout / 60)
        for stale in try await store.openTransfers(updatedBefore: cutoff, limit: 500) {
            var complete = false
            if stale.role == .provider, let delivery = try await store.delivery(transferID: stale.id) {
                if delivery.streaming || delivery.updatedAt >= cutoff { continue }
                complete = delivery.record.state == .complete
            }
            let delivered = complete
            let id = stale.id
            do {
                let t = try await store.updateTransfer(id: id) { t in
                    // Re-checked inside the transaction: a message may have moved it meanwhile.
                    guard !t.state.isTerminal, t.updatedAt < cutoff else { return }
                    if delivered {
                        try t.apply(.complete, from: t.role, now: now)
                        t.reasons = ["completed after \(minutes) min without confirmation: the file was delivered whole"]
                        if let message = try? self.peerMessage(
                            t, DSPTransferMessages.completion(providerPid: try self.pid(t.providerPid), consumerPid: try self.pid(t.consumerPid)),
                            "completion")
                        {
                            t.queue = [message]
                        }
                    } else {
                        let reason = Self.timeoutReason(t, minutes: minutes)
                        try t.apply(.terminate, from: t.role, now: now)
                        t.reasons = [reason]
                        t.queue.removeAll()
                        if let message = try? self.peerMessage(
                            t,
                            DSPTransferMessages.termination(
                                providerPid: try self.pid(t.providerPid), consumerPid: try self.pid(t.consumerPid), code: "timeout", reasons: [reason]),
                            "termination")
                        {
                            t.queue = [message]
                        }
                    }
                }
                guard t.state.isTerminal, t.updatedAt == now else { continue }
                if t.state == .completed { outcome.completed.append(id) } else { outcome.terminated.append(id) }
                logger.notice("transfer timed out", metadata: ["transfer": "\(id)", "state": "\(t.state.rawValue)", "reason": "\(t.reasons.first ?? "")"])
                await notifier.notify(id)
                if !t.queue.isEmpty { kick(.transfer(id)) }
            } catch let conflict as ContractConflict {
                logger.debug("transfer changed while timing out", metadata: ["transfer": "\(id)", "why": "\(conflict.message)"])
            }
        }
        return outcome
    }

    static func timeoutReason(_ t: TransferProcess, minutes: Int) -> String {
        switch (t.role, t.state) {
        case (.consumer, .requested): "timed out: the provider did not start the transfer within \(minutes) min; nothing was used"
        case (.consumer, _): "timed out: the data was not fetched and confirmed within \(minutes) min"
        case (.provider, .requested), (.provider, .started): "timed out: the file was not fetched whole within \(minutes) min; the reserved delivery is released"
        default: "timed out after \(minutes) min without progress; the reserved delivery is released"
        }
    }
}

