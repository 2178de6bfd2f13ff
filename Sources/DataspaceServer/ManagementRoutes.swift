import DataspaceCatalog
import DataspaceCore
import DataspaceQuality
import DataspaceIdentity
import DataspaceProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// The management API under `/api/v1`, for the node's own operator (admin token). Every route is
/// registered from its definition in `ManagementAPI`, which also writes the OpenAPI document
/// and the client's requests.
enum ManagementRoutes {
    typealias Handler = @Sendable (Request, NodeRequestContext, NodeServices) async throws -> Response

    struct Route: Sendable {
        let operation: ManagementOperation
        let handler: Handler

        init(_ operation: ManagementOperation, handler: @escaping Handler) {
            self.operation = operation
            self.handler = handler
        }

        /// Path below `/api/v1`, in OpenAPI template form.
        var path: String { operation.path }

        var method: HTTPRequest.Method { operation.method.server }
    }

    static let routes: [Route] = [
        Route(ManagementAPI.nodeInfo, handler: nodeInfo),
        Route(ManagementAPI.listDatasets, handler: listDatasets),
        Route(ManagementAPI.publish, handler: publish),
        Route(ManagementAPI.showDataset, handler: showDataset),
        Route(ManagementAPI.updateDataset, handler: updateDataset),
        Route(ManagementAPI.withdrawDataset, handler: withdrawDataset),
        Route(ManagementAPI.search, handler: search),
        Route(ManagementAPI.catalogDCAT, handler: dcat),
        Route(ManagementAPI.peerCatalog, handler: peerCatalog),
        Route(ManagementAPI.showMembership, handler: showMembership),
        Route(ManagementAPI.applyForMembership, handler: applyForMembership),
        Route(ManagementAPI.refreshMembership, handler: refreshMembership),
        Route(ManagementAPI.listApplications, handler: listApplications),
        Route(ManagementAPI.approveApplication, handler: approveApplication),
        Route(ManagementAPI.rejectApplication, handler: rejectApplication),
        Route(ManagementAPI.revokeMembership, handler: revokeMembership),
    ] + ContractManagementRoutes.routes + LedgerManagementRoutes.routes + QualityRoutes.routes + AccountManagementRoutes.routes
        + PersonTokenRoutes.routes

    /// Registers every route behind `ManagementAuthMiddleware`; a person's token must carry one
    /// of the roles `ManagementAccess` names for the operation.
    static func register(on group: RouterGroup<NodeRequestContext>, services: NodeServices) {
        for route in routes {
            let handler = route.handler
            let operation = route.operation.id
            let allowed = ManagementAccess.roles(for: operation)
            group.on(RouterPath(route.path), method: route.method) { request, context in
                if let caller = context.managementCaller, !caller.may(allowed) {
                    return Responses.problem(status: .forbidden, code: "role_required", detail: refusal(operation, allowed: allowed, caller: caller))
                }
                return await problemJSON { try await handler(request, context, services) }
            }
        }
    }

    /// Why a person's token may not call an operation, naming the roles that may.
    static func refusal(_ operation: String, allowed: Set<PersonRole>, caller: ManagementCaller) -> String {
        guard case .person(let account, _, let roles) = caller else { return "\(operation) is refused" }
        let has = roles.isEmpty ? "no role" : "the role " + roles.sorted().map(\.rawValue).joined(separator: ", ")
        guard !allowed.isEmpty else { return "\(operation) needs the node's admin token; this token of \(account.login) has \(has)" }
        return "\(operation) needs the role \(allowed.sorted().map(\.rawValue).joined(separator: " or ")); this token of \(account.login) has \(has)"
    }

    // MARK: node

    static let nodeInfo: Handler = { _, _, s in
        let membership = try await s.store.membership()
        var o: [String: JSONValue] = [
            "name": .string(s.configuration.name), "did": .string(s.did.value), "creditCode": .string(s.configuration.creditCode.value),
            "region": .string(s.configuration.region.value), "sector": .string(s.configuration.sector.rawValue),
            "publicURL": .string(s.configuration.publicURL), "authority": .bool(s.authority != nil),
            "ipv6Prefix": .string(s.configuration.ipv6Prefix.description),
            "products": .number(Double(s.catalog.index.count)),
            "ledgerKey": .string(s.ledger.log.verifier.text),
        ]
        o["software"] = .string("dataspace \(DataspaceVersion.current)")
        if let t = s.trust.authority { o["trustedAuthority"] = .string(t.value) }
        if let m = membership { o["membership"] = .string(m.status.rawValue) }
        return Responses.json(.object(o))
    }

