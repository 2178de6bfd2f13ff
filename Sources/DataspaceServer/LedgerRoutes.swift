import DataspaceContracts
import DataspaceCore
import DataspaceLedger
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The evidence log over HTTP. Public, as C2SP tlog-tiles and tlog-witness define them: the
/// checkpoint, tiles and entry bundles (so any tlog-tiles client can mirror the log), receipts
/// and consistency proofs, and — on a witness — `add-checkpoint`. The audit API for supervisors
/// (`/api/v1/ledger/…`) sits behind the admin token with the rest of the management API.
enum LedgerRoutes {
    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        let ledger = services.ledger
        router.get("/ledger/checkpoint") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: ledger.publishedCheckpoint)))
        }
        router.get("/ledger/tile/**") { request, context in
            let rest = context.parameters.getCatchAll().joined(separator: "/")
            return tile("tile/" + rest, ledger: ledger)
        }
        router.get("/ledger/receipt/{index}") { _, context in
            await problemJSON {
                guard let text = context.parameters.get("index"), let index = UInt64(text) else {
                    throw ValidationError(code: "index.invalid", field: "index", message: "the entry index must be a non-negative integer")
                }
                guard index < ledger.log.journaledSize else { throw ProofError("no entry \(index) (log size \(ledger.log.journaledSize))") }
                let receipt = try await ledger.receipt(index: index)
                return Responses.text(receipt.text, contentType: "text/plain; charset=utf-8")
            }
        }
        router.get("/ledger/consistency") { request, _ in
            await problemJSON {
                let old = try sizeQuery(request, "old")
                let new = try sizeQuery(request, "new")
                let proof = try ledger.log.tiles.consistencyProof(oldSize: old, newSize: new)
                return Responses.text(proof.map { $0.base64 + "\n" }.joined(), contentType: "text/plain; charset=utf-8")
            }
        }
        if ledger.isWitness {
            router.post("/ledger/witness/add-checkpoint") { request, _ in
                let buffer: ByteBuffer
                do { buffer = try await request.body.collect(upTo: 1 << 16) } catch {
                    return Responses.text("request body exceeds 64 KiB\n", status: .contentTooLarge, contentType: "text/plain; charset=utf-8")
                }
                do {
                    let lines = try await ledger.addCheckpoint(String(decoding: buffer.readableBytesView, as: UTF8.self))
                    return Responses.text(lines, contentType: "text/plain; charset=utf-8")
                } catch let error as WitnessError {
                    if case .conflict(let size, _) = error {
                        return Responses.text("\(size)\n", status: .conflict, contentType: "text/x.tlog.size")
                    }
                    return Responses.text(error.description + "\n", status: HTTPResponse.Status(code: error.status), contentType: "text/plain; charset=utf-8")
                } catch {
                    return Responses.text("internal error\n", status: .internalServerError, contentType: "text/plain; charset=utf-8")
                }
            }
        }
    }

    /// A tile or entry bundle the latest checkpoint covers. Tiles never change once written, so
    /// clients may cache them for good; anything beyond the checkpoint may still be in writing.
    static func tile(_ path: String, ledger: LedgerService) -> Response {
        guard let parsed = TilePath.parse(path) else {
            return Responses.problem(status: .notFound, code: "tile.path", detail: "\(path) is not a tlog-tiles path")
        }
        let size = ledger.log.size
        let count = parsed.level.map { size >> UInt64(TilePath.height * $0) } ?? size
        let (first, overflow) = parsed.index.multipliedReportingOverflow(by: TilePath.width)
        let (end, carry) = first.addingReportingOverflow(parsed.width)
        guard !overflow, !carry, end <= count else {
            return Responses.problem(status: .notFound, code: "tile.unknown", detail: "\(path) is beyond the log's \(size) entries")
        }
        let canonical = parsed.level.map { TilePath.tile(level: $0, index: parsed.index, width: parsed.width) }
            ?? TilePath.entries(index: parsed.index, width: parsed.width)
        guard canonical == path, let data = FileManager.default.contents(atPath: ledger.log.storageDirectory.appendingPathComponent(path).path) else {
            return Responses.problem(status: .notFound, code: "tile.unknown", detail: "no tile \(path)")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream", .cacheControl: "public, max-age=31536000, immutable"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func sizeQuery(_ request: Request, _ name: String) throws -> UInt64 {
        guard let text = request.query(name), let value = UInt64(text) else {
            throw ValidationError(code: "\(name).invalid", field: name, message: "\(name) must be a tree size (non-negative integer)")
        }
        return value
    }
}

/// The audit API: events by type and time, entries, the log's and the witnesses' status, and a
/// consumer's receipts for what it received.
enum LedgerManagementRoutes {
    typealias Route = ManagementRoutes.Route
    typealias Handler = ManagementRoutes.Handler

    static let routes: [Route] = [
        Route(ManagementAPI.ledgerStatus, handler: status),
        Route(ManagementAPI.ledgerEvents, handler: events),
        Route(ManagementAPI.ledgerEvent, handler: event),
        Route(ManagementAPI.transferReceipts, handler: transferReceipts),
        Route(ManagementAPI.fetchTransferReceipt, handler: fetchTransferReceipt),
    ]

