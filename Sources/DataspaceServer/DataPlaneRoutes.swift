import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceQuality
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import _NIOFileSystem

/// The provider's data plane: `GET /data/{transfer}` streams the agreed file from the blob store
/// with non-blocking reads (memory stays flat whatever the size), honours `Range` so a broken
/// download resumes, re-evaluates the agreement at every request, and records each delivery.
enum DataPlaneRoutes {
    /// 64 KiB reads: as fast as 256 KiB–4 MiB in `dataspace bench transfer` on this machine, with
    /// the smallest peak memory (see BENCHMARKS.md).
    static let chunkSize = 64 * 1024

    /// A refused data-plane request, as the response to send.
    struct Refusal: Error {
        let response: Response
    }

    /// The provider's transfer a data access token is for: the token must verify (signature,
    /// audience, expiry) and name this transfer, its agreement and its consumer.
    static func authorize(_ request: Request, _ context: NodeRequestContext, services: NodeServices) async throws -> Result<TransferProcess, Refusal> {
        let pid = try DSPContractRoutes.pid(context)
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return .failure(Refusal(response: Responses.problem(status: .unauthorized, code: "token.missing", detail: "Authorization: Bearer <data access token> is required")))
        }
        let access: DataAccessToken
        do {
            access = try DataAccessToken.verify(
                String(header.dropFirst(7)), key: services.key, audience: services.contracts.dataPlaneBase, now: services.contracts.now())
        } catch {
            return .failure(Refusal(response: Responses.problem(status: .unauthorized, code: error.code.rawValue, detail: error.message)))
        }
        guard access.transferID == pid, let t = try await services.store.transfer(id: pid), t.role == .provider, t.counterparty == access.consumer,
            t.agreementID == access.agreementID
        else {
            return .failure(Refusal(response: Responses.problem(status: .notFound, code: "transfer.unknown", detail: "no transfer \(pid) for this token")))
        }
        return .success(t)
    }

    /// Runs `body` for the transfer the request's token authorizes; refusals and thrown domain
    /// errors become problem+json.
    static func authorized(
        _ request: Request, _ context: NodeRequestContext, services: NodeServices, _ body: (TransferProcess) async throws -> Response
    ) async -> Response {
        await problemJSON {
            switch try await authorize(request, context, services: services) {
            case .success(let transfer): return try await body(transfer)
            case .failure(let refusal): return refusal.response
            }
        }
    }

    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        router.get("/data/:pid/receipt") { request, context in
            await authorized(request, context, services: services) { t in
                let pid = t.id
                // The delivery is recorded as the response ends; give a client that asks right
                // after its download a moment for the entry to appear.
                var deliveries = try await services.store.ledgerEntries(ref: t.id, type: LedgerEvent.Kind.transferDelivered.rawValue)
                let deadline = ContinuousClock.now + .seconds(5)
                while deliveries.isEmpty && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                    deliveries = try await services.store.ledgerEntries(ref: t.id, type: LedgerEvent.Kind.transferDelivered.rawValue)
                }
                guard let last = deliveries.last else {
                    return Responses.problem(status: .notFound, code: "receipt.none", detail: "nothing has been delivered for transfer \(pid) yet")
                }
                let receipt = try await services.ledger.receipt(index: last.index)
                return Responses.text(receipt.text, contentType: "text/plain; charset=utf-8")
            }
        }
        router.get("/data/:pid") { request, context in
            await authorized(request, context, services: services) { t in
                let pid = t.id
                guard t.state == .started else {
                    return Responses.problem(status: .conflict, code: "transfer.state", detail: "transfer \(pid) is \(t.state.rawValue); only a STARTED transfer delivers")
                }
                // A member revoked since the transfer started gets nothing more, token or not.
                if let credential = t.credentialID, let issuer = t.credentialIssuer.flatMap({ try? WebDID($0) }) {
                    let revoked: Bool
                    do { revoked = try await services.revocations.isRevoked(credentialID: credential, issuer: issuer) } catch let error as IdentityError {
                        return Responses.problem(status: .forbidden, code: error.code.rawValue, detail: error.message)
                    }
                    if revoked {
                        return Responses.problem(
                            status: .forbidden, code: IdentityError.Code.credentialRevoked.rawValue,
                            detail: "the consumer's membership credential \(credential) has been revoked")
                    }
                }
                guard let sha256 = t.sha256, let size = t.byteSize, size > 0, let path = services.catalog.blobs.localPath(sha256) else {
                    return Responses.problem(status: .gone, code: "blob.missing", detail: "the agreed file is no longer stored")
                }
                let range: ClosedRange<Int64>
                switch ByteRange.parse(request.headers[.range], size: size) {
                case .whole: range = 0...(size - 1)
                case .partial(let r): range = r
                case .unsatisfiable:
                    return Response(
                        status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: "requested range not satisfiable")))
                }
                // Grade, policy and the delivery this request belongs to (counted exactly).
                let admitted: AdmittedDelivery
                do { admitted = try await services.contracts.admitDelivery(t, now: services.contracts.now()) } catch let refusal as DeliveryRefusal {
                    return Responses.problem(status: HTTPResponse.Status(code: refusal.status), code: refusal.code, detail: refusal.detail)
                }
                let protection = admitted.controls.protection
                if !protection.isEmpty {
                    let format = admitted.controls.format ?? (try? TabularFormat(mediaType: t.mediaType ?? "")) ?? .csv
                    let plan = DeliveryPlan.forAgreement(t.agreementID, format: format, protection: protection, secret: services.deliverySecret)
                    return try await protectedResponse(
                        request: request, transfer: t, slot: admitted.slot, path: path, size: size, sourceSHA256: sha256, plan: plan, services: services)
                }
                var headers: HTTPFields = [
                    .contentType: t.mediaType ?? "application/octet-stream",
                    .acceptRanges: "bytes", .eTag: "\"\(sha256)\"",
                ]
                headers[HTTPField.Name("Repr-Digest")!] = "sha-256=:\(Hex.decode(sha256).map { Data($0).base64EncodedString() } ?? ""):"
                let partial = range.count != Int(size)
                if partial { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
                let contracts = services.contracts
                let slot = admitted.slot
                let rows = t.rowCount
                let body = ResponseBody(contentLength: Int(range.upperBound - range.lowerBound + 1)) { writer in
                    var sent: Int64 = 0
                    var failure: (any Error)?
                    do {
                        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                            for try await chunk in handle.readChunks(in: range.lowerBound...range.upperBound, chunkLength: .bytes(Int64(chunkSize))) {
                                try await writer.write(chunk)
                                sent += Int64(chunk.readableBytes)
                            }
                        }
                        try await writer.finish(nil)
                    } catch {
                        failure = error
                    }
                    // The delivery is complete when a request of it has streamed the last byte.
                    let complete = failure == nil && range.upperBound == size - 1 && sent == Int64(range.count)
                    let usage = UsageRecord(
                        agreementID: t.agreementID, transferID: t.id, consumer: t.counterparty, dataset: t.dataset, at: contracts.now(), bytes: sent,
                        rows: complete ? rows : nil, rangeStart: range.lowerBound, complete: complete, sha256: sha256)
                    let evidence = contracts.deliveredEvidence(
                        t, slot: slot, bytes: sent, rangeStart: range.lowerBound, complete: complete, sha256: sha256)
                    await contracts.endDelivery(slot, bytes: sent, complete: complete, now: contracts.now(), usage: usage, evidence: sent > 0 ? [evidence] : [])
                    if let failure { throw failure }
                }
                return Response(status: partial ? .partialContent : .ok, headers: headers, body: body)
            }
        }
    }
}

