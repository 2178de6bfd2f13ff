import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspacePrivacy
import Foundation

/// The consumer's side of private set intersection (docs/privacy.md, "Set intersection"):
/// identifiers are hashed to the curve and blinded here with a key that lives for one run; only
/// blinded points go to the provider; the provider's points come back blinded once, are
/// blinded again here and compared with the consumer's own points the provider blinded.
extension ContractService {
    /// What a run released.
    public struct SetIntersectionResult: Sendable {
        public var runID: String
        public var output: PSITerms.Output
        public var column: String
        /// Distinct identifiers this node sent (after normalising and removing duplicates).
        public var consumerSetSize: Int
        public var providerSetSize: Int
        public var intersectionSize: Int
        /// The identifiers that matched, in the order given; only when the offer releases them.
        public var matches: [[UInt8]]?
        public var runsLeft: Int?
    }

    /// Runs one set intersection under `agreementID` with `identifiers` (normalised and
    /// deduplicated here; empty and over-long values are skipped and counted).
    /// `output: .cardinality` asks the provider to release only the size even where the offer allows more.
    public func runSetIntersection(
        agreementID: String, identifiers raw: [[UInt8]], column: String? = nil, output asked: PSITerms.Output? = nil
    ) async throws -> SetIntersectionResult {
        guard let agreement = try await store.agreement(id: agreementID) else { throw ContractNotFound("agreement", agreementID) }
        guard agreement.role == .consumer else {
            throw ComputeRefusal(status: 409, code: "agreement.role", field: "agreement", "this node is the provider of \(agreementID); set intersection is run by its consumer")
        }
        guard let n = try await store.negotiation(id: agreement.negotiationID) else { throw ContractNotFound("negotiation", agreement.negotiationID) }
        var seen = Set<[UInt8]>()
        var identifiers: [[UInt8]] = []
        identifiers.reserveCapacity(raw.count)
        for value in raw {
            guard let normalized = PSIIdentifiers.normalized(value), seen.insert(normalized).inserted else { continue }
            identifiers.append(normalized)
        }
        seen = []
        let key = PSIBlinding()
        let blinded = try await key.hashAndBlind(identifiers)
        let token = try await tokenFor(try WebDID(agreement.provider))
        let encoded = agreementID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? agreementID
        var parameters: [String] = []
        if let column, let c = column.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { parameters.append("column=" + c) }
        if let asked { parameters.append("output=" + asked.rawValue) }
        let url = n.counterpartyAddress + "/compute/\(encoded)/psi" + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
        let size = PSIBlinding.pointSize
        // The provider's set is at most what a product can hold; the deadline grows with the work.
        let limit = (identifiers.count + PSITerms.setSizeRange.upperBound) * size
        let reply = try await peers.send(
            .POST, url, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/octet-stream")], body: Data(blinded), limit: limit,
            timeout: .seconds(600 + identifiers.count / 1_000))
        guard reply.status == 200 else {
            let json = (try? reply.json()) ?? .object(["detail": .string("the provider answered \(reply.status)")])
            throw ProviderRefusal(status: reply.status, body: json)
        }
        func header(_ name: String) -> String? { reply.headers[name.lowercased()] }
        guard let runID = header(SetIntersectionHeaders.run), let output = header(SetIntersectionHeaders.output).flatMap(PSITerms.Output.init(rawValue:)),
            header(SetIntersectionHeaders.consumerCount).flatMap(Int.init) == identifiers.count,
            let providerCount = header(SetIntersectionHeaders.providerCount).flatMap(Int.init), providerCount >= 0,
            providerCount <= PSITerms.setSizeRange.upperBound,
            reply.body.count == (identifiers.count + providerCount) * size
        else {
            throw PeerError("the provider \(n.counterpartyAddress) answered a set-intersection run that does not add up; nothing was released", status: reply.status)
        }
        let body = [UInt8](reply.body)
        let theirs = try await key.blind(packed: Array(body[(identifiers.count * size)...]))
        var provider = Set<ArraySlice<UInt8>>(minimumCapacity: providerCount)
        for i in 0..<providerCount { provider.insert(theirs[i * size..<(i + 1) * size]) }
        var matches: [[UInt8]] = []
        var count = 0
        for i in 0..<identifiers.count where provider.contains(body[i * size..<(i + 1) * size]) {
            count += 1
            if output == .intersection { matches.append(identifiers[i]) }
        }
        return SetIntersectionResult(
            runID: runID, output: output, column: header(SetIntersectionHeaders.column) ?? column ?? "", consumerSetSize: identifiers.count,
            providerSetSize: providerCount, intersectionSize: count, matches: output == .intersection ? matches : nil,
            runsLeft: header(SetIntersectionHeaders.runsLeft).flatMap(Int.init))
    }

    /// The provider's refusal of a run, passed on as it answered (status, field, reason).
    public struct ProviderRefusal: Error, Sendable {
        public var status: Int
        public var body: JSONValue
    }
}