    static let status: Handler = { _, _, s in
        let latest = s.ledger.log.latest
        let evidence = await s.ledger.evidenceStatus()
        var body: [String: JSONValue] = [
            "pendingEvidence": .number(Double(evidence.pending)),
            "origin": .string(s.ledger.origin), "verifierKey": .string(s.ledger.log.verifier.text),
            "size": .number(Double(latest.size)), "root": .string(latest.root.base64),
            "checkpoint": .string(s.ledger.publishedCheckpoint),
            // Over a shared database: whether this replica appends (the others read).
            "sequencer": .bool(s.ledger.log.isSequencer),
            "witnesses": .array(s.ledger.witnessStatus.sorted { $0.key < $1.key }.map { url, status in
                var o: [String: JSONValue] = ["url": .string(url), "at": .string(ISO8601.format(status.at))]
                if let size = status.cosignedSize { o["cosignedSize"] = .number(Double(size)) }
                if let problem = status.problem { o["problem"] = .string(problem) }
                return .object(o)
            }),
        ]
        if let failure = evidence.lastFailure {
            body["lastAppendFailure"] = ["at": .string(ISO8601.format(failure.at)), "error": .string(failure.message)]
        }
        if s.ledger.isWitness {
            body["witness"] = [
                "verifierKey": .string(s.ledger.cosigner.verifier.text),
                "logs": .array(try await s.store.witnessedLogs().map { log in
                    ["origin": .string(log.origin), "size": .number(Double(log.size)), "root": .string(log.root), "updated": .string(ISO8601.format(log.updatedAt))]
                }),
            ]
        }
        return Responses.json(.object(body))
    }

    static let events: Handler = { request, _, s in
        let type = request.query("type")
        if let type, LedgerEvent.Kind(rawValue: type) == nil {
            throw ValidationError(
                code: "type.invalid", field: "type", message: "unknown event type '\(type)'; one of \(LedgerEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var since: Int64?
        if let text = request.query("since") {
            guard let date = ISO8601.parseDateTime(text) else {
                throw ValidationError(code: "since.invalid", field: "since", message: "since must be an ISO 8601 date-time, got '\(text)'")
            }
            since = Int64(date.timeIntervalSince1970.rounded(.down))
        }
        var after: UInt64?
        if let text = request.query("after") {
            guard let value = UInt64(text) else { throw ValidationError(code: "after.invalid", field: "after", message: "after must be an entry index") }
            after = value
        }
        let limit = try QueryRange.integer(request.query("limit"), field: "limit", in: 1...1_000, default: 100)
        let rows = try await s.store.ledgerEntries(type: type, since: since, after: after, limit: limit)
        let tiles = s.ledger.log.tiles
        var items: [JSONValue] = []
        for row in rows where row.index < tiles.size {
            items.append(entryJSON(index: row.index, entry: try tiles.entry(row.index)))
        }
        var body: [String: JSONValue] = ["events": .array(items), "size": .number(Double(tiles.size))]
        if rows.count == limit, let last = rows.last { body["next"] = .string("after=\(last.index)") }
        return Responses.json(.object(body))
    }

    static let event: Handler = { _, context, s in
        guard let text = context.parameters.get("index"), let index = UInt64(text) else {
            throw ValidationError(code: "index.invalid", field: "index", message: "the entry index must be a non-negative integer")
        }
        let tiles = s.ledger.log.tiles
        guard index < tiles.size else { throw ProofError("no entry \(index) in a checkpoint yet (log size \(tiles.size))") }
        return Responses.json(entryJSON(index: index, entry: try tiles.entry(index)))
    }

    static func entryJSON(index: UInt64, entry: [UInt8]) -> JSONValue {
        let value = (try? JSONValue.parse(entry)) ?? .string(Data(entry).base64EncodedString())
        return ["index": .number(Double(index)), "event": value, "leafHash": .string(MerkleHash.leaf(entry).base64)]
    }

    static let transferReceipts: Handler = { _, context, s in
        let id = ContractManagementRoutes.id(context)
        guard let transfer = try await s.store.transfer(id: id) else { throw ContractNotFound("transfer", id) }
        let receipts = try await s.store.deliveryReceipts(transferID: transfer.id)
        return Responses.json(["transfer": .string(transfer.id), "receipts": .array(receipts.map { ["index": .number(Double($0.index)), "receipt": .string($0.receipt)] })])
    }

    /// The consumer asks the provider for its receipt of the latest delivery, checks it against
    /// the provider's published log key and keeps it.
    static let fetchTransferReceipt: Handler = { _, context, s in
        let id = ContractManagementRoutes.id(context)
        let stored = try await s.contracts.fetchDeliveryReceipt(transferID: id)
        return Responses.json(["transfer": .string(id), "index": .number(Double(stored.index)), "receipt": .string(stored.text)], status: .created)
    }
}
