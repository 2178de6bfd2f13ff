import Crypto
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceQuality
import Foundation

/// A data-plane request for a transfer that may be served: the transfer, and the stored file.
public struct AuthorizedDataRequest: Sendable {
    public let transfer: TransferProcess
    public let blobPath: String
    public let size: Int64
    public let sha256: String
    public var mediaType: String { transfer.mediaType ?? "application/octet-stream" }
}

/// What a delivering request did, for its usage record and evidence.
public struct DataPlaneOutcome: Sendable {
    public var sent: Int64
    public var rangeStart: Int64
    /// The request streamed the last byte of the (possibly rewritten) file.
    public var complete: Bool
    /// Digest of what left: the stored file's, or of the rewritten representation.
    public var sha256: String
    public var statistics: DeliveryStatistics?

    public init(sent: Int64, rangeStart: Int64, complete: Bool, sha256: String, statistics: DeliveryStatistics? = nil) {
        self.sent = sent
        self.rangeStart = rangeStart
        self.complete = complete
        self.sha256 = sha256
        self.statistics = statistics
    }
}

/// The data plane's decisions (docs/policies.md): who may pull, what, how it is transformed and
/// what is counted — the route only parses, streams and renders.
extension ContractService {
    /// The provider's transfer a data access token is for: the token must verify (signature,
    /// audience, expiry) and name this transfer, its agreement and its consumer.
    public func transferForDataToken(transferID: String, authorization: String?) async throws -> TransferProcess {
        guard let header = authorization, header.hasPrefix("Bearer ") else {
            throw DeliveryRefusal(status: 401, code: "token.missing", detail: "Authorization: Bearer <data access token> is required")
        }
        let access: DataAccessToken
        do { access = try DataAccessToken.verify(String(header.dropFirst(7)), key: key, audience: dataPlaneBase, now: now()) } catch {
            throw DeliveryRefusal(status: 401, code: error.code.rawValue, detail: error.message)
        }
        guard access.transferID == transferID, let t = try await store.transfer(id: transferID), t.role == .provider, t.counterparty == access.consumer,
            t.agreementID == access.agreementID
        else {
            throw DeliveryRefusal(status: 404, code: "transfer.unknown", detail: "no transfer \(transferID) for this token")
        }
        return t
    }

    /// A request to pull transfer `transferID`'s data: the token, a STARTED transfer, a consumer
    /// whose membership has not been revoked since, and the agreed file still stored.
    public func authorizeDataRequest(transferID: String, authorization: String?) async throws -> AuthorizedDataRequest {
        let t = try await transferForDataToken(transferID: transferID, authorization: authorization)
        guard t.state == .started else {
            throw DeliveryRefusal(status: 409, code: "transfer.state", detail: "transfer \(t.id) is \(t.state.rawValue); only a STARTED transfer delivers")
        }
        // A member revoked since the transfer started gets nothing more, token or not.
        if let revocations, let credential = t.credentialID, let issuer = t.credentialIssuer.flatMap({ try? WebDID($0) }) {
            let revoked: Bool
            do { revoked = try await revocations.isRevoked(credentialID: credential, issuer: issuer) } catch {
                throw DeliveryRefusal(status: 403, code: error.code.rawValue, detail: error.message)
            }
            if revoked {
                throw DeliveryRefusal(
                    status: 403, code: IdentityError.Code.credentialRevoked.rawValue, detail: "the consumer's membership credential \(credential) has been revoked")
            }
        }
        guard let sha256 = t.sha256, let size = t.byteSize, size > 0, let path = catalog.blobs.localPath(sha256) else {
            throw DeliveryRefusal(status: 410, code: "blob.missing", detail: "the agreed file is no longer stored")
        }
        return AuthorizedDataRequest(transfer: t, blobPath: path, size: size, sha256: sha256)
    }

    /// The masking and watermarking a delivery under `admitted` applies, nil when the file
    /// leaves as stored.
    public func deliveryPlan(_ admitted: AdmittedDelivery, transfer t: TransferProcess) -> DeliveryPlan? {
        let protection = admitted.controls.protection
        guard !protection.isEmpty, let deliverySecret else { return nil }
        let format = admitted.controls.format ?? (try? TabularFormat(mediaType: t.mediaType ?? "")) ?? .csv
        return DeliveryPlan.forAgreement(t.agreementID, format: format, protection: protection, secret: deliverySecret)
    }

    /// Ends a delivering request: its usage record and `transfer.delivered` evidence (with the
    /// protection applied, if any) in one transaction with the delivery's progress.
    public func recordDelivery(_ admitted: AdmittedDelivery, transfer t: TransferProcess, plan: DeliveryPlan?, outcome: DataPlaneOutcome) async {
        let usage = UsageRecord(
            agreementID: t.agreementID, transferID: t.id, consumer: t.counterparty, dataset: t.dataset, at: now(), bytes: outcome.sent,
            rows: outcome.complete ? t.rowCount : nil, rangeStart: outcome.rangeStart, complete: outcome.complete, sha256: outcome.sha256)
        var extra: [String: JSONValue] = [:]
        if let plan {
            extra = [
                "sourceSha256": .string(t.sha256 ?? ""), "masked": .array(plan.masking.keys.sorted().map { .string($0) }),
                "watermarked": .bool(plan.watermarkKey != nil),
                "maskedValues": .number(Double(outcome.statistics?.maskedValues ?? 0)),
                "markedValues": .number(Double(outcome.statistics?.markedValues ?? 0)),
            ]
        }
        let evidence =
            outcome.sent > 0
            ? [deliveredEvidence(t, slot: admitted.slot, bytes: outcome.sent, rangeStart: outcome.rangeStart, complete: outcome.complete, sha256: outcome.sha256, extra: extra)]
            : []
        await endDelivery(admitted.slot, bytes: outcome.sent, complete: outcome.complete, now: now(), usage: usage, evidence: evidence)
    }

    /// A request admitted but then not served (an unsatisfiable range): frees its share.
    public func abandonDelivery(_ admitted: AdmittedDelivery) async {
        await endDelivery(admitted.slot, bytes: 0, complete: false, now: now())
    }
}
