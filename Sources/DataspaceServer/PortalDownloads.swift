import DataspaceContracts
import DataspaceCore
import Foundation
import Logging

/// Deliveries an analyst fetches from the portal: the node requests a transfer under the
/// agreement, waits for the provider to start it, downloads the file into `DIR/received/` with
/// its SHA-256 checked against what the provider declared, confirms the delivery and keeps the
/// provider's receipt — what `dataspace fetch` does, run by the node so a browser only watches
/// the progress and then saves a file that is already verified. Progress is this process's;
/// another replica shows the transfer's state until the file is in place in the shared directory.
public actor PortalDownloads {
    public struct Progress: Sendable {
        public var transferID: String
        public var agreementID: String
        public var received: Int64 = 0
        public var total: Int64?
        public var sha256: String?
        public var receiptIndex: UInt64?
        public var error: String?
        public var finished = false
        public var file: String
    }

    private var running: [String: Progress] = [:]
    private var tasks: [String: Task<Void, Never>] = [:]
    let root: String
    let policy: OutboundPolicy

    init(root: String, policy: OutboundPolicy) {
        self.root = root
        self.policy = policy
    }

    /// Where a transfer's file is kept: `DIR/received/<transfer>/<product>.<ext>`.
    nonisolated func destination(transferID: String, dataset: String, mediaType: String?) -> String {
        let local = dataset.split(separator: "/").last.map(String.init) ?? "data"
        let safe = String(local.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.prefix(60).map(Character.init))
        let ext = mediaType == TabularFormat.jsonLines.mediaType ? "jsonl" : "csv"
        return root + "/" + transferID + "/" + (safe.isEmpty ? "data" : safe) + "." + ext
    }

    public func progress(_ transferID: String) -> Progress? { running[transferID] }

    /// Returns once the fetch of `transferID` has ended, fetched or failed (at once when none
    /// runs in this process): for a caller that must act on the outcome rather than watch it.
    public func finished(_ transferID: String) async { await tasks[transferID]?.value }

    /// Starts fetching a delivery under `agreementID`; returns the transfer's id at once.
    func start(agreementID: String, contracts: ContractService, logger: Logger) async throws -> String {
        let (transfer, _) = try await contracts.requestTransfer(agreementID: agreementID, continueOpen: false)
        let id = transfer.id
        // What finished stays readable for a while; the oldest finished entries go beyond 1,000.
        if running.count >= 1_000 {
            for key in running.filter({ $0.value.finished }).keys.sorted().prefix(running.count - 999) { running[key] = nil }
        }
        running[id] = Progress(transferID: id, agreementID: agreementID, file: destination(transferID: id, dataset: transfer.dataset, mediaType: transfer.mediaType))
        // The task runs on this actor (its bookkeeping is synchronous); the fetch itself suspends.
        tasks[id] = Task { [policy] in
            do {
                let file = try await Self.fetch(transfer: id, contracts: contracts, policy: policy) { received, total in
                    Task { await self.advance(id, received: received, total: total) }
                } destination: { self.destination(transferID: id, dataset: $0.dataset, mediaType: $0.mediaType) }
                update(id) {
                    $0.received = file.bytes
                    $0.total = file.bytes
                    $0.sha256 = file.sha256
                }
                // The receipt is the provider's evidence of this delivery; a missing one is said, not fatal.
                do {
                    let receipt = try await contracts.fetchDeliveryReceipt(transferID: id)
                    update(id) { $0.receiptIndex = receipt.index }
                } catch {
                    logger.warning("no provider receipt for a portal download", metadata: ["transfer": "\(id)", "error": "\(error)"])
                }
                update(id) { $0.finished = true }
            } catch {
                update(id) {
                    $0.error = AccessRequestPortal.reason(error, otherwise: "the delivery failed; try again")
                    $0.finished = true
                }
            }
            tasks[id] = nil
        }
        return id
    }

    private func update(_ id: String, _ change: (inout Progress) -> Void) {
        guard var p = running[id] else { return }
        change(&p)
        running[id] = p
    }

    /// Bytes received so far; a report that arrives late never moves the count back.
    private func advance(_ id: String, received: Int64, total: Int64?) {
        guard var p = running[id], !p.finished, p.sha256 == nil, received >= p.received else { return }
        p.received = received
        p.total = total
        running[id] = p
    }

    static func fetch(
        transfer id: String, contracts: ContractService, policy: OutboundPolicy, progress: @escaping @Sendable (Int64, Int64?) -> Void,
        destination: @Sendable (TransferProcess) -> String
    ) async throws -> DataPlaneClient.Result {
        // The provider starts the transfer (or refuses it) in seconds; a minute is generous.
        let t = try await contracts.notifier.wait(
            id, timeout: 60,
            read: { () async throws -> TransferProcess in
                guard let t = try await contracts.store.transfer(id: id) else { throw ContractNotFound("transfer", id) }
                return t
            },
            done: { (t: TransferProcess) in t.state != .requested })
        guard t.state == .started, let address = t.dataAddress else {
            if t.state == .requested {
                _ = try? await contracts.terminateTransfer(id, reason: "the consumer stopped waiting for the provider")
                throw DownloadFailure("the provider did not start the transfer within a minute; nothing was used")
            }
            throw DownloadFailure("the provider did not start the transfer (\(t.state.rawValue))" + (t.reasons.isEmpty ? "" : ": " + t.reasons.joined(separator: "; ")))
        }
        // The data address came from the provider: the node's rules for contacting URLs apply.
        do { try policy.check(address.endpoint) } catch { throw DownloadFailure(error.message) }
        let path = destination(t)
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let result: DataPlaneClient.Result
        do {
            result = try await DataPlaneClient().download(endpoint: address.endpoint, token: address.token, to: path, attempts: 5, progress: progress)
        } catch {
            throw DownloadFailure(error.message)
        }
        _ = try await contracts.completeTransfer(id)
        return result
    }

    struct DownloadFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

}
