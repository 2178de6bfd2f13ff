import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspacePrivacy
import Foundation

/// The consumer's side of secure aggregation (docs/privacy.md, "Secure aggregation"): this node
/// opens a round at two aggregators, asks each provider under its agreement to hand its shares to
/// them, and adds the aggregators' two sums. Any refusal or silence aborts the round at both
/// aggregators, and nothing is released.
extension ContractService: AggregationShareDelivery {
    /// What the analyst asks.
    public struct AggregationRequest: Sendable {
        /// One agreement per provider, each granting compute with aggregateRounds.
        public var agreements: [String]
        public var column: String?
        public var groupBy: String?
        public var groups: [String]
        public var decimals: Int
        /// The two aggregator nodes' DIDs.
        public var aggregators: [String]

        public init(agreements: [String], column: String?, groupBy: String?, groups: [String], decimals: Int, aggregators: [String]) {
            self.agreements = agreements
            self.column = column
            self.groupBy = groupBy
            self.groups = groups
            self.decimals = decimals
            self.aggregators = aggregators
        }
    }

    /// A released joint result.
    public struct AggregationResult: Sendable {
        public struct Group: Sendable {
            /// The group's value of the public key; nil without grouping.
            public var key: String?
            /// Values summed (rows, when only counting), over every provider.
            public var count: Int64
            /// The joint sum × 10^decimals; nil when no column was summed.
            public var sum: Int64?
        }

        public var round: String
        public var providers: [String]
        public var column: String?
        public var groupBy: String?
        public var decimals: Int
        public var groups: [Group]
    }