    // MARK: datasets

    static let listDatasets: Handler = { request, _, s in
        let limit = try QueryRange.integer(request.query("limit"), field: "limit", in: 1...1_000, default: 100)
        let cursor = try request.query("after").map { text throws(ValidationError) in try UnifiedIdentifier(parsing: text) }
        let records = try await s.catalog.store.activeRecords(after: cursor, limit: limit)
        var body: [String: JSONValue] = ["items": .array(records.map(\.json))]
        if records.count == limit, let last = records.last { body["next"] = .string(last.identifier.description) }
        return Responses.json(.object(body))
    }

    /// How much of a refused upload is still read so the client sees the answer (larger ones
    /// may see the connection close instead).
    static let drainLimit = 256 << 20

    static let publish: Handler = { request, context, s in
        let metadata: PublishRequest
        let format: TabularFormat
        let upload: CatalogService.UploadOptions
        do {
            metadata = try metadataHeader(request)
            format = try TabularFormat(mediaType: request.headers[.contentType] ?? "")
            upload = try uploadOptions(request)
            do { _ = try metadata.validate() } catch let error as ValidationError { throw CatalogError(error) }
        } catch {
            // Refused before reading the upload: read (a bounded part of) it anyway, so the client
            // finishes sending and sees this answer instead of a reset connection.
            await request.discardBody(upTo: 4 << 20)
            throw error
        }
        let body = UploadStream(request.body)
        let by = context.managementCaller?.attribution
        let record: DatasetRecord
        do {
            record = try await s.publishing.run { try await s.catalog.publish(metadata, format: format, body: body, upload: upload, by: by) }
        } catch {
            // Refused mid-upload: the same courtesy, so the refusal reaches the client.
            await body.drain(upTo: Self.drainLimit)
            throw error
        }
        s.logger.info("published", metadata: ["identifier": "\(record.identifier)", "bytes": "\(record.distribution.byteSize)"])
        return Responses.json(record.json, status: .created, headers: [.location: "/api/v1/datasets/\(record.identifier)"])
    }

    static let showDataset: Handler = { request, context, s in
        let identifier = try identifierParameter(context)
        let versions = try await s.catalog.versions(identifier)
        guard let current = versions.last else { throw CatalogError(.notFound, "no product \(identifier)", field: "identifier") }
        if let v = request.query("version") {
            guard let n = Int(v), let record = versions.first(where: { $0.version == n }) else {
                throw CatalogError(.notFound, "product \(identifier) has no version \(v)", field: "version")
            }
            return Responses.json(record.json)
        }
        var body = current.json.objectValue ?? [:]
        body["versions"] = .array(versions.map { ["version": .number(Double($0.version)), "status": .string($0.status.rawValue), "modified": .string(ISO8601.format($0.modified)), "sha256": .string($0.distribution.sha256)] })
        body["ipv6"] = .string(identifier.ipv6Address(in: s.catalog.addresses.prefix).description)
        return Responses.json(.object(body))
    }

    static let updateDataset: Handler = { request, context, s in
        let identifier = try identifierParameter(context)
        let contentType = request.headers[.contentType] ?? ""
        let hasFile = !contentType.isEmpty && !contentType.hasPrefix("application/json")
        let changes: ProductChanges
        let format: TabularFormat?
        let upload: CatalogService.UploadOptions
        do {
            changes = try metadataChanges(request)
            format = hasFile ? try TabularFormat(mediaType: contentType) : nil
            upload = try uploadOptions(request)
        } catch {
            await request.discardBody(upTo: 4 << 20)
            throw error
        }
        let body = hasFile ? UploadStream(request.body) : nil
        let by = context.managementCaller?.attribution
        let record: DatasetRecord
        do {
            record = try await s.publishing.run { try await s.catalog.update(identifier, changes, format: format, body: body, upload: upload, by: by) }
        } catch {
            await body?.drain(upTo: Self.drainLimit)
            throw error
        }
        return Responses.json(record.json)
    }

