import DataspaceCore

/// An incoming DSP negotiation or transfer message: envelope checked, process ids read, the rest
/// available by name with errors that say which member is wrong.
public struct DSPMessage: Sendable {
    public let type: String
    public let object: [String: JSONValue]

    /// Checks `@context` and that `@type` is `type`.
    public init(_ json: JSONValue, type: String) throws(ProtocolError) {
        object = try DSP.checkEnvelope(json, type: type)
        self.type = type
    }

    public func string(_ key: String) throws(ProtocolError) -> String {
        guard let value = object[key] else { throw ProtocolError(.badRequest, code: "message.\(key)", "\(type) needs '\(key)'") }
        guard let s = value.stringValue, !s.isEmpty else {
            throw ProtocolError(.badRequest, code: "message.\(key)", "\(type).\(key) must be a non-empty string, found \(value.typeName)")
        }
        return s
    }

    public func optionalString(_ key: String) throws(ProtocolError) -> String? {
        guard object[key] != nil else { return nil }
        return try string(key)
    }

    public func objectMember(_ key: String) throws(ProtocolError) -> JSONValue {
        guard let value = object[key] else { throw ProtocolError(.badRequest, code: "message.\(key)", "\(type) needs '\(key)'") }
        guard value.objectValue != nil else {
            throw ProtocolError(.badRequest, code: "message.\(key)", "\(type).\(key) must be an object, found \(value.typeName)")
        }
        return value
    }

    /// `reason` of termination and error messages (an array of strings or objects).
    public var reasons: [String] {
        (object["reason"]?.arrayValue ?? []).map { $0.stringValue ?? $0.encodedString() }
    }
}

/// Builders for every DSP 2025-1 negotiation message, in the compacted form the schemas define.
public enum DSPNegotiationMessages {
    static func envelope(_ type: String, _ members: [String: JSONValue]) -> JSONValue {
        var o = members
        o["@context"] = [.string(DSP.context)]
        o["@type"] = .string(type)
        return .object(o)
    }

    static func pids(_ providerPid: String?, _ consumerPid: String?) -> [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let providerPid { o["providerPid"] = .string(providerPid) }
        if let consumerPid { o["consumerPid"] = .string(consumerPid) }
        return o
    }

    public static func request(consumerPid: String, providerPid: String?, offer: JSONValue, callbackAddress: String?) -> JSONValue {
        var o = pids(providerPid, consumerPid)
        o["offer"] = offer
        if let callbackAddress { o["callbackAddress"] = .string(callbackAddress) }
        return envelope("ContractRequestMessage", o)
    }

    public static func offer(providerPid: String, consumerPid: String?, offer: JSONValue, callbackAddress: String?) -> JSONValue {
        var o = pids(providerPid, consumerPid)
        o["offer"] = offer
        if let callbackAddress { o["callbackAddress"] = .string(callbackAddress) }
        return envelope("ContractOfferMessage", o)
    }

    /// The agreement message carries the provider's detached signature over the canonical agreement.
    public static func agreement(providerPid: String, consumerPid: String, agreement: JSONValue, signature: String) -> JSONValue {
        var o = pids(providerPid, consumerPid)
        o["agreement"] = agreement
        o[DSP.signatureProperty] = .string(signature)
        return envelope("ContractAgreementMessage", o)
    }

    /// The verification message carries the consumer's countersignature.
    public static func verification(providerPid: String, consumerPid: String, signature: String) -> JSONValue {
        var o = pids(providerPid, consumerPid)
        o[DSP.signatureProperty] = .string(signature)
        return envelope("ContractAgreementVerificationMessage", o)
    }

    public static func event(providerPid: String, consumerPid: String, eventType: String) -> JSONValue {
        var o = pids(providerPid, consumerPid)
        o["eventType"] = .string(eventType)
        return envelope("ContractNegotiationEventMessage", o)
    }

    public static func termination(providerPid: String, consumerPid: String, code: String, reasons: [String]) -> JSONValue {
        var o = pids(providerPid, consumerPid)
        o["code"] = .string(code)
        o["reason"] = .array(reasons.map { .string($0) })
        return envelope("ContractNegotiationTerminationMessage", o)
    }