    /// Runs one round; throws `ComputeRefusal` naming the agreement or aggregator at fault.
    public func runAggregation(_ request: AggregationRequest) async throws -> AggregationResult {
        let range = AggregationQuery.providersRange
        guard range.contains(request.agreements.count) else {
            throw ComputeRefusal(
                status: 422, code: "aggregate.providers", field: "agreements",
                "a round needs \(range.lowerBound) to \(range.upperBound) agreements, one per provider; \(request.agreements.count) given")
        }
        // Providers and their addresses, from this node's agreements.
        var providers: [(agreement: String, did: String, address: String)] = []
        for (i, id) in request.agreements.enumerated() {
            guard let agreement = try await store.agreement(id: id), agreement.role == .consumer,
                let n = try await store.negotiation(id: agreement.negotiationID)
            else {
                throw ComputeRefusal(status: 404, code: "agreement.unknown", field: "agreements[\(i)]", "this node holds no agreement \(id.prefix(80)) as consumer")
            }
            guard !providers.contains(where: { $0.did == agreement.provider }) else {
                throw ComputeRefusal(status: 422, code: "aggregate.providers", field: "agreements[\(i)]", "two agreements are with \(agreement.provider); a round has one per provider")
            }
            providers.append((id, agreement.provider, n.counterpartyAddress))
        }
        let round = UUID().uuidString.lowercased()
        let query = AggregationQuery(
            round: round, column: request.column, groupBy: request.groupBy, groups: request.groups, decimals: request.decimals,
            aggregators: request.aggregators, providers: providers.count)
        // The same checks a provider makes, so a bad request fails here and not at every provider.
        let checked: AggregationQuery
        do { checked = try AggregationQuery(json: query.json) } catch {
            throw ComputeRefusal(status: 422, code: error.code, field: error.field, error.message)
        }
        let aggregators = try checked.aggregators.map { try WebDID($0) }
        for (i, a) in aggregators.enumerated() where a == did || providers.contains(where: { $0.did == a.value }) {
            throw ComputeRefusal(
                status: 422, code: "aggregate.aggregators", field: "aggregators[\(i)]",
                "an aggregator must be neither this node nor a provider of the round: choose two other members that do not collude")
        }
        // Open the round at both aggregators.
        let opening = AggregationService.Opening(round: round, providers: providers.map(\.did), length: checked.length)
        for (i, a) in aggregators.enumerated() {
            do {
                _ = try await call(a, "/dsp/aggregation/rounds", opening.json)
            } catch {
                await abortRound(round, at: Array(aggregators[..<i]), reason: "aggregator \(a.value) did not open the round")
                throw ComputeRefusal(status: 502, code: "aggregate.aggregator", field: "aggregators[\(i)]", "\(a.value) did not open the round: \(error)")
            }
        }
        // Every provider hands in its shares; the first refusal aborts the round.
        let body = checked.json
        let failures = await withTaskGroup(of: (Int, String?).self) { group in
            for (i, p) in providers.enumerated() {
                group.addTask {
                    let encoded = p.agreement.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? p.agreement
                    do {
                        let token = try await tokenFor(try WebDID(p.did))
                        let reply = try await peers.send(
                            .POST, p.address + "/compute/\(encoded)/aggregate",
                            headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: Data(body.encodedString().utf8), limit: 1 << 20,
                            timeout: .seconds(600))
                        guard reply.status == 200 else {
                            let reason = Self.peerReason((try? reply.json()) ?? .null, otherwise: "answered \(reply.status)")
                            return (i, "\(p.did) refused: \(reason)")
                        }
                        return (i, nil)
                    } catch {
                        return (i, "\(p.did) could not be reached: \(error)")
                    }
                }
            }
            var failures: [(Int, String)] = []
            for await (i, failure) in group { if let failure { failures.append((i, failure)) } }
            return failures.sorted { $0.0 < $1.0 }
        }
        if let (i, reason) = failures.first {
            await abortRound(round, at: aggregators, reason: reason)
            throw ComputeRefusal(
                status: 409, code: "aggregate.aborted", field: "agreements[\(i)]",
                "\(reason); round \(round) was aborted at both aggregators and nothing was released")
        }
        // Both sums, then their sum.
        var sums: [[UInt64]] = []
        for (i, a) in aggregators.enumerated() {
            do {
                let reply = try await call(a, "/dsp/aggregation/rounds/\(round)/result", [:])
                sums.append(try ShareVector.parse(reply["values"], length: checked.length))
            } catch {
                await abortRound(round, at: Array(aggregators[(i + 1)...]), reason: "aggregator \(aggregators[i].value) did not release its sum")
                throw ComputeRefusal(status: 502, code: "aggregate.aggregator", field: "aggregators[\(i)]", "\(a.value) did not release its sum: \(error)")
            }
        }
        let joint = AdditiveShares.reveal(sums[0], sums[1])
        let keys: [String?] = checked.groups.isEmpty ? [nil] : checked.groups.map { Optional($0) }
        let groups = keys.enumerated().map { g, key in
            AggregationResult.Group(key: key, count: joint[2 * g + 1], sum: checked.column == nil ? nil : joint[2 * g])
        }
        return AggregationResult(
            round: round, providers: providers.map(\.did), column: checked.column, groupBy: checked.groupBy, decimals: checked.decimals, groups: groups)
    }

    public func deliverShare(round: String, aggregator: WebDID, values: [UInt64]) async throws {
        _ = try await call(aggregator, "/dsp/aggregation/rounds/\(round)/shares", ["values": ShareVector.json(values)])
    }

    /// Best effort: an aggregator that cannot be told keeps the round open, and an open round
    /// releases nothing until every provider's share is in.
    func abortRound(_ round: String, at aggregators: [WebDID], reason: String) async {
        for a in aggregators {
            _ = try? await call(a, "/dsp/aggregation/rounds/\(round)/abort", ["reason": .string(String(reason.prefix(500)))])
        }
    }

    /// POSTs `body` to an aggregator's DSP endpoint, authenticated for it; non-2xx answers throw
    /// with the aggregator's reason.
    func call(_ node: WebDID, _ path: String, _ body: JSONValue) async throws -> JSONValue {
        let token = try await tokenFor(node)
        let reply = try await peers.send(
            .POST, node.baseURL + path, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
            body: Data(body.encodedString().utf8), limit: 1 << 20)
        let json = (try? reply.json()) ?? .null
        guard (200..<300).contains(reply.status) else {
            throw PeerError("\(node.value) answered \(reply.status): \(Self.peerReason(json))", status: reply.status)
        }
        return json
    }

}