    static let withdrawDataset: Handler = { _, context, s in
        let record = try await s.catalog.withdraw(try identifierParameter(context), by: context.managementCaller?.attribution)
        return Responses.json(record.json)
    }

    /// A product's identifiers and content hash for its ledger entry.
    /// Metadata travels in the `Dataspace-Metadata` header as base64url JSON, so the file itself
    /// can stream as the request body.
    static func metadataHeader(_ request: Request) throws -> PublishRequest {
        try metadataChanges(request).firstVersion()
    }

    /// The upload's `charset` and `delimiter` media-type parameters (`text/csv; charset=gb18030;
    /// delimiter=";"`); what is not given is detected.
    static func uploadOptions(_ request: Request) throws -> CatalogService.UploadOptions {
        var options = CatalogService.UploadOptions()
        // A hint for the assessment's cuts and tables (the catalog clamps it to the file limit);
        // the body itself is counted and capped as it streams.
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length >= 0 { options.expectedBytes = length }
        let parameters = (request.headers[.contentType] ?? "").split(separator: ";").dropFirst()
        for parameter in parameters {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            switch pair[0].lowercased() {
            case "charset":
                guard let encoding = SourceEncoding(name: value) else {
                    throw ValidationError(code: "charset.unsupported", field: "Content-Type", message: "charset '\(value)' is not supported; use utf-8, gb18030 (gbk) or utf-16le")
                }
                options.encoding = encoding
            case "delimiter":
                guard let delimiter = SourceForm.delimiter(named: value) else {
                    throw ValidationError(code: "delimiter.unsupported", field: "Content-Type", message: "delimiter '\(value)' is not supported; use comma, semicolon, tab or pipe")
                }
                options.delimiter = delimiter
            default: continue
            }
        }
        return options
    }

    /// The `Dataspace-Metadata` header as changes (an update may give any subset of fields).
    static func metadataChanges(_ request: Request) throws -> ProductChanges {
        guard let header = request.headers[.datasetMetadata] else {
            throw ValidationError(code: "metadata.missing", field: "Dataspace-Metadata", message: "the Dataspace-Metadata header (base64url JSON: title, description, keywords, sector …) is required")
        }
        guard let data = Base64URL.decode(header) else {
            throw ValidationError(code: "metadata.encoding", field: "Dataspace-Metadata", message: "header is not base64url")
        }
        return try productChanges(from: try JSONValue.parse(data))
    }

    static func publishRequest(from json: JSONValue) throws(ValidationError) -> PublishRequest {
        try productChanges(from: json).firstVersion()
    }

    /// The metadata members, each checked for its type; absent ones stay nil.
    static func productChanges(from json: JSONValue) throws(ValidationError) -> ProductChanges {
        guard json.objectValue != nil else {
            throw ValidationError(code: "metadata.type", field: "metadata", message: "metadata must be a JSON object")
        }
        func string(_ key: String) throws(ValidationError) -> String? {
            guard let v = json[key], v != .null else { return nil }
            guard let s = v.stringValue else { throw ValidationError(code: "metadata.type", field: key, message: "\(key) must be a string") }
            return s
        }
        func strings(_ key: String, example: String) throws(ValidationError) -> [String]? {
            guard let v = json[key], v != .null else { return nil }
            if key == "keywords", let s = v.stringValue {
                return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            guard let items = v.arrayValue else {
                throw ValidationError(code: "metadata.type", field: key, message: "\(key) must be an array of strings such as \(example)")
            }
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard let s = item.stringValue else {
                    throw ValidationError(code: "metadata.type", field: "\(key)[\(i)]", message: "\(key) must be strings such as \(example)")
                }
                out.append(s)
            }
            return out
        }
        var changes = ProductChanges()
        changes.title = try string("title")
        changes.description = try string("description")
        changes.sector = try string("sector")
        changes.keywords = try strings("keywords", example: "空气质量")
        changes.impacts = try strings("impacts", example: "public-interest:serious")
        changes.region = try string("region")
        changes.license = try string("license")
        changes.grade = try string("grade")
        changes.gradeReason = try string("gradeReason")
        changes.temporalStart = try string("temporalStart")
        changes.temporalEnd = try string("temporalEnd")
        changes.policy = json["policy"].flatMap { $0 == .null ? nil : $0 }
        changes.tier = try string("tier")
        changes.rules = try string("rules")
        changes.protection = json["protection"].flatMap { $0 == .null ? nil : $0 }
        changes.compute = json["compute"].flatMap { $0 == .null ? nil : $0 }
        changes.decidedBy = try string("decidedBy")
        if let p = json["profilePublic"], p != .null {
            guard case .bool(let b) = p else { throw ValidationError(code: "metadata.type", field: "profilePublic", message: "profilePublic must be true or false") }
            changes.profilePublic = b
        }
        return changes
    }

