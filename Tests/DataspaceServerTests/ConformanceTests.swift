import DataspaceCatalog
import DataspaceCore
import DataspaceProtocol
import DataspaceServer
import Foundation
import Testing
import Yams

/// Every DSP message this node sends or answers validates against the DSP 2025-1 JSON Schemas,
/// and the DCAT export passes the mandatory DCAT-AP 3.0.1 SHACL shapes.
@Suite(.serialized) struct ConformanceTests {
    @Test func requirementsArePresentInCI() {
        if Conformance.isCI {
            #expect(Conformance.referenceDirectory != nil, "DATASPACE_REFERENCE must point at shared/reference in CI")
            #expect(Conformance.python(with: ["jsonschema", "referencing"]) != nil, "CI needs jsonschema (Scripts/setup-python.sh)")
            #expect(Conformance.python(with: ["pyshacl"]) != nil, "CI needs pyshacl (Scripts/setup-python.sh)")
        }
    }

    @Test(.enabled(if: Conformance.available(["jsonschema", "referencing"]) || Conformance.isCI))
    func dspMessagesValidateAgainstTheOfficialSchemas() async throws {
        let reference = try #require(Conformance.referenceDirectory)
        let python = try #require(Conformance.python(with: ["jsonschema", "referencing"]))
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let record = try await net.publish(1, [
                "title": "广州市空气质量监测数据", "description": "AQI", "sector": "green-low-carbon",
                "policy": ["permission": [["action": "use", "constraint": [["leftOperand": "purpose", "operator": "isA", "rightOperand": "research"],
                                                                            ["leftOperand": "count", "operator": "lteq", "rightOperand": "5"]]]],
                           "prohibition": [["action": "distribute"]]],
            ])
            let id = try #require(record["identifier"]?.stringValue)
            var messages: [JSONValue] = []
            func add(_ schema: String, _ message: JSONValue) { messages.append(["schema": .string(schema), "message": message]) }

            // What this node sends.
            let request = CatalogRequestMessage(filter: .init(query: "空气", sector: .greenLowCarbon))
            add("catalog/catalog-request-message-schema.json", request.json)
            add("catalog/catalog-request-message-schema.json", CatalogRequestMessage().json)
            add("catalog/dataset-request-message-schema.json", DatasetRequestMessage(dataset: id).json)
            // What it answers.
            let token = { try await net.nodes[2].token(for: net.nodes[1].did) }
            let catalog = try await raw(.POST, net.url(1) + "/dsp/catalog/request", headers: [("Authorization", try await token())], body: request.json.encoded())
            add("catalog/catalog-schema.json", try #require(catalog.json))
            let empty = try await raw(.POST, net.url(1) + "/dsp/catalog/request", headers: [("Authorization", try await token())],
                                      body: CatalogRequestMessage(filter: .init(query: "不存在的词")).json.encoded())
            add("catalog/catalog-schema.json", try #require(empty.json))
            let dataset = try await raw(.GET, net.url(1) + "/dsp/catalog/datasets/\(id)", headers: [("Authorization", try await token())])
            add("catalog/dataset-schema.json", try #require(dataset.json))
            let refused = try await raw(.POST, net.url(1) + "/dsp/catalog/request", body: request.json.encoded())
            add("catalog/catalog-error-schema.json", try #require(refused.json))
            let malformed = try await raw(.POST, net.url(1) + "/dsp/catalog/request", headers: [("Authorization", try await token())], body: Data("{}".utf8))
            add("catalog/catalog-error-schema.json", try #require(malformed.json))
            add("common/protocol-version-schema.json", try #require(try await raw(.GET, net.url(1) + "/.well-known/dspace-version").json))
            // The CatalogService entry of the DID document follows the DSP DID service schema.
            let did = try #require(try await raw(.GET, net.url(1) + "/.well-known/did.json").json)
            for service in did["service"]?.arrayValue ?? [] where service["type"]?.stringValue == "CatalogService" {
                var entry = service.objectValue ?? [:]
                entry["@context"] = did["@context"]
                add("common/did-service-schema.json", .object(entry))
            }
            // The reference examples themselves, as a check that the validator is strict enough.
            let example = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: reference + "/dsp-2025-1/catalog/example/catalog.json")))
            add("catalog/catalog-schema.json", example)

            let file = net.root + "/dsp-messages.json"
            try JSONValue.array(messages).encoded().write(to: URL(fileURLWithPath: file))
            let script = Conformance.packageRoot.appendingPathComponent("Scripts/validate_dsp.py").path
            let result = try Conformance.run(python, [script, reference, file])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.components(separatedBy: "\nok ").count + (result.output.hasPrefix("ok ") ? 1 : 0) >= messages.count)
        }
    }

    static let contractSchemas: [String: String] = [
        "ContractRequestMessage": "negotiation/contract-request-message-schema.json",
        "ContractOfferMessage": "negotiation/contract-offer-message-schema.json",
        "ContractAgreementMessage": "negotiation/contract-agreement-message-schema.json",
        "ContractAgreementVerificationMessage": "negotiation/contract-agreement-verification-message-schema.json",
        "ContractNegotiationEventMessage": "negotiation/contract-negotiation-event-message-schema.json",
        "ContractNegotiationTerminationMessage": "negotiation/contract-negotiation-termination-message-schema.json",
        "ContractNegotiation": "negotiation/contract-negotiation-schema.json",
        "ContractNegotiationError": "negotiation/contract-negotiation-error-schema.json",
        "TransferRequestMessage": "transfer/transfer-request-message-schema.json",
        "TransferStartMessage": "transfer/transfer-start-message-schema.json",
        "TransferCompletionMessage": "transfer/transfer-completion-message-schema.json",
        "TransferSuspensionMessage": "transfer/transfer-suspension-message-schema.json",
        "TransferTerminationMessage": "transfer/transfer-termination-message-schema.json",
        "TransferProcess": "transfer/transfer-process-schema.json",
        "TransferError": "transfer/transfer-error-schema.json",
    ]

    /// Every negotiation and transfer message both nodes send, and every reply they receive, in
    /// the happy path, a counter-offer, a termination, a refusal, suspension and resumption.
    @Test(.enabled(if: Conformance.available(["jsonschema", "referencing"]) || Conformance.isCI))
    func contractMessagesValidateAgainstTheOfficialSchemas() async throws {
        let reference = try #require(Conformance.referenceDirectory)
        let python = try #require(Conformance.python(with: ["jsonschema", "referencing"]))
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            net.nodes[1].contracts.tap.start()
            net.nodes[2].contracts.tap.start()
            let id = try #require(try await net.publish(1, ContractFlowTests.metadata())["identifier"]?.stringValue)
            let flows = ContractFlowTests()
            let agreed = try await flows.negotiate(net, consumer: 2, provider: 1, dataset: id, purpose: "research")
            let agreementID = try #require(agreed["agreement"]?["id"]?.stringValue)
            _ = try await flows.negotiate(net, consumer: 2, provider: 1, dataset: id, purpose: "commercial")
            let countered = try await flows.negotiate(net, consumer: 2, provider: 1, dataset: id, purpose: "research", terms: ["permission": [["action": "use"]]])
            let counteredID = try #require(countered["id"]?.stringValue)
            _ = try await net.clients[2].call(.POST, "/api/v1/negotiations/\(counteredID)/terminate", json: ["reason": "no"])

            let t = try await flows.transfer(net, consumer: 2, agreement: agreementID)
            let tid = try #require(t["id"]?.stringValue)
            _ = try await net.clients[2].call(.POST, "/api/v1/transfers/\(tid)/suspend", json: ["reason": "pause"])
            _ = try await net.clients[2].call(.POST, "/api/v1/transfers/\(tid)/resume")
            _ = try await net.clients[2].call(.GET, "/api/v1/transfers/\(tid)?wait=5")
            _ = try await net.clients[2].call(.POST, "/api/v1/transfers/\(tid)/complete")
            let second = try await flows.transfer(net, consumer: 2, agreement: agreementID)
            _ = try await net.clients[1].call(.POST, "/api/v1/transfers/\(try #require(second["providerPid"]?.stringValue))/terminate", json: ["reason": "maintenance"])
            _ = try await flows.transfer(net, consumer: 2, agreement: agreementID)  // over the count: TransferError
            _ = try await net.clients[1].call(.POST, "/api/v1/offers", json: ["consumer": .string(net.url(2)), "dataset": .string(id)])  // initial offer
            // Wait until neither node has a message still in flight.
            await net.settle()
            for client in [net.clients[1], net.clients[2]] {
                for list in ["/api/v1/negotiations", "/api/v1/transfers"] {
                    let page = try await client.call(.GET, list)
                    #expect(!(page["items"]?.arrayValue ?? []).contains { $0["pendingDelivery"] == .bool(true) }, "\(list): \(page)")
                }
            }

            // Error bodies answered to a caller that is unknown, or whose message is out of order.
            let token = { try await net.nodes[2].token(for: net.nodes[1].did) }
            let unknown = try await raw(.GET, net.url(1) + "/dsp/negotiations/urn:uuid:nope", headers: [("Authorization", try await token())])
            let badTransfer = try await raw(.GET, net.url(1) + "/dsp/transfers/urn:uuid:nope", headers: [("Authorization", try await token())])

            var messages: [JSONValue] = []
            var types: Set<String> = []
            for message in net.nodes[1].contracts.tap.recorded + net.nodes[2].contracts.tap.recorded + [try #require(unknown.json), try #require(badTransfer.json)] {
                guard let type = message["@type"]?.stringValue else { continue }
                let schema = try #require(Self.contractSchemas[type], "no schema for \(type)")
                types.insert(type)
                messages.append(["schema": .string(schema), "message": message])
            }
            #expect(types == Set(Self.contractSchemas.keys), "not exercised: \(Set(Self.contractSchemas.keys).subtracting(types).sorted())")
            let file = net.root + "/contract-messages.json"
            try JSONValue.array(messages).encoded().write(to: URL(fileURLWithPath: file))
            let result = try Conformance.run(python, [Conformance.packageRoot.appendingPathComponent("Scripts/validate_dsp.py").path, reference, file])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.components(separatedBy: "ok ").count - 1 == messages.count)
        }
    }

    @Test(.enabled(if: Conformance.available(["jsonschema", "referencing"]) || Conformance.isCI))
    func theValidatorRejectsAnInvalidMessage() throws {
        let reference = try #require(Conformance.referenceDirectory)
        let python = try #require(Conformance.python(with: ["jsonschema", "referencing"]))
        // An empty dataset array violates minItems; a wrong @type violates const.
        let bad: JSONValue = [
            ["schema": "catalog/catalog-schema.json", "message": ["@context": [.string(DSP.context)], "@id": "x", "@type": "Catalog", "participantId": "p", "dataset": []]],
            ["schema": "catalog/catalog-request-message-schema.json", "message": ["@context": [.string(DSP.context)], "@type": "Catalog"]],
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-dsp-\(UUID().uuidString).json")
        try bad.encoded().write(to: file)
        let result = try Conformance.run(python, [Conformance.packageRoot.appendingPathComponent("Scripts/validate_dsp.py").path, reference, file.path])
        #expect(result.status == 1)
        #expect(result.output.components(separatedBy: "FAIL").count == 3)
    }

    @Test(.enabled(if: Conformance.available(["pyshacl"]) || Conformance.isCI))
    func dcatExportPassesTheMandatoryShapes() async throws {
        let reference = try #require(Conformance.referenceDirectory)
        let python = try #require(Conformance.python(with: ["pyshacl"]))
        try await withNetwork([TestNetwork.bureau]) { net in
            _ = try await net.publish(0, [
                "title": "广州市空气质量监测数据", "description": "逐小时 AQI", "keywords": ["空气质量", "AQI"], "sector": "green-low-carbon",
                "temporalStart": "2026-01-01", "temporalEnd": "2026-06-30",
            ])
            _ = try await net.publish(0, ["title": "Traffic flow", "description": "15-minute counts", "sector": "transport"])
            let export = try await net.clients[0].call(.GET, "/api/v1/catalog/dcat")
            let file = net.root + "/dcat.jsonld"
            try export.encoded().write(to: URL(fileURLWithPath: file))
            let result = try Conformance.run(python, [Conformance.packageRoot.appendingPathComponent("Scripts/validate_dcat.py").path, reference, file])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("conforms: True"))

            // A dataset without its mandatory description must fail the same check.
            var graph = export["@graph"]?.arrayValue ?? []
            if let i = graph.firstIndex(where: { $0["@type"]?.stringValue == "dcat:Dataset" }), var node = graph[i].objectValue {
                node.removeValue(forKey: "dct:description")
                graph[i] = .object(node)
            }
            let broken = net.root + "/dcat-broken.jsonld"
            try JSONValue.object(["@context": export["@context"] ?? .null, "@graph": .array(graph)]).encoded().write(to: URL(fileURLWithPath: broken))
            let failing = try Conformance.run(python, [Conformance.packageRoot.appendingPathComponent("Scripts/validate_dcat.py").path, reference, broken])
            #expect(failing.status == 1, "\(failing.output)")
        }
    }
}

