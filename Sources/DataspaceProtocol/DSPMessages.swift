import DataspaceCore

/// Dataspace Protocol 2025-1 vocabulary shared by every message.
public enum DSP {
    public static let context = "https://w3id.org/dspace/2025/1/context.jsonld"
    public static let version = "2025-1"
    public static let basePath = "/dsp"
    public static let pullFormat = "HttpData-PULL"
    /// Where a party's detached agreement signature travels in agreement and verification
    /// messages: an absolute IRI, since the DSP context defines no term for it.
    public static let signatureProperty = "https://w3id.org/dataspace-node/ns#agreementSignature"

    /// Checks `@context` and `@type` of an incoming message. DSP requires compacted JSON-LD whose
    /// context array contains the 2025/1 context; we accept a lone string too and say so nowhere
    /// else, since being strict about arrays only breaks peers without adding safety.
    public static func checkEnvelope(_ json: JSONValue, type: String) throws(ProtocolError) -> [String: JSONValue] {
        guard let object = json.objectValue else {
            throw ProtocolError(.badRequest, code: "message.type", "a DSP message is a JSON object, found \(json.typeName)")
        }
        let contexts: [String]
        switch object["@context"] {
        case .string(let s)?: contexts = [s]
        case .array(let a)?: contexts = a.compactMap(\.stringValue)
        case nil: throw ProtocolError(.badRequest, code: "message.context", "@context is missing; it must contain \(context)")
        default: throw ProtocolError(.badRequest, code: "message.context", "@context must be an array of strings")
        }
        guard contexts.contains(context) else {
            throw ProtocolError(.badRequest, code: "message.context", "@context must contain \(context)")
        }
        let actual = object["@type"]?.stringValue
        guard actual == type || actual == "dspace:\(type)" else {
            throw ProtocolError(.badRequest, code: "message.type", "@type must be \(type), found \(actual ?? "nothing")")
        }
        return object
    }
}

/// `CatalogRequestMessage`. This node understands filter entries that are objects with any of
/// `q` (full text), `sector`, `region`, `grade`, `keyword`; all entries must hold.
public struct CatalogRequestMessage: Sendable, Hashable {
    public struct Filter: Sendable, Hashable {
        public var query: String?
        public var sector: Sector?
        public var region: RegionCode?
        public var grade: GradeLevel?
        public var keyword: String?

        public init(query: String? = nil, sector: Sector? = nil, region: RegionCode? = nil, grade: GradeLevel? = nil, keyword: String? = nil) {
            self.query = query
            self.sector = sector
            self.region = region
            self.grade = grade
            self.keyword = keyword
        }
    }

    public var filter: Filter

    public init(filter: Filter = Filter()) { self.filter = filter }

    public static func parse(_ json: JSONValue) throws(ProtocolError) -> CatalogRequestMessage {
        let object = try DSP.checkEnvelope(json, type: "CatalogRequestMessage")
        var filter = Filter()
        guard let entries = object["filter"] else { return CatalogRequestMessage(filter: filter) }
        guard let list = entries.arrayValue else {
            throw ProtocolError(.badRequest, code: "filter.type", "filter must be an array")
        }
        for (i, entry) in list.enumerated() {
            guard let fields = entry.objectValue else {
                throw ProtocolError(.badRequest, code: "filter.type", "filter[\(i)] must be an object such as {\"q\": \"空气\"}")
            }
            for (key, value) in fields {
                guard let text = value.stringValue else {
                    throw ProtocolError(.badRequest, code: "filter.value", "filter[\(i)].\(key) must be a string")
                }
                do {
                    switch key {
                    case "q": filter.query = text
                    case "keyword": filter.keyword = text
                    case "sector": filter.sector = try Sector(slug: text)
                    case "region": filter.region = try RegionCode(text)
                    case "grade":
                        guard let g = GradeLevel(rawValue: text) else {
                            throw ValidationError(code: "grade.unknown", message: "unknown grade '\(text)'")
                        }
                        filter.grade = g
                    default:
                        throw ProtocolError(.badRequest, code: "filter.unknown", "filter[\(i)].\(key) is not supported; use q, sector, region, grade, keyword")
                    }
                } catch let error as ValidationError {
                    throw ProtocolError(.badRequest, code: "filter.value", "filter[\(i)].\(key): \(error.message)")
                } catch let error as ProtocolError {
                    throw error
                } catch {
                    throw ProtocolError(.badRequest, code: "filter.value", "filter[\(i)].\(key): \(error)")
                }
            }
        }
        return CatalogRequestMessage(filter: filter)
    }

    public var json: JSONValue {
        var entries: [JSONValue] = []
        var f: [String: JSONValue] = [:]
        if let q = filter.query { f["q"] = .string(q) }
        if let k = filter.keyword { f["keyword"] = .string(k) }
        if let s = filter.sector { f["sector"] = .string(s.rawValue) }
        if let r = filter.region { f["region"] = .string(r.value) }
        if let g = filter.grade { f["grade"] = .string(g.rawValue) }
        if !f.isEmpty { entries.append(.object(f)) }
        return ["@context": [.string(DSP.context)], "@type": "CatalogRequestMessage", "filter": .array(entries)]
    }
}

/// `DatasetRequestMessage`: asks for one dataset by its id.
public struct DatasetRequestMessage: Sendable, Hashable {
    public var dataset: String

    public init(dataset: String) { self.dataset = dataset }

    public static func parse(_ json: JSONValue) throws(ProtocolError) -> DatasetRequestMessage {
        let object = try DSP.checkEnvelope(json, type: "DatasetRequestMessage")
        guard let id = object["dataset"]?.stringValue, !id.isEmpty else {
            throw ProtocolError(.badRequest, code: "dataset.missing", "dataset must be the requested dataset's id")
        }
        return DatasetRequestMessage(dataset: id)
    }

    public var json: JSONValue {
        ["@context": [.string(DSP.context)], "@type": "DatasetRequestMessage", "dataset": .string(dataset)]
    }
}

/// `CatalogError` body.
public func catalogErrorBody(_ error: ProtocolError) -> JSONValue {
    ["@context": [.string(DSP.context)], "@type": "CatalogError", "code": .string(error.code), "reason": [.string(error.reason)]]
}

/// `/.well-known/dspace-version` body: one 2025-1 binding at `/dsp`, authenticated with
/// self-issued ID tokens carrying an inline membership VC.
public func protocolVersionsBody(serviceID: String) -> JSONValue {
    [
        "protocolVersions": [
            [
                "version": .string(DSP.version), "path": .string(DSP.basePath), "binding": "HTTPS",
                "identifierType": "did:web", "serviceId": .string(serviceID),
                "auth": ["protocol": "dataspace-self-issued-id-token", "version": "1", "profile": ["vc-jwt-inline"]],
            ]
        ]
    ]
}