    // MARK: search and catalog

    static let search: Handler = { request, _, s in
        let query = try searchQuery(request)
        let (results, records) = try await s.catalog.search(query)
        return Responses.json(searchJSON(results, records: records, query: query))
    }

    static func searchQuery(_ request: Request) throws -> SearchQuery {
        let page = try QueryRange.integer(request.query("page"), field: "page", in: 1...SearchQuery.maximumPage, default: 1)
        let pageSize = try QueryRange.integer(request.query("pageSize"), field: "pageSize", in: 1...SearchQuery.maximumPageSize, default: 20)
        let grade = try request.query("grade").map { g in
            guard let level = GradeLevel(rawValue: g) else { throw ValidationError(code: "grade.unknown", field: "grade", message: "grade must be core, important or general") }
            return level
        }
        let minScore = try request.query("minScore").map { m in
            guard let v = Double(m), (0...1).contains(v) else {
                throw ValidationError(code: "min_score.invalid", field: "minScore", message: "minScore must be a number from 0 to 1")
            }
            return v
        }
        return SearchQuery(
            text: request.query("q") ?? "", sector: try request.query("sector").map { s throws(ValidationError) in try Sector(slug: s) },
            region: try request.query("region").map { r throws(ValidationError) in try RegionCode(r) }, grade: grade, minScore: minScore,
            page: page, pageSize: pageSize)
    }

    static func searchJSON(_ results: SearchResults, records: [DatasetRecord], query: SearchQuery) -> JSONValue {
        func facets(_ f: [FacetCount]) -> JSONValue { .array(f.map { ["value": .string($0.value), "count": .number(Double($0.count))] }) }
        let scores = Dictionary(results.hits.map { ($0.identifier, $0.score) }, uniquingKeysWith: { a, _ in a })
        return [
            "total": .number(Double(results.total)), "page": .number(Double(query.page)), "pageSize": .number(Double(query.pageSize)),
            "items": .array(records.map { r in
                var o = r.json.objectValue ?? [:]
                o["score"] = .number(((scores[r.identifier] ?? 0) * 1000).rounded() / 1000)
                return .object(o)
            }),
            "facets": [
                "sector": facets(results.sectors), "region": facets(results.regions), "grade": facets(results.grades),
                "score": facets(results.scores),
            ],
        ]
    }

    static let dcat: Handler = { _, _, s in
        var records: [DatasetRecord] = []
        try await s.catalog.store.forEachActive { records.append(contentsOf: $0) }
        let exporter = DCATExporter(
            baseURL: s.configuration.publicURL, catalogTitle: "\(s.configuration.name) data catalog",
            catalogDescription: "Data products published by \(s.configuration.name) (\(s.configuration.creditCode))",
            publisher: s.catalog.publisher)
        return Responses.json(exporter.graph(records), contentType: "application/ld+json")
    }

    /// Asks another node's DSP catalog, authenticating as this node.
    static let peerCatalog: Handler = { request, _, s in
        let body = try await request.jsonBody()
        guard let provider = body["provider"]?.stringValue, provider.hasPrefix("http") else {
            throw ValidationError(code: "provider.missing", field: "provider", message: "provider must be the peer's base URL")
        }
        var filter = CatalogRequestMessage.Filter()
        filter.query = body["q"]?.stringValue
        if let sector = body["sector"]?.stringValue { filter.sector = try Sector(slug: sector) }
        if let region = body["region"]?.stringValue { filter.region = try RegionCode(region) }
        let page = try QueryRange.integer(body["page"], field: "page", in: 1...SearchQuery.maximumPage, default: 1)
        let reply = try await DSPCatalogClient(services: s).requestCatalog(provider: provider.trimmingCharacters(in: CharacterSet(charactersIn: "/")), filter: filter, page: page)
        var headers = HTTPFields()
        if let link = reply.link { headers[.link] = link }
        return Responses.json(reply.catalog, headers: headers)
    }

