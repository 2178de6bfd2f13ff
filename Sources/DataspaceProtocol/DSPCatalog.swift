import DataspaceCore
import Foundation

/// Renders catalog records as DSP 2025-1 `Catalog` and `Dataset` messages, carrying DCAT metadata
/// with the `dct:`/`dcat:` prefixes that the DSP context defines.
public struct DSPCatalogRenderer: Sendable {
    public var participantID: String
    public var serviceID: String
    public var serviceEndpoint: String

    public init(participantID: String, serviceID: String, serviceEndpoint: String) {
        self.participantID = participantID
        self.serviceID = serviceID
        self.serviceEndpoint = serviceEndpoint
    }

    public func offerID(for record: DatasetRecord) -> String { Self.offerID(for: record) }

    /// The id of a version's offer, as the catalog shows it and negotiations refer to it.
    public static func offerID(for record: DatasetRecord) -> String {
        "\(record.identifier.description):offer:v\(record.version)"
    }

    /// A dataset inside a catalog (no `@context`) or standalone (`standalone: true`).
    public func dataset(_ record: DatasetRecord, standalone: Bool = false) -> JSONValue {
        var offer = record.offer
        offer.id = offerID(for: record)
        offer.kind = .offer
        offer.target = nil
        var o: [String: JSONValue] = [
            "@id": .string(record.identifier.description),
            "@type": "Dataset",
            "hasPolicy": [offer.json],
            "distribution": [
                [
                    "@type": "Distribution", "format": .string(DSP.pullFormat),
                    "accessService": standalone
                        ? ["@id": .string(serviceID), "@type": "DataService", "endpointURL": .string(serviceEndpoint)]
                        : .string(serviceID),
                    "dcat:mediaType": .string(record.distribution.format.mediaType),
                    "dcat:byteSize": .string(String(record.distribution.byteSize)),
                    "spdx:checksum": .string("sha256:\(record.distribution.sha256)"),
                ]
            ],
            "dct:title": .string(record.title),
            "dct:description": .string(record.description),
            "dcat:keyword": .array(record.keywords.map { .string($0) }),
            "dcat:theme": .string(record.sector.rawValue),
            "dct:spatial": .string(record.region.value),
            "dct:publisher": .string(record.publisher.did.value),
            "dct:issued": .string(ISO8601.format(record.issued)),
            "dct:modified": .string(ISO8601.format(record.modified)),
            "dct:license": .string(record.license),
            "dcat:version": .string(String(record.version)),
            "dataspace:grade": .string(record.grade.description),
        ]
        if standalone { o["@context"] = [.string(DSP.context)] }
        return .object(o)
    }

    public func catalog(_ records: [DatasetRecord]) -> JSONValue {
        var o: [String: JSONValue] = [
            "@context": [.string(DSP.context)],
            "@id": .string("\(participantID)#catalog"),
            "@type": "Catalog",
            "participantId": .string(participantID),
            "service": [["@id": .string(serviceID), "@type": "DataService", "endpointURL": .string(serviceEndpoint)]],
        ]
        // The schema requires a non-empty dataset array when present.
        if !records.isEmpty { o["dataset"] = .array(records.map { dataset($0) }) }
        return .object(o)
    }
}