/// The management API is defined once (`ManagementAPI`): the routes the server registers, the
/// OpenAPI document it serves and the client's requests all come from it. These check that the
/// document rendered from it is a coherent OpenAPI description of exactly those routes.
@Suite struct OpenAPIContractTests {
    func document() throws -> JSONValue {
        let yaml = String(decoding: DataspaceServerTestHooks.openAPIDocument(), as: UTF8.self)
        #expect(yaml.hasPrefix("openapi: 3.1.0\n"))
        // Response codes are strings in OpenAPI: quoted, or YAML reads them as integers.
        #expect(yaml.contains("\n        '200':\n") && !yaml.contains("\n        200:\n"))
        // Read back with a YAML parser, then compared with the JSON form.
        let loaded = try #require(try Yams.load(yaml: yaml))
        let json = try JSONSerialization.data(withJSONObject: loaded)
        let parsed = try JSONValue.parse(json)
        #expect(parsed == DataspaceServerTestHooks.openAPIJSON(), "the YAML rendering differs from the document")
        return parsed
    }

    @Test func everyRouteIsDocumentedAndEveryOperationRouted() throws {
        let paths = try #require(try document()["paths"]?.objectValue)
        let routes = DataspaceServerTestHooks.managementRoutes()
        for (method, path) in routes {
            #expect(paths[path]?[method.lowercased()] != nil, "\(method) \(path) is not documented")
        }
        let documented = paths.flatMap { path, item in (item.objectValue ?? [:]).keys.map { "\($0.uppercased()) \(path)" } }
        #expect(Set(documented) == Set(routes.map { "\($0.method) \($0.path)" }))
        #expect(documented.count == routes.count, "an operation is routed twice")
    }

