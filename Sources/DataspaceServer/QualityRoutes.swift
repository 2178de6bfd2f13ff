import Crypto
import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceQuality
import Foundation
import HTTPTypes
import Hummingbird

/// Quality reports, grade decisions and leak tracing in the management API.
enum QualityRoutes {
    typealias Route = ManagementRoutes.Route
    typealias Handler = ManagementRoutes.Handler

    static let routes: [Route] = [
        Route(ManagementAPI.qualityReport, handler: report),
        Route(ManagementAPI.decideGrade, handler: decideGrade),
        Route(ManagementAPI.traceLeak, handler: trace),
    ]

    /// The signed report of the current (or `?version=`) version: the report, the node's
    /// detached JWS over its canonical bytes, and the catalog summary.
    static let report: Handler = { request, context, s in
        let identifier = try identifierParameter(context)
        let (record, signed) = try await signedReport(identifier, version: request.query("version"), services: s)
        return Responses.json([
            "dataset": .string(identifier.description), "version": .number(Double(record.version)),
            "summary": record.quality?.json ?? .null, "grade": .string(record.grade.description),
            "report": try JSONValue.parse(signed.json), "signature": .string(signed.signature),
            "reportSha256": .string(Hex.encode(SHA256.hash(data: Data(signed.json.utf8)))),
        ])
    }

    static func signedReport(_ identifier: UnifiedIdentifier, version: String?, services s: NodeServices) async throws -> (DatasetRecord, SignedQualityReport) {
        let n = try version.map { v throws(ValidationError) -> Int in
            guard let n = Int(v), n >= 1 else { throw ValidationError(code: "version.invalid", field: "version", message: "version must be a positive integer") }
            return n
        }
        guard let record = try await s.catalog.record(identifier, version: n) else {
            throw CatalogError(.notFound, "no product \(identifier)\(n.map { " version \($0)" } ?? "")", field: "identifier")
        }
        guard let signed = try await s.catalog.qualityReport(identifier, version: record.version) else {
            throw CatalogError(.notFound, "version \(record.version) of \(identifier) has no quality report", field: "version")
        }
        return (record, signed)
    }

    /// The publisher confirms or overrides the grade: `{"grade": "important", "reason": "…", "decidedBy": "…"}`.
    static let decideGrade: Handler = { request, context, s in
        let identifier = try identifierParameter(context)
        let body = try await request.jsonBody()
        guard let text = body["grade"]?.stringValue else {
            throw ValidationError(code: "grade.missing", field: "grade", message: "grade is required (core, important, general or general-1…4)")
        }
        let grade = try DataGrade(text)
        let reason = body["reason"]?.stringValue
        // A person's token names the person; only the admin token may say who decided.
        let by = context.managementCaller?.account?.id ?? body["decidedBy"]?.stringValue ?? "administrator of \(s.did.value)"
        let record = try await s.catalog.decideGrade(identifier, grade: grade, reason: reason, by: by)
        s.logger.info("grade decided", metadata: ["identifier": "\(identifier)", "grade": "\(grade)"])
        return Responses.json(record.json)
    }

    /// Names the agreement a leaked copy came from. Body: the leaked CSV or JSON-lines file;
    /// `?dataset=` narrows the candidates to one product's agreements.
    static let trace: Handler = { request, _, s in
        let contentType = request.headers[.contentType] ?? "text/csv"
        let format = try TabularFormat(mediaType: contentType)
        let dataset = request.query("dataset")
        // Read as it arrives, keeping only the values scored: the rest of the file (to the
        // limit) is read and dropped.
        var sample = WatermarkSample(format: format, limit: traceValueLimit)
        let limit = Int(clamping: s.configuration.maxTraceBytes)
        var received = 0
        for try await chunk in request.body {
            received += chunk.readableBytes
            // The server reads what is left and drops it, so the client still sees the 413.
            guard received <= limit else {
                throw CatalogError(.tooLarge, "a leaked file to trace is limited to \(limit >> 20) MiB on this node; send a sample of its rows", field: "body")
            }
            if !sample.isFull { chunk.withUnsafeReadableBytes { sample.feed($0) } }
        }
        sample.finish()
        let result = try await Self.trace(values: sample.values, dataset: dataset, services: s)
        return Responses.json(result)
    }

    /// At most this many marked values are scored (z grows with √n; 20,000 is far past certainty).
    static let traceValueLimit = 20_000

    static func trace(values: [Substring], dataset: String?, services s: NodeServices) async throws -> JSONValue {
        let agreements = try await s.store.agreements(limit: 1_000_000).filter { $0.role == .provider && (dataset == nil || $0.dataset == dataset) }
        let secret = s.deliverySecret
        let candidates = agreements.map { (id: $0.id, key: Watermark.key(secret: secret, agreement: $0.id)) }
        let verdict = await offCooperativeThreads { Watermark.trace(values: values, candidates: candidates) }
        let byID = Dictionary(agreements.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func describe(_ e: Watermark.Evidence) -> JSONValue {
            var o: [String: JSONValue] = [
                "agreement": .string(e.candidate), "matches": .number(Double(e.matches)), "values": .number(Double(e.values)),
                "z": .number((e.z * 100).rounded() / 100),
            ]
            if let a = byID[e.candidate] {
                o["consumer"] = .string(a.consumer)
                o["dataset"] = .string(a.dataset)
                o["agreedAt"] = .string(ISO8601.format(a.agreedAt))
            }
            return .object(o)
        }
        let marked = verdict.evidence.first?.values ?? 0
        var body: [String: JSONValue] = [
            "candidates": .number(Double(candidates.count)), "markedValues": .number(Double(marked)),
            "threshold": .number(Watermark.Trace.threshold),
            "top": .array(verdict.evidence.prefix(5).map(describe)),
        ]
        if let id = verdict.attributed, let e = verdict.evidence.first(where: { $0.candidate == id }) {
            body["attributed"] = describe(e)
        } else {
            body["attributed"] = .null
            body["explanation"] = .string(
                candidates.isEmpty ? "this node has no provider agreements to compare with"
                    : marked < 40 ? "only \(marked) values could carry a mark; at least about 40 are needed"
                    : "no agreement's watermark matches clearly (z ≥ \(Int(Watermark.Trace.threshold)) and that far ahead of the next)")
        }
        return .object(body)
    }
}
