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
/// with non-blocking reads (memory stays flat whatever the size) and honours `Range` so a broken
/// download resumes. Who may pull what, how it is transformed and what is counted are decided by
/// `ContractService` (authorizeDataRequest, admitDelivery, deliveryPlan, recordDelivery); this
/// adapter parses, streams and renders.
enum DataPlaneRoutes {
    /// 64 KiB reads: as fast as 256 KiB–4 MiB in `dataspace bench transfer` on this machine, with
    /// the smallest peak memory (see BENCHMARKS.md).
    static let chunkSize = 64 * 1024

    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        let contracts = services.contracts
        router.get("/data/:pid/receipt") { request, context in
            await problemJSON {
                let t = try await contracts.transferForDataToken(transferID: try DSPContractRoutes.pid(context), authorization: request.headers[.authorization])
                // The delivery is recorded as the response ends; give a client that asks right
                // after its download a moment for the entry to appear.
                var deliveries = try await services.store.ledgerEntries(ref: t.id, type: LedgerEvent.Kind.transferDelivered.rawValue)
                let deadline = ContinuousClock.now + .seconds(5)
                while deliveries.isEmpty && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                    deliveries = try await services.store.ledgerEntries(ref: t.id, type: LedgerEvent.Kind.transferDelivered.rawValue)
                }
                guard let last = deliveries.last else {
                    return Responses.problem(status: .notFound, code: "receipt.none", detail: "nothing has been delivered for transfer \(t.id) yet")
                }
                let receipt = try await services.ledger.receipt(index: last.index)
                return Responses.text(receipt.text, contentType: "text/plain; charset=utf-8")
            }
        }
        router.get("/data/:pid") { request, context in
            await problemJSON {
                let data = try await contracts.authorizeDataRequest(
                    transferID: try DSPContractRoutes.pid(context), authorization: request.headers[.authorization])
                let t = data.transfer
                let size = data.size
                let range: ClosedRange<Int64>
                switch ByteRange.parse(request.headers[.range], size: size) {
                case .whole: range = 0...(size - 1)
                case .partial(let r): range = r
                case .unsatisfiable:
                    return Response(
                        status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: "requested range not satisfiable")))
                }
                let admitted = try await contracts.admitDelivery(t, now: contracts.now())
                if let plan = contracts.deliveryPlan(admitted, transfer: t) {
                    return try await protectedResponse(request: request, data: data, admitted: admitted, plan: plan, contracts: contracts)
                }
                var headers: HTTPFields = [.contentType: data.mediaType, .acceptRanges: "bytes", .eTag: "\"\(data.sha256)\""]
                headers[HTTPField.Name("Repr-Digest")!] = "sha-256=:\(Hex.decode(data.sha256).map { Data($0).base64EncodedString() } ?? ""):"
                let partial = range.count != Int(size)
                if partial { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
                let path = data.blobPath, sha256 = data.sha256
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
                    let complete = failure == nil && range.upperBound == size - 1 && sent == Int64(range.count)
                    await contracts.recordDelivery(
                        admitted, transfer: t, plan: nil,
                        outcome: DataPlaneOutcome(sent: sent, rangeStart: range.lowerBound, complete: complete, sha256: sha256))
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
        request: Request, data: AuthorizedDataRequest, admitted: AdmittedDelivery, plan: DeliveryPlan, contracts: ContractService
    ) async throws -> Response {
        let t = data.transfer
        let path = data.blobPath, size = data.size
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
                await contracts.abandonDelivery(admitted)
                throw error
            }
            let parsed = ByteRange.parse(request.headers[.range], size: measured.length)
            if parsed != .whole && !parsed.endsAt(measured.length - 1) {
                // Refused below: the admitted request streams nothing.
                await contracts.abandonDelivery(admitted)
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
            await contracts.recordDelivery(
                admitted, transfer: t, plan: plan,
                outcome: DataPlaneOutcome(
                    sent: outcome?.sent ?? 0, rangeStart: start, complete: outcome != nil && failure == nil,
                    sha256: outcome?.sha256 ?? data.sha256, statistics: outcome?.statistics))
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
