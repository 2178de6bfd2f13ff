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
        let trace = try await s.tracing.run {
            // Read as it arrives, keeping only the values a trace may score (how many it does
            // depends on the candidates): the rest of the file (to the limit) is read and dropped.
            var sample = WatermarkSample(format: format, limit: Watermark.maximumTracedValues)
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
            return try await s.contracts.traceLeak(sample, dataset: dataset)
        }
        return Responses.json(render(trace))
    }

    /// The trace's verdict as the API answers it.
    static func render(_ trace: LeakTrace) -> JSONValue {
        func describe(_ m: LeakTrace.Match) -> JSONValue {
            let e = m.evidence
            var o: [String: JSONValue] = [
                "agreement": .string(e.candidate), "matches": .number(Double(e.matches)), "values": .number(Double(e.values)),
                "z": .number((e.z * 100).rounded() / 100),
            ]
            if let a = m.agreement {
                o["consumer"] = .string(a.consumer)
                o["dataset"] = .string(a.dataset)
                o["agreedAt"] = .string(ISO8601.format(a.agreedAt))
            }
            return .object(o)
        }
        var body: [String: JSONValue] = [
            "candidates": .number(Double(trace.candidates)), "markedValues": .number(Double(trace.markedValues)),
            "threshold": .number(trace.threshold),
            "top": .array(trace.top.map(describe)),
            "attributed": trace.attributed.map(describe) ?? .null,
        ]
        if let explanation = trace.explanation { body["explanation"] = .string(explanation) }
        if let column = trace.column { body["column"] = .string(column) }
        return .object(body)
    }
}
