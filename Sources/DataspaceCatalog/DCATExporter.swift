import DataspaceCore
import Foundation

/// Exports records as a DCAT-AP 3 JSON-LD graph: catalog, publisher agent, datasets,
/// distributions with SPDX checksums, licences, themes (sector concepts) and periods of time,
/// meeting the mandatory DCAT-AP 3.0.1 shapes (checked with pyshacl in the test suite).
public struct DCATExporter: Sendable {
    public var baseURL: String
    public var catalogTitle: String
    public var catalogDescription: String
    public var publisher: Publisher

    public init(baseURL: String, catalogTitle: String, catalogDescription: String, publisher: Publisher) {
        self.baseURL = baseURL
        self.catalogTitle = catalogTitle
        self.catalogDescription = catalogDescription
        self.publisher = publisher
    }

    public static let context: JSONValue = [
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "spdx": "http://spdx.org/rdf/terms#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "odrl": "http://www.w3.org/ns/odrl/2/",
        "adms": "http://www.w3.org/ns/adms#",
    ]

    var catalogIRI: String { "\(baseURL)/api/v1/catalog/dcat#catalog" }
    var themeSchemeIRI: String { "\(baseURL)/vocab/sectors" }

    func datasetIRI(_ r: DatasetRecord) -> String { "\(baseURL)/resolve/\(r.identifier.description)" }

    static func literal(_ text: String, language: String? = nil) -> JSONValue {
        if let language { return ["@value": .string(text), "@language": .string(language)] }
        return .string(text)
    }

    static func typed(_ text: String, _ type: String) -> JSONValue { ["@value": .string(text), "@type": .string(type)] }

    static func ref(_ iri: String) -> JSONValue { ["@id": .string(iri)] }

    /// A language tag guess: text with any CJK character is Chinese.
    static func language(of text: String) -> String {
        text.unicodeScalars.contains { TextAnalyzer.isCJK($0.value) } ? "zh" : "en"
    }

    public func graph(_ records: [DatasetRecord]) -> JSONValue {
        var nodes: [JSONValue] = []
        var agents: [String: String] = [publisher.did.value: publisher.name]
        var sectors = Set<Sector>()
        var licenses = Set<String>()
        var catalog: [String: JSONValue] = [
            "@id": .string(catalogIRI), "@type": "dcat:Catalog",
            "dct:title": Self.literal(catalogTitle, language: Self.language(of: catalogTitle)),
            "dct:description": Self.literal(catalogDescription, language: Self.language(of: catalogDescription)),
            "dct:publisher": Self.ref(publisher.did.value),
            "dcat:themeTaxonomy": Self.ref(themeSchemeIRI),
        ]
        if !records.isEmpty { catalog["dcat:dataset"] = .array(records.map { Self.ref(datasetIRI($0)) }) }
        nodes.append(.object(catalog))

        for r in records {
            let iri = datasetIRI(r)
            agents[r.publisher.did.value] = r.publisher.name
            sectors.insert(r.sector)
            licenses.insert(r.license)
            let distIRI = "\(iri)#distribution"
            var dataset: [String: JSONValue] = [
                "@id": .string(iri), "@type": "dcat:Dataset",
                "dct:identifier": .string(r.identifier.description),
                "dct:title": Self.literal(r.title, language: Self.language(of: r.title)),
                "dct:description": Self.literal(r.description, language: Self.language(of: r.description)),
                "dcat:keyword": .array(r.keywords.map { Self.literal($0, language: Self.language(of: $0)) }),
                "dcat:theme": Self.ref("\(themeSchemeIRI)/\(r.sector.rawValue)"),
                "dct:spatial": Self.ref("http://www.stats.gov.cn/xzqh/\(r.region.value)"),
                "dct:publisher": Self.ref(r.publisher.did.value),
                "dct:issued": Self.typed(ISO8601.format(r.issued), "xsd:dateTime"),
                "dct:modified": Self.typed(ISO8601.format(r.modified), "xsd:dateTime"),
                "dcat:version": .string(String(r.version)),
                "dcat:distribution": Self.ref(distIRI),
            ]
            if let previous = r.previousVersion {
                dataset["dcat:previousVersion"] = Self.ref("\(iri)?version=\(previous)")
            }
            if let t = r.temporal {
                var period: [String: JSONValue] = ["@type": "dct:PeriodOfTime"]
                if let s = t.start { period["dcat:startDate"] = Self.typed(ISO8601.formatDate(s), "xsd:date") }
                if let e = t.end { period["dcat:endDate"] = Self.typed(ISO8601.formatDate(e), "xsd:date") }
                dataset["dct:temporal"] = .object(period)
            }
            nodes.append(.object(dataset))
            nodes.append([
                "@id": .string(distIRI), "@type": "dcat:Distribution",
                "dcat:accessURL": Self.ref("\(baseURL)/.well-known/dspace-version"),
                "dcat:mediaType": Self.ref("http://www.iana.org/assignments/media-types/\(r.distribution.format.mediaType)"),
                "dcat:byteSize": Self.typed(String(r.distribution.byteSize), "xsd:nonNegativeInteger"),
                "dct:license": Self.ref(r.license),
                "spdx:checksum": [
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": Self.ref("http://spdx.org/rdf/terms#checksumAlgorithm_sha256"),
                    "spdx:checksumValue": Self.typed(r.distribution.sha256, "xsd:hexBinary"),
                ],
            ])
        }
        for (did, name) in agents.sorted(by: { $0.key < $1.key }) {
            nodes.append(["@id": .string(did), "@type": "foaf:Agent", "foaf:name": Self.literal(name, language: Self.language(of: name))])
        }
        nodes.append([
            "@id": .string(themeSchemeIRI), "@type": "skos:ConceptScheme",
            "dct:title": Self.literal("Sectors of the national high-quality dataset plan", language: "en"),
        ])
        for s in sectors.sorted(by: { $0.rawValue < $1.rawValue }) {
            nodes.append([
                "@id": .string("\(themeSchemeIRI)/\(s.rawValue)"), "@type": "skos:Concept",
                "skos:prefLabel": [Self.literal(s.chineseLabel, language: "zh"), Self.literal(s.englishLabel, language: "en")],
                "skos:inScheme": Self.ref(themeSchemeIRI),
            ])
        }
        for l in licenses.sorted() {
            nodes.append(["@id": .string(l), "@type": "dct:LicenseDocument"])
        }
        return ["@context": Self.context, "@graph": .array(nodes)]
    }
}