extension DataPlaneRoutes {
    /// A masked and watermarked delivery: streamed with chunked encoding (its length is known
    /// only once generated); a range request first measures the output so `Content-Range` is
    /// exact, then regenerates it and skips to the start.
    static func protectedResponse(
        request: Request, transfer t: TransferProcess, slot: DeliverySlot, path: String, size: Int64, sourceSHA256: String, plan: DeliveryPlan,
        services: NodeServices
    ) async throws -> Response {
        let contracts = services.contracts
        var headers: HTTPFields = [.contentType: t.mediaType ?? plan.format.mediaType, .acceptRanges: "bytes"]
        let protection = plan.masking.keys.sorted().joined(separator: " ")
        headers[HTTPField.Name("Dataspace-Protection")!] =
            "masked=\"\(protection)\"" + (plan.watermarkKey == nil ? "" : "; watermark")
        var skip: Int64 = 0
        var status = HTTPResponse.Status.ok
        var contentLength: Int?
        if request.headers[.range] != nil {
            let measured: ProtectedDelivery.Outcome
            do { measured = try await ProtectedDelivery.measure(path: path, size: size, plan: plan, chunkSize: chunkSize) } catch {
                await contracts.endDelivery(slot, bytes: 0, complete: false, now: contracts.now())
                throw error
            }
            let parsed = ByteRange.parse(request.headers[.range], size: measured.length)
            if parsed != .whole && !parsed.endsAt(measured.length - 1) {
                // Refused below: the reserved delivery is not streamed by this request.
                await contracts.endDelivery(slot, bytes: 0, complete: false, now: contracts.now())
            }
            switch parsed {
            case .whole:
                contentLength = Int(measured.length)
            case .partial(let r) where r.upperBound == measured.length - 1:
                skip = r.lowerBound
                status = .partialContent
                headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound)/\(measured.length)"
                contentLength = Int(measured.length - r.lowerBound)
            case .partial:
                return Responses.problem(
                    status: .rangeNotSatisfiable, code: "range.unsupported",
                    detail: "a protected delivery resumes only with an open range (bytes=N-)")
            case .unsatisfiable:
                return Response(
                    status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(measured.length)"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "requested range not satisfiable")))
            }
            headers[HTTPField.Name("Repr-Digest")!] = "sha-256=:\(Hex.decode(measured.sha256).map { Data($0).base64EncodedString() } ?? ""):"
        }
        let rows = t.rowCount
        let chunk = chunkSize
        let start = skip
        let stream: @Sendable (inout any ResponseBodyWriter) async throws -> Void = { writer in
            var outcome: ProtectedDelivery.Outcome?
            var failure: (any Error)?
            do {
                outcome = try await ProtectedDelivery.run(path: path, size: size, plan: plan, skip: start, chunkSize: chunk) { buffer in
                    try await writer.write(buffer)
                }
                try await writer.finish(nil)
            } catch {
                failure = error
            }
            let sent = outcome?.sent ?? 0
            let complete = outcome != nil && failure == nil
            let usage = UsageRecord(
                agreementID: t.agreementID, transferID: t.id, consumer: t.counterparty, dataset: t.dataset, at: contracts.now(), bytes: sent,
                rows: complete ? rows : nil, rangeStart: start, complete: complete, sha256: outcome?.sha256 ?? sourceSHA256)
            var evidence: [EvidenceEvent] = []
            if let outcome, sent > 0 {
                evidence.append(contracts.deliveredEvidence(
                    t, slot: slot, bytes: sent, rangeStart: start, complete: complete, sha256: outcome.sha256,
                    extra: [
                        "sourceSha256": .string(sourceSHA256), "masked": .array(plan.masking.keys.sorted().map { .string($0) }),
                        "watermarked": .bool(plan.watermarkKey != nil), "maskedValues": .number(Double(outcome.statistics.maskedValues)),
                        "markedValues": .number(Double(outcome.statistics.markedValues)),
                    ]))
            }
            await contracts.endDelivery(slot, bytes: sent, complete: complete, now: contracts.now(), usage: usage, evidence: evidence)
            if let failure { throw failure }
        }
        let body = contentLength.map { ResponseBody(contentLength: $0, stream) } ?? ResponseBody(stream)
        return Response(status: status, headers: headers, body: body)
    }
}

/// An HTTP `Range` header (RFC 9110 §14) for one byte range; multiple ranges are served whole.
enum ByteRange: Equatable {
    case whole
    case partial(ClosedRange<Int64>)
    case unsatisfiable

    func endsAt(_ last: Int64) -> Bool {
        if case .partial(let r) = self { return r.upperBound == last }
        return false
    }

    static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0 else { return .unsatisfiable }
            return size == 0 ? .unsatisfiable : .partial(max(0, size - suffix)...(size - 1))
        }
        guard let start = Int64(parts[0]) else { return .whole }
        guard start < size else { return .unsatisfiable }
        let end = parts[1].isEmpty ? size - 1 : min(Int64(parts[1]) ?? (size - 1), size - 1)
        guard end >= start else { return .unsatisfiable }
        return .partial(start...end)
    }
}
