import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import Foundation

/// The consumer's side of computation in place: a query or a budget question under one of this
/// node's agreements goes to the provider's compute endpoint, authenticated like every DSP call.
extension ContractService {
    /// What the provider answered: its status and JSON body, passed on as they are so the caller
    /// sees the provider's own refusal (field and reason).
    public struct ComputeReply: Sendable {
        public var status: Int
        public var body: JSONValue
    }

    /// Sends `body` to the provider's `/dsp/compute/{agreement}/query` (or GETs `/budget` when
    /// `body` is nil) for an agreement this node holds as consumer.
    public func askProvider(agreementID: String, query body: JSONValue?) async throws -> ComputeReply {
        guard let agreement = try await store.agreement(id: agreementID) else { throw ContractNotFound("agreement", agreementID) }
        guard agreement.role == .consumer else {
            throw ComputeRefusal(status: 409, code: "agreement.role", field: "agreement", "this node is the provider of \(agreementID); queries are sent by its consumer")
        }
        guard let n = try await store.negotiation(id: agreement.negotiationID) else { throw ContractNotFound("negotiation", agreement.negotiationID) }
        let token = try await tokenFor(try WebDID(agreement.provider))
        let encoded = agreementID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? agreementID
        let url = n.counterpartyAddress + "/compute/\(encoded)/" + (body == nil ? "budget" : "query")
        var headers = [("Authorization", "Bearer \(token)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let reply = try await peers.send(
            body == nil ? .GET : .POST, url, headers: headers, body: body.map { Data($0.encodedString().utf8) }, limit: 16 << 20)
        let json: JSONValue
        do { json = try reply.json() } catch {
            throw PeerError("the provider \(n.counterpartyAddress) answered \(reply.status) without a JSON body", status: reply.status)
        }
        return ComputeReply(status: reply.status, body: json)
    }
}
