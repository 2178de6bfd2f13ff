import DataspaceCore
import Foundation

/// Storage form of contract records: the project's JSON (sorted keys), read with the project's
/// parser. Foundation's Codable route cost more than the protocol work itself on every message.
public struct RecordDecodingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

struct JSONFields {
    let object: [String: JSONValue]
    let kind: String

    init(_ json: JSONValue, _ kind: String) throws {
        guard let o = json.objectValue else { throw RecordDecodingError("stored \(kind) is not a JSON object") }
        object = o
        self.kind = kind
    }

    func string(_ key: String) throws -> String {
        guard let s = object[key]?.stringValue else { throw RecordDecodingError("stored \(kind) lacks \(key)") }
        return s
    }

    func optionalString(_ key: String) -> String? { object[key]?.stringValue }

    func date(_ key: String) throws -> Date {
        guard let d = object[key]?.doubleValue else { throw RecordDecodingError("stored \(kind) lacks \(key)") }
        return Date(timeIntervalSince1970: d)
    }

    func optionalInt64(_ key: String) -> Int64? { object[key]?.int64Value }

    func strings(_ key: String) -> [String] { object[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    func value<T: RawRepresentable>(_ key: String, _ type: T.Type) throws -> T where T.RawValue == String {
        guard let s = object[key]?.stringValue, let v = T(rawValue: s) else { throw RecordDecodingError("stored \(kind) has no valid \(key)") }
        return v
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    mutating func set(_ key: String, _ value: String?) { if let value { self[key] = .string(value) } }
    mutating func set(_ key: String, _ value: Date?) { if let value { self[key] = .number(value.timeIntervalSince1970) } }
    mutating func set(_ key: String, _ value: Int64?) { if let value { self[key] = .number(Double(value)) } }
}

extension OutgoingMessage {
    var json: JSONValue {
        var o: [String: JSONValue] = ["url": .string(url), "body": body, "attempts": .number(Double(attempts))]
        o.set("lastError", lastError)
        return .object(o)
    }

    init(json: JSONValue) throws {
        let f = try JSONFields(json, "outgoing message")
        self.init(url: try f.string("url"), body: f.object["body"] ?? .null)
        attempts = f.object["attempts"]?.intValue ?? 0
        lastError = f.optionalString("lastError")
    }
}

extension RecipientFacts {
    var json: JSONValue {
        var o: [String: JSONValue] = ["did": .string(did)]
        o.set("sector", sector)
        o.set("region", region)
        o.set("role", role)
        return .object(o)
    }

    init(json: JSONValue) throws {
        let f = try JSONFields(json, "recipient")
        self.init(did: try f.string("did"), sector: f.optionalString("sector"), region: f.optionalString("region"), role: f.optionalString("role"))
    }
}

extension ContractNegotiation {
    /// The stored form.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(id), "role": .string(role.rawValue), "state": .string(state.rawValue), "counterparty": .string(counterparty),
            "counterpartyAddress": .string(counterpartyAddress), "dataset": .string(dataset), "offer": offer,
            "reasons": .array(reasons.map { .string($0) }),
        ]
        o.set("providerPid", providerPid)
        o.set("consumerPid", consumerPid)
        o.set("purpose", purpose)
        o.set("agreementID", agreementID)
        o.set("lastInbound", lastInbound)
        o.set("requestedBy", requestedBy)
        o.set("createdAt", createdAt)
        o.set("updatedAt", updatedAt)
        o["revision"] = .number(Double(revision))
        if let recipient { o["recipient"] = recipient.json }
        if !queue.isEmpty { o["queue"] = .array(queue.map(\.json)) }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        let f = try JSONFields(json, "negotiation")
        self.init(
            id: try f.string("id"), role: try f.value("role", ContractRole.self), providerPid: f.optionalString("providerPid"),
            consumerPid: f.optionalString("consumerPid"), state: try f.value("state", NegotiationState.self), counterparty: try f.string("counterparty"),
            counterpartyAddress: try f.string("counterpartyAddress"), dataset: try f.string("dataset"), purpose: f.optionalString("purpose"),
            offer: f.object["offer"] ?? .null, now: try f.date("createdAt"))
        updatedAt = try f.date("updatedAt")
        agreementID = f.optionalString("agreementID")
        lastInbound = f.optionalString("lastInbound")
        requestedBy = f.optionalString("requestedBy")
        reasons = f.strings("reasons")
        recipient = try f.object["recipient"].map { try RecipientFacts(json: $0) }
        queue = try (f.object["queue"]?.arrayValue ?? []).map { try OutgoingMessage(json: $0) }
        revision = f.object["revision"]?.intValue ?? 0
    }
}

extension TransferProcess {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(id), "role": .string(role.rawValue), "agreementID": .string(agreementID), "dataset": .string(dataset),
            "state": .string(state.rawValue), "counterparty": .string(counterparty), "counterpartyAddress": .string(counterpartyAddress),
            "format": .string(format), "reasons": .array(reasons.map { .string($0) }),
        ]
        o.set("providerPid", providerPid)
        o.set("consumerPid", consumerPid)
        o.set("sha256", sha256)
        o.set("mediaType", mediaType)
        o.set("credentialID", credentialID)
        o.set("credentialIssuer", credentialIssuer)
        o.set("lastInbound", lastInbound)
        o.set("byteSize", byteSize)
        o.set("rowCount", rowCount)
        o.set("createdAt", createdAt)
        o.set("updatedAt", updatedAt)
        o["revision"] = .number(Double(revision))
        if let sequence { o["sequence"] = .number(Double(sequence)) }
        if let a = dataAddress {
            var address: [String: JSONValue] = ["endpoint": .string(a.endpoint), "token": .string(a.token)]
            address.set("expiresAt", a.expiresAt)
            o["dataAddress"] = .object(address)
        }
        if !queue.isEmpty { o["queue"] = .array(queue.map(\.json)) }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        let f = try JSONFields(json, "transfer")
        self.init(
            id: try f.string("id"), role: try f.value("role", ContractRole.self), providerPid: f.optionalString("providerPid"),
            consumerPid: f.optionalString("consumerPid"), agreementID: try f.string("agreementID"), dataset: try f.string("dataset"),
            state: try f.value("state", TransferState.self), counterparty: try f.string("counterparty"), counterpartyAddress: try f.string("counterpartyAddress"),
            format: try f.string("format"), now: try f.date("createdAt"))
        updatedAt = try f.date("updatedAt")
        sha256 = f.optionalString("sha256")
        mediaType = f.optionalString("mediaType")
        credentialID = f.optionalString("credentialID")
        credentialIssuer = f.optionalString("credentialIssuer")
        lastInbound = f.optionalString("lastInbound")
        revision = f.object["revision"]?.intValue ?? 0
        byteSize = f.optionalInt64("byteSize")
        rowCount = f.optionalInt64("rowCount")
        sequence = f.object["sequence"]?.intValue
        reasons = f.strings("reasons")
        if let a = f.object["dataAddress"] {
            let af = try JSONFields(a, "data address")
            dataAddress = DataAddress(
                endpoint: try af.string("endpoint"), token: try af.string("token"), expiresAt: af.object["expiresAt"]?.doubleValue.map { Date(timeIntervalSince1970: $0) })
        }
        queue = try (f.object["queue"]?.arrayValue ?? []).map { try OutgoingMessage(json: $0) }
    }
}