    @Test func operationsAreCompleteAndReferencesResolve() throws {
        let doc = try document()
        let paths = try #require(doc["paths"]?.objectValue)
        var ids: [String] = []
        func resolve(_ value: JSONValue) -> JSONValue {
            guard let ref = value["$ref"]?.stringValue else { return value }
            let parts = ref.split(separator: "/").dropFirst().map(String.init)
            var node: JSONValue? = doc
            for part in parts { node = node?[part] }
            if node == nil { Issue.record("\(ref) does not resolve") }
            return node ?? .null
        }
        func walkReferences(_ value: JSONValue) {
            switch value {
            case .object(let o):
                if o["$ref"] != nil { _ = resolve(value) }
                o.values.forEach(walkReferences)
            case .array(let a): a.forEach(walkReferences)
            default: break
            }
        }
        walkReferences(doc)
        for (path, item) in paths {
            let placeholders = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            for (method, operation) in item.objectValue ?? [:] {
                let where_ = "\(method.uppercased()) \(path)"
                ids.append(operation["operationId"]?.stringValue ?? "")
                #expect(operation["summary"]?.stringValue?.isEmpty == false, "\(where_) has no summary")
                let responses = operation["responses"]?.objectValue ?? [:]
                #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(where_) documents no success response")
                let parameters = (operation["parameters"]?.arrayValue ?? []).map(resolve)
                let inPath = parameters.filter { $0["in"]?.stringValue == "path" }.compactMap { $0["name"]?.stringValue }
                #expect(Set(inPath) == Set(placeholders), "\(where_) declares path parameters \(inPath), its path has \(placeholders)")
                for p in parameters where p["in"]?.stringValue == "path" {
                    #expect(p["required"] == .bool(true), "\(where_): path parameter \(p["name"]?.stringValue ?? "") must be required")
                }
            }
        }
        #expect(!ids.contains(""), "an operation has no operationId")
        #expect(Set(ids).count == ids.count, "operationIds repeat")
    }

    @Test func clientRequestsFollowTheDefinition() throws {
        #expect(try ManagementAPI.showNegotiation.requestPath(["urn:uuid:1/2"]) == "/api/v1/negotiations/urn%3Auuid%3A1%2F2")
        #expect(
            try ManagementAPI.search.requestPath([], query: ["q": "空气 & more", "page": "2", "sector": nil])
                == "/api/v1/search?q=%E7%A9%BA%E6%B0%94%20%26%20more&page=2")
        #expect(try ManagementAPI.showDataset.requestPath(["86.440100.X", "0ABC"]) == "/api/v1/datasets/86.440100.X/0ABC")
        #expect(throws: ManagementOperation.ArgumentError.self) { try ManagementAPI.showDataset.requestPath(["86.440100.X"]) }
        #expect(throws: ManagementOperation.ArgumentError.self) { try ManagementAPI.showNegotiation.requestPath([""]) }
        #expect(ManagementAPI.showDataset.pathParameters == ["prefix", "local"])
    }
}