    // MARK: membership (participant side)

    static let showMembership: Handler = { _, _, s in
        guard let m = try await s.store.membership() else {
            throw CatalogError(.notFound, "this node has not applied for membership; run 'dataspace register --authority URL'")
        }
        return Responses.json(membershipJSON(m))
    }

    static func membershipJSON(_ m: Membership) -> JSONValue {
        var o: [String: JSONValue] = [
            "authorityURL": .string(m.authorityURL), "authorityDID": .string(m.authorityDID), "applicationId": .string(m.applicationID),
            "status": .string(m.status.rawValue), "updatedAt": .string(ISO8601.format(m.updatedAt)),
        ]
        if let c = m.credential, let jws = try? CompactJWS(parsing: c), let credential = try? MembershipCredential.decode(jws) {
            o["credential"] = [
                "id": .string(credential.id), "issuer": .string(credential.issuer.value),
                "expires": .string(ISO8601.format(credential.expiresAt)), "role": .string(credential.role),
            ]
        }
        return .object(o)
    }

    static let applyForMembership: Handler = { request, _, s in
        let body = try await request.jsonBody()
        guard let url = body["authorityURL"]?.stringValue, url.hasPrefix("http") else {
            throw ValidationError(code: "authority.missing", field: "authorityURL", message: "authorityURL must be the authority's base URL")
        }
        let membership = try await MembershipClient(services: s).apply(authorityURL: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")))
        return Responses.json(membershipJSON(membership), status: membership.status == .approved ? .created : .accepted)
    }

    static let refreshMembership: Handler = { _, _, s in
        Responses.json(membershipJSON(try await MembershipClient(services: s).refresh()))
    }

    // MARK: authority administration

    static func requireAuthority(_ s: NodeServices) throws -> AuthorityService {
        guard let a = s.authority else { throw CatalogError(.notFound, "this node is not a registration authority (start it with --authority)") }
        return a
    }

    static let listApplications: Handler = { request, _, s in
        let authority = try requireAuthority(s)
        let status = try request.query("status").map { text in
            guard let st = ApplicationStatus(rawValue: text) else {
                throw ValidationError(code: "status.unknown", field: "status", message: "status must be pending, approved or rejected")
            }
            return st
        }
        let list = try await authority.store.applications(status: status)
        return Responses.json(["items": .array(list.map { IdentityRoutes.applicationJSON($0, includeCredential: false) })])
    }

    static let approveApplication: Handler = { _, context, s in
        let application = try await requireAuthority(s).approve(
            id: context.parameters.get("id") ?? "", by: context.managementCaller?.attribution ?? "admin-token")
        s.logger.info("membership approved", metadata: ["did": "\(application.profile.did.value)"])
        return Responses.json(IdentityRoutes.applicationJSON(application, includeCredential: false))
    }

    static let rejectApplication: Handler = { request, context, s in
        let body = try? await request.jsonBody()
        let reason = body?["reason"]?.stringValue ?? "rejected by the authority"
        let application = try await requireAuthority(s).reject(
            id: context.parameters.get("id") ?? "", reason: reason, by: context.managementCaller?.attribution ?? "admin-token")
        return Responses.json(IdentityRoutes.applicationJSON(application, includeCredential: false))
    }

    static let revokeMembership: Handler = { request, context, s in
        let body = try await request.jsonBody()
        guard let subject = body["subject"]?.stringValue, !subject.isEmpty else {
            throw ValidationError(code: "subject.missing", field: "subject", message: "subject must be a participant DID or an application id")
        }
        let reason = body["reason"]?.stringValue
        let application = try await requireAuthority(s).revoke(
            subject, reason: reason, by: context.managementCaller?.attribution ?? "admin-token")
        s.logger.notice("membership revoked", metadata: ["did": "\(application.profile.did.value)"])
        return Responses.json(IdentityRoutes.applicationJSON(application, includeCredential: false))
    }
}
