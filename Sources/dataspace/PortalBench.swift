import ArgumentParser
import AsyncHTTPClient
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceServer
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// `dataspace bench portal`: how long the portal's pages take with a full node — 10,000 products
/// and 1,000 agreements by default — measured as round trips on loopback against a real node
/// (an upper bound of the server's time: the client's share is included). Every page a person
/// opens is timed, signed in where it needs it. See BENCHMARKS.md.
struct PortalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "portal", abstract: "Time the portal's pages on a node with many products and agreements.")

    @Option(help: "Products in the node's catalog.") var products: Int = 10_000
    @Option(help: "Agreements (this node as consumer, each with its negotiation).") var agreements: Int = 1_000
    @Option(help: "Timed requests per page.") var requests: Int = 300
    @Option(help: "Directory for the node.") var work: String = NSTemporaryDirectory() + "dataspace-bench-portal"

    func validate() throws {
        guard (1...1_000_000).contains(products), (0...100_000).contains(agreements), (10...100_000).contains(requests) else {
            throw ValidationError("--products 1–1000000, --agreements 0–100000, --requests 10–100000")
        }
    }

    func run() async throws {
        try await runReporting {
            try? FileManager.default.removeItem(atPath: work)
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let port = LoopbackPorts.free(count: 1).first ?? 18_444
            var configuration = NodeConfiguration(
                name: "基准 bench", creditCode: try CreditCode.completing("91440106MA5CXK3P7"), region: try RegionCode("440100"), sector: .urbanGovernance,
                host: "127.0.0.1", port: port, publicURL: "http://127.0.0.1:\(port)", isAuthority: true, autoApprove: false, authorityURL: nil,
                authorityDID: nil, ipv6Prefix: try IPv6Prefix("fd86::/64"), maxUploadBytes: 1 << 30, revocationCacheSeconds: 30, logLevel: "error",
                logFormat: "text", allowLoopbackPeers: true)
            // One client times every page: the per-client rate limit would time its refusals instead.
            configuration.requestsPerSecond = 1_000_000
            configuration.burst = 1_000_000
            let directory = NodeDirectory(path: work + "/node")
            try directory.initialize(configuration: configuration)
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            let services = try await NodeServices.open(directory: directory, logger: logger)

            print("loading \(products) products and \(agreements) agreements …")
            let records = BenchCorpus.records(BenchCorpus.documents(count: products), publisher: services.catalog.publisher)
            for start in stride(from: 0, to: records.count, by: 10_000) {
                try await services.store.insertFirstVersions(Array(records[start..<min(start + 10_000, records.count)]))
            }
            let person = try await services.accounts.invite(
                login: "bench.analyst", displayName: "基准 分析员", roles: [.administrator, .analyst, .auditor, .publisher], by: "admin-token")
            let account = try await services.accounts.acceptInvitation(token: person.token, password: "bench password 2026")
            let provider = "did:web:provider.example"
            for i in 0..<agreements {
                let record = records[i % records.count]
                let id = "urn:uuid:" + UUID().uuidString.lowercased()
                var n = ContractNegotiation(
                    id: id, role: .consumer, providerPid: "urn:uuid:" + UUID().uuidString.lowercased(), consumerPid: id, state: .finalized,
                    counterparty: provider, counterpartyAddress: "https://provider.example/dsp", dataset: record.identifier.description,
                    purpose: "research", offer: record.offer.json)
                n.requestedBy = account.id
                let agreement = ContractAgreement(
                    id: "urn:uuid:" + UUID().uuidString.lowercased(), negotiationID: id, role: .consumer, dataset: record.identifier.description,
                    provider: provider, consumer: services.did.value, purpose: "research", agreedAt: Date(), policy: record.offer.json,
                    providerSignature: "bench", consumerSignature: nil, recipient: RecipientFacts(did: services.did.value, sector: nil, region: nil, role: nil))
                n.agreementID = agreement.id
                try await services.store.insertNegotiation(n, agreement: agreement)
            }
            try await NodeApplication.prepare(services)
            let app = try NodeApplication.build(services: services)
            let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
            let running = Task { try await group.run() }
            defer { running.cancel() }
            let base = configuration.publicURL
            try await ManagementClient(baseURL: base, adminToken: services.adminToken).waitUntilHealthy()

            let signIn = try await services.accounts.signIn(login: "bench.analyst", password: "bench password 2026")
            let session = "dataspace_session=" + signIn.token
            let operatorCookie = try await operatorSession(base: base, token: services.adminToken)
            let queries = BenchCorpus.queries(count: 100).map { $0.text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
            let sample = stride(from: 0, to: records.count, by: max(1, records.count / 200)).map { records[$0].identifier.description }
            let pages: [(name: String, path: (Int) -> String, cookie: String?)] = [
                ("catalog home /", { _ in "/" }, nil),
                ("search /?q=…", { i in "/?q=" + queries[i % queries.count] }, nil),
                ("product page /datasets/{id}", { i in "/datasets/" + sample[i % sample.count] }, nil),
                ("account /account", { _ in "/account" }, session),
                ("requests and agreements /requests", { _ in "/requests" }, session),
                ("publishing /publisher (100 products a page)", { _ in "/publisher" }, session),
                ("evidence audit /audit", { _ in "/audit" }, session),
                ("members /authority/members", { _ in "/authority/members" }, session),
                ("operator agreements /operator/agreements", { _ in "/operator/agreements" }, operatorCookie),
            ]
            var rows: [[String]] = []
            var summary: [String: JSONValue] = ["products": .number(Double(products)), "agreements": .number(Double(agreements))]
            var worst = 0.0
            for page in pages {
                print("timing \(page.name) …")
                for i in 0..<20 { _ = try await get(base + page.path(i), cookie: page.cookie) }
                var samples: [Double] = []
                var bytes = 0
                for i in 0..<requests {
                    let t0 = ContinuousClock.now
                    bytes = try await get(base + page.path(i), cookie: page.cookie)
                    samples.append((ContinuousClock.now - t0).milliseconds)
                }
                let sorted = samples.sorted()
                let p50 = sorted[sorted.count / 2], p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
                worst = max(worst, p99)
                rows.append([page.name, String(format: "%.2f", p50), String(format: "%.2f", p99), String(format: "%.2f", sorted.last ?? 0), "\(bytes / 1024) KiB"])
                summary[page.name] = ["p50": .number(p50), "p99": .number(p99)]
            }
            await group.triggerGracefulShutdown()
            print("")
            printTable(["page (\(products) products, \(agreements) agreements, \(requests) requests each)", "p50 ms", "p99 ms", "max ms", "size"], rows)
            print(String(format: "\nworst p99: %.2f ms (goal < 50 ms)", worst))
            summary["worstP99"] = .number(worst)
            print(JSONValue.object(summary).encodedString())
            try? FileManager.default.removeItem(atPath: work)
        }
    }

    /// GETs a page; a status other than 200 fails the benchmark (a timed error page means nothing).
    func get(_ url: String, cookie: String?) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        // As a browser set to Chinese asks (the portal renders one language).
        request.headers.add(name: "Accept-Language", value: "zh-CN,zh;q=0.9,en;q=0.8")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else { throw LocalFailure("\(url) answered \(response.status.code): \(String(buffer: body).prefix(200))") }
        return body.readableBytes
    }

    /// Signs in to the operator pages with the admin token, as the form does.
    func operatorSession(base: String, token: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/operator/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")))
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = client.shutdown() }
        let response = try await client.execute(request, timeout: .seconds(30))
        guard let cookie = response.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init) else {
            throw LocalFailure("the operator sign-in gave no session (\(response.status.code))")
        }
        return cookie
    }
}