    public static func negotiation(providerPid: String, consumerPid: String, state: String) -> JSONValue {
        var o = pids(providerPid, consumerPid)
        o["state"] = .string(state)
        return envelope("ContractNegotiation", o)
    }

    /// `ContractNegotiationError`; the schema requires both pids, so an unknown one is sent empty.
    public static func error(providerPid: String?, consumerPid: String?, _ error: ProtocolError) -> JSONValue {
        var o = pids(providerPid ?? "", consumerPid ?? "")
        o["code"] = .string(error.code)
        o["reason"] = .array(error.reasons.map { .string($0) })
        return envelope("ContractNegotiationError", o)
    }
}

/// Builders for every DSP 2025-1 transfer message.
public enum DSPTransferMessages {
    public static func request(consumerPid: String, agreementID: String, format: String, callbackAddress: String) -> JSONValue {
        DSPNegotiationMessages.envelope(
            "TransferRequestMessage",
            [
                "consumerPid": .string(consumerPid), "agreementId": .string(agreementID), "format": .string(format),
                "callbackAddress": .string(callbackAddress),
            ])
    }

    public static func dataAddress(endpoint: String, token: String) -> JSONValue {
        [
            "@type": "DataAddress", "endpointType": "https://w3id.org/idsa/v4.1/HTTP", "endpoint": .string(endpoint),
            "endpointProperties": [
                ["@type": "EndpointProperty", "name": "authorization", "value": .string(token)],
                ["@type": "EndpointProperty", "name": "authType", "value": "bearer"],
            ],
        ]
    }

    public static func start(providerPid: String, consumerPid: String, dataAddress: JSONValue?) -> JSONValue {
        var o = DSPNegotiationMessages.pids(providerPid, consumerPid)
        if let dataAddress { o["dataAddress"] = dataAddress }
        return DSPNegotiationMessages.envelope("TransferStartMessage", o)
    }

    public static func completion(providerPid: String, consumerPid: String) -> JSONValue {
        DSPNegotiationMessages.envelope("TransferCompletionMessage", DSPNegotiationMessages.pids(providerPid, consumerPid))
    }

    public static func suspension(providerPid: String, consumerPid: String, code: String, reasons: [String]) -> JSONValue {
        var o = DSPNegotiationMessages.pids(providerPid, consumerPid)
        o["code"] = .string(code)
        o["reason"] = .array(reasons.map { .string($0) })
        return DSPNegotiationMessages.envelope("TransferSuspensionMessage", o)
    }

    public static func termination(providerPid: String, consumerPid: String, code: String, reasons: [String]) -> JSONValue {
        var o = DSPNegotiationMessages.pids(providerPid, consumerPid)
        o["code"] = .string(code)
        o["reason"] = .array(reasons.map { .string($0) })
        return DSPNegotiationMessages.envelope("TransferTerminationMessage", o)
    }

    public static func process(providerPid: String, consumerPid: String, state: String) -> JSONValue {
        var o = DSPNegotiationMessages.pids(providerPid, consumerPid)
        o["state"] = .string(state)
        return DSPNegotiationMessages.envelope("TransferProcess", o)
    }

    public static func error(providerPid: String?, consumerPid: String?, _ error: ProtocolError) -> JSONValue {
        var o = DSPNegotiationMessages.pids(providerPid ?? "", consumerPid ?? "")
        o["code"] = .string(error.code)
        o["reason"] = .array(error.reasons.map { .string($0) })
        return DSPNegotiationMessages.envelope("TransferError", o)
    }

    /// Reads the endpoint and bearer token of an HTTP-pull `DataAddress`.
    public static func parseDataAddress(_ json: JSONValue) throws(ProtocolError) -> (endpoint: String, token: String) {
        guard let endpoint = json["endpoint"]?.stringValue, endpoint.hasPrefix("http") else {
            throw ProtocolError(.badRequest, code: "message.dataAddress", "dataAddress.endpoint must be an http(s) URL")
        }
        let properties = json["endpointProperties"]?.arrayValue ?? []
        guard let token = properties.first(where: { $0["name"]?.stringValue == "authorization" })?["value"]?.stringValue else {
            throw ProtocolError(.badRequest, code: "message.dataAddress", "dataAddress needs an 'authorization' endpoint property")
        }
        return (endpoint, token)
    }
}
