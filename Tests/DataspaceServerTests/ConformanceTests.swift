import DataspaceCatalog
import DataspaceCore
import DataspaceProtocol
import DataspaceServer
import Foundation
import Testing

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

/// The OpenAPI document lists every management route with its method.
@Suite struct OpenAPIContractTests {
    @Test func everyRouteIsDocumented() throws {
        let yaml = String(decoding: DataspaceServerTestHooks.openAPIDocument(), as: UTF8.self)
        for (method, path) in DataspaceServerTestHooks.managementRoutes() {
            let pathLine = "  \(path):"
            guard let range = yaml.range(of: "\n" + pathLine + "\n") else {
                Issue.record("\(path) is not in openapi.yaml")
                continue
            }
            // The method must appear under that path, before the next path entry.
            let rest = yaml[range.upperBound...]
            let block = rest.prefix { _ in true }.components(separatedBy: "\n  /").first ?? ""
            #expect(block.contains("    \(method.lowercased()):"), "\(method) \(path) is not documented")
        }
        #expect(yaml.hasPrefix("openapi: 3.1.0"))
    }
}