extension ContractAgreement {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(id), "negotiationID": .string(negotiationID), "role": .string(role.rawValue), "dataset": .string(dataset),
            "provider": .string(provider), "consumer": .string(consumer), "policy": policy, "providerSignature": .string(providerSignature),
            "recipient": recipient.json,
        ]
        o.set("agreedAt", agreedAt)
        o.set("purpose", purpose)
        o.set("consumerSignature", consumerSignature)
        if let datasetVersion { o["datasetVersion"] = .number(Double(datasetVersion)) }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        let f = try JSONFields(json, "agreement")
        guard let policy = f.object["policy"], let recipient = f.object["recipient"] else { throw RecordDecodingError("stored agreement lacks policy") }
        self.init(
            id: try f.string("id"), negotiationID: try f.string("negotiationID"), role: try f.value("role", ContractRole.self), dataset: try f.string("dataset"),
            provider: try f.string("provider"), consumer: try f.string("consumer"), purpose: f.optionalString("purpose"), agreedAt: try f.date("agreedAt"),
            policy: policy, providerSignature: try f.string("providerSignature"), consumerSignature: f.optionalString("consumerSignature"),
            recipient: try RecipientFacts(json: recipient), datasetVersion: f.object["datasetVersion"]?.intValue)
    }
}

extension UsageRecord {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "agreementID": .string(agreementID), "transferID": .string(transferID), "consumer": .string(consumer), "dataset": .string(dataset),
            "bytes": .number(Double(bytes)), "rangeStart": .number(Double(rangeStart)), "complete": .bool(complete), "sha256": .string(sha256),
        ]
        o.set("at", at)
        o.set("rows", rows)
        return .object(o)
    }

    public init(json: JSONValue) throws {
        let f = try JSONFields(json, "usage record")
        self.init(
            agreementID: try f.string("agreementID"), transferID: try f.string("transferID"), consumer: try f.string("consumer"), dataset: try f.string("dataset"),
            at: try f.date("at"), bytes: f.optionalInt64("bytes") ?? 0, rows: f.optionalInt64("rows"), rangeStart: f.optionalInt64("rangeStart") ?? 0,
            complete: f.object["complete"] == .bool(true), sha256: try f.string("sha256"))
    }
}
