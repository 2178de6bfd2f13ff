import ArgumentParser
import AsyncHTTPClient
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceQuality
import DataspaceServer
import Foundation


import Logging
import ServiceLifecycle

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start an authority and three participants on loopback and walk through registration, publishing and search.")

    @Flag(help: "Exit after the walk instead of serving until Ctrl-C.") var exit = false
    @Option(help: "Directory for the demo nodes (default: a new temporary directory, removed on exit).") var dir: String?
    @Flag(help: "Keep the demo's temporary directory on exit (its path is printed).") var keep = false

    func run() async throws {
        try await runReporting { try await DemoWalk(root: dir, keepServing: !exit, keep: keep).run() }
    }
}

/// The demo: four real nodes, each with its own port and SQLite, talking HTTP on loopback.
struct DemoWalk {
    let root: String?
    let keepServing: Bool
    var keep = false

    struct Participant {
        let name: String
        let creditBody: String
        let region: String
        let sector: String
        let isAuthority: Bool
    }

    static let cast = [
        Participant(name: "国家数据空间登记中心 National Data Space Registry", creditBody: "11110000MB1A2346X", region: "110000", sector: "urban-governance", isAuthority: true),
        Participant(name: "广州市政务服务和数据管理局", creditBody: "11440100MB2C92190", region: "440100", sector: "urban-governance", isAuthority: false),
        Participant(name: "广州智行交通科技有限公司 Zhixing Mobility", creditBody: "91440106MA5CXK3P7", region: "440106", sector: "transport", isAuthority: false),
        Participant(name: "华南城市环境研究院 South China Urban Environment Institute", creditBody: "12440000455861972", region: "440104", sector: "scientific-research", isAuthority: false),
        // A bank and a telecom operator meet in the financial data space (risk control on phone numbers).
        Participant(name: "广州农商银行 Guangzhou Rural Commercial Bank", creditBody: "91440101190449522", region: "440101", sector: "financial-services", isAuthority: false),
        Participant(name: "粤通移动通信有限公司 Yuetong Mobile", creditBody: "91440000231120387", region: "440000", sector: "financial-services", isAuthority: false),
        // Two more cities' bureaus: with Guangzhou's they add up their clinic statistics by secure aggregation.
        Participant(name: "深圳市政务服务和数据管理局", creditBody: "11440300MB2C92190", region: "440300", sector: "urban-governance", isAuthority: false),
        Participant(name: "佛山市政务服务数据管理局", creditBody: "11440600MB2C92190", region: "440600", sector: "urban-governance", isAuthority: false),
    ]

    func step(_ n: Int, _ text: String) {
        print("\n\u{001B}[1m[\(n)] \(text)\u{001B}[0m")
    }

    func run() async throws {
        let base = root ?? (NSTemporaryDirectory() + "dataspace-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        // A directory the demo made is removed when it ends, however it ends, unless --keep.
        defer {
            if root == nil && !keep {
                try? FileManager.default.removeItem(atPath: base)
                print("removed \(base) (run with --keep to keep it)")
            } else {
                print("the demo's nodes stay in \(base)")
            }
        }
        try await walk(base)
    }

    /// Where each node's portal, operator pages and evidence log are, and its admin token.
    func printPortals(_ services: [NodeServices], base: String) {
        print("\nPortals (admin tokens in \(base)/node<N>/admin.token):")
        for (i, node) in services.enumerated() {
            let url = node.configuration.publicURL
            print("  \(Self.cast[i].name)")
            print("      portal \(url)/   operator \(url)/operator/login   evidence log \(url)/ledger   token \(base)/node\(i)/admin.token")
        }
    }

    func walk(_ base: String) async throws {
        let ports = LoopbackPorts.free(count: Self.cast.count)
        guard ports.count == Self.cast.count else { throw PeerError("could not find free loopback ports") }

        step(1, "Creating \(Self.cast.count) nodes in \(base)")
        var services: [NodeServices] = []
        var logger = Logger(label: "demo")
        logger.logLevel = ProcessInfo.processInfo.environment["DATASPACE_DEMO_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        for (i, p) in Self.cast.enumerated() {
            let dir = base + "/node\(i)"
            let configuration = NodeConfiguration(
                name: p.name, creditCode: try CreditCode.completing(p.creditBody), region: try RegionCode(p.region), sector: try Sector(slug: p.sector),
                host: "127.0.0.1", port: ports[i], publicURL: "http://127.0.0.1:\(ports[i])", isAuthority: p.isAuthority, autoApprove: false,
                authorityURL: nil, authorityDID: nil, ipv6Prefix: try IPv6Prefix("fd86:\(String(format: "%x", 0x4401 + i))::/64"),
                maxUploadBytes: 1 << 30, revocationCacheSeconds: 0, logLevel: "warning", logFormat: "text", allowLoopbackPeers: true)
            var configured = configuration
            // The four nodes share 127.0.0.1, so the per-client limit would count them as one.
            configured.requestsPerSecond = 100_000
            configured.burst = 100_000
            // The bureau's sector rule: health records of 1,000 people or more are important data.
            if i == 1 { configured.importantScale = 1_000 }
            let directory = NodeDirectory(path: dir)
            if !directory.exists { try directory.initialize(configuration: configured) }
            let node = try await NodeServices.open(directory: directory, logger: logger)
            try await NodeApplication.prepare(node)
            services.append(node)
            print("  \(p.isAuthority ? "authority  " : "participant") \(p.name)")
            print("              \(node.did.value)  credit code \(node.configuration.creditCode)")
        }
        var apps: [any Service] = []
        for node in services { apps.append(try NodeApplication.build(services: node)) }
        let group = ServiceGroup(services: apps, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }
        let clients = services.map { ManagementClient(baseURL: $0.configuration.publicURL, adminToken: $0.adminToken) }
        for client in clients { try await client.waitUntilHealthy() }
        printPortals(services, base: base)

        let authority = clients[0], bureau = clients[1], enterprise = clients[2], institute = clients[3], bank = clients[4], telecom = clients[5]
        let shenzhen = clients[6], foshan = clients[7]
        let authorityURL = services[0].configuration.publicURL

        step(2, "Participants apply to the authority; its admin approves; they fetch their membership credentials")
        for client in [bureau, enterprise, institute, bank, telecom, shenzhen, foshan] {
            let reply = try await client.call(ManagementAPI.applyForMembership, json: ["authorityURL": .string(authorityURL)])
            print("  applied: \(reply["applicationId"]?.stringValue ?? "") → \(reply["status"]?.stringValue ?? "")")
        }
        let pending = try await authority.call(ManagementAPI.listApplications, query: ["status": "pending"])
        for application in pending["items"]?.arrayValue ?? [] {
            let id = application["id"]?.stringValue ?? ""
            _ = try await authority.call(ManagementAPI.approveApplication, id)
            print("  approved \(application["name"]?.stringValue ?? "") (\(application["creditCode"]?.stringValue ?? ""))")
        }
        for client in [bureau, enterprise, institute, bank, telecom, shenzhen, foshan] {
            let m = try await client.call(ManagementAPI.refreshMembership)
            print("  credential \(m["credential"]?["id"]?.stringValue ?? "-") valid until \(m["credential"]?["expires"]?.stringValue ?? "-")")
        }

        step(3, "Publishing generated datasets (streamed, validated, content-addressed)")
        let files = base + "/files"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        struct Product { let client: ManagementClient; let file: String; let body: String; let meta: JSONValue }
        let products = [
            Product(client: bureau, file: "air-quality.csv", body: DemoData.airQuality(), meta: [
                "title": "广州市空气质量监测数据（小时值）", "description": "广州市11个国控空气质量监测站点的逐小时AQI、PM2.5、PM10、NO2、O3、SO2、CO浓度。Hourly air quality readings from 11 national monitoring stations in Guangzhou.",
                "keywords": ["空气质量", "AQI", "PM2.5", "环境监测", "air quality"], "sector": "green-low-carbon", "region": "440100",
                "temporalStart": "2026-10-01", "temporalEnd": "2026-10-12",
                "policy": ["permission": [["action": "use", "constraint": [["leftOperand": "purpose", "operator": "isA", "rightOperand": "research"]]]]],
            ]),
            Product(client: bureau, file: "traffic-flow.csv", body: DemoData.trafficFlow(), meta: [
                "title": "广州市主要道路交通流量数据", "description": "十条主干道每15分钟的车流量、平均车速与拥堵指数。Traffic flow on ten arterial roads in 15-minute intervals.",
                "keywords": ["交通流量", "拥堵指数", "traffic flow", "道路"], "sector": "transport", "region": "440100",
                "policy": ["permission": [[
                    "action": "use",
                    "constraint": [
                        ["leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["research", "public-service"]],
                        ["leftOperand": "count", "operator": "lteq", "rightOperand": "2"],
                    ],
                    "duty": [["action": "compensate", "constraint": [
                        ["leftOperand": "payAmount", "operator": "eq", "rightOperand": "9.90"], ["leftOperand": "unit", "operator": "eq", "rightOperand": "CNY"]]]],
                ]]],
            ]),
            Product(client: bureau, file: "parking.jsonl", body: DemoData.parkingLots(), meta: [
                "title": "广州市公共停车场泊位信息", "description": "全市公共停车场位置、总泊位与实时空余泊位。Public car parks with capacity and free spaces.",
                "keywords": ["停车场", "泊位", "parking"], "sector": "urban-governance", "region": "440100",
            ]),
            Product(client: enterprise, file: "enterprises.csv", body: DemoData.enterpriseRegistry(), meta: [
                "title": "广州市企业登记信息摘要", "description": "企业统一社会信用代码、名称、类型、注册资本、成立日期与所属行业。Registry extract of enterprises in Guangzhou.",
                "keywords": ["企业登记", "统一社会信用代码", "enterprise registry"], "sector": "social-credit", "region": "440100",
                "policy": ["permission": [["action": "use", "constraint": [["leftOperand": "purpose", "operator": "isA", "rightOperand": "commercial"]]]]],
            ]),
            Product(client: enterprise, file: "ride-hailing.jsonl", body: DemoData.rideHailing(), meta: [
                "title": "Ride-hailing trip statistics, Guangzhou", "description": "Hourly ride-hailing trips, distances and fares by origin district over two weeks.",
                "keywords": ["ride-hailing", "mobility", "网约车"], "sector": "transport", "region": "440106",
            ]),
            Product(client: institute, file: "heat-island.csv", body: DemoData.heatIsland(), meta: [
                "title": "广州城市热岛效应观测数据", "description": "十个观测点的气温、地表温度与相对湿度，用于城市热岛研究。Urban heat island observations at ten sites.",
                "keywords": ["城市热岛", "气温", "urban heat island"], "sector": "meteorology", "region": "440104",
            ]),
            Product(client: institute, file: "pm25-sources.csv", body: DemoData.sourceApportionment(), meta: [
                "title": "PM2.5 source apportionment samples, Guangzhou 2025", "description": "Receptor-model source shares (vehicles, industry, dust, secondary aerosol, biomass) for PM2.5 samples; 空气污染来源解析。",
                "keywords": ["PM2.5", "空气污染", "source apportionment"], "sector": "scientific-research", "region": "440100",
            ]),
        ]
        var identifiers: [String: String] = [:]
        for product in products {
            let path = files + "/" + product.file
            try product.body.write(toFile: path, atomically: true, encoding: .utf8)
            let record = try await product.client.publish(file: path, metadata: product.meta)
            identifiers[product.file] = record["identifier"]?.stringValue
            print("  \(record["identifier"]?.stringValue ?? "")  \(record["title"]?.stringValue ?? "")  (\((record["distribution"]?["rowCount"]?.intValue ?? 0)) rows)")
        }

        step(4, "A malformed file is refused and leaves nothing behind")
        let ragged = files + "/ragged.csv"
        try "a,b,c\n1,2,3\n4,5\n".write(toFile: ragged, atomically: true, encoding: .utf8)
        do {
            _ = try await bureau.publish(file: ragged, metadata: ["title": "坏文件", "description": "ragged rows", "sector": "transport"])
        } catch let failure as ManagementClient.Failure {
            print("  refused: \(failure)")
        }

        step(5, "Bilingual search on the bureau's catalog (exact CJK matching, facets)")
        for query in ["空气质量", "空气", "traffic 流量", "停车"] {
            let reply = try await bureau.call(ManagementAPI.search, query: ["q": query])
            let titles = (reply["items"]?.arrayValue ?? []).compactMap { $0["title"]?.stringValue }
            print("  \(query) → \((reply["total"]?.intValue ?? 0)) hit(s): \(titles.joined(separator: " | "))")
        }
        let research = try await institute.call(ManagementAPI.search, query: ["q": "PM2.5"])
        print("  PM2.5 on the institute → \((research["items"]?.arrayValue ?? []).compactMap { $0["title"]?.stringValue }.joined(separator: " | "))")

        step(6, "The institute asks the bureau's catalog over the Dataspace Protocol (ID token + membership credential)")
        let catalog = try await institute.call(ManagementAPI.peerCatalog, json: ["provider": .string(services[1].configuration.publicURL), "q": "空气"])
        for d in catalog["dataset"]?.arrayValue ?? [] {
            print("  \(d["@id"]?.stringValue ?? "")  \(d["dct:title"]?.stringValue ?? "")  offer: \(d["hasPolicy"]?.arrayValue?.first?.encodedString() ?? "")")
        }
        let anonymous = try await HTTPClient.shared.execute(
            { var r = HTTPClientRequest(url: services[1].configuration.publicURL + "/dsp/catalog/request"); r.method = .POST; return r }(), timeout: .seconds(10))
        print("  the same request without a token → \(anonymous.status.code) \(String(buffer: try await anonymous.body.collect(upTo: 1 << 16)))")

        step(7, "Versions and withdrawal keep the index exact")
        if let air = identifiers["air-quality.csv"] {
            let v2 = try await bureau.publish(file: nil, metadata: [
                "title": "广州市空气质量监测数据（小时值，含臭氧八小时）", "description": "新增O3八小时滑动平均。Adds 8-hour ozone averages.",
                "keywords": ["空气质量", "臭氧", "air quality"], "sector": "green-low-carbon", "region": "440100",
            ], identifier: air)
            print("  \(air) now at version \((v2["version"]?.intValue ?? 0)) (previous \((v2["previousVersion"]?.intValue ?? 0)))")
        }
        if let parking = identifiers["parking.jsonl"] {
            _ = try await bureau.call(ManagementAPI.withdrawDataset, try UnifiedIdentifier(parsing: parking).prefix, try UnifiedIdentifier(parsing: parking).local)
            let after = try await bureau.call(ManagementAPI.search, query: ["q": "停车"])
            print("  withdrew \(parking); search 停车 now finds \((after["total"]?.intValue ?? 0))")
        }

        step(8, "Identifiers resolve anywhere: via the authority's redirect, and by IPv6 address")
        if let traffic = identifiers["traffic-flow.csv"] {
            let resolved = try await authority.call(.GET, "/resolve/\(traffic)")
            print("  authority resolves \(traffic) → \(resolved["title"]?.stringValue ?? "") at \(resolved["ipv6"]?.stringValue ?? "")")
            if let ipv6 = resolved["ipv6"]?.stringValue {
                let back = try await bureau.call(.GET, "/resolve/ipv6/\(ipv6)")
                print("  \(ipv6) → \(back["identifier"]?.stringValue ?? "")")
            }
        }

        step(9, "The institute negotiates contracts (DSP, ODRL evaluated against its credential and purpose) and fetches data")
        let bureauURL = services[1].configuration.publicURL, enterpriseURL = services[2].configuration.publicURL
        func negotiate(_ provider: String, _ file: String, _ purpose: String) async throws -> JSONValue {
            let started = try await institute.call(
                ManagementAPI.negotiate, json: ["provider": .string(provider), "dataset": .string(identifiers[file] ?? ""), "purpose": .string(purpose)])
            return try await institute.call(ManagementAPI.showNegotiation, started["id"]?.stringValue ?? "", query: ["wait": "30"])
        }
        var receipts: [String] = []
        func fetch(_ agreement: String, to name: String) async throws -> String {
            let started = try await institute.call(ManagementAPI.startTransfer, json: ["agreement": .string(agreement)])
            let id = started["id"]?.stringValue ?? ""
            let t = try await institute.call(ManagementAPI.showTransfer, id, query: ["wait": "30"])
            guard t["state"]?.stringValue == "STARTED", let endpoint = t["dataAddress"]?["endpoint"]?.stringValue,
                let token = t["dataAddress"]?["token"]?.stringValue
            else {
                return "refused: " + (t["reasons"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? t["state"]?.stringValue ?? "?")
            }
            let result = try await DataPlaneClient().download(endpoint: endpoint, token: token, to: files + "/" + name)
            _ = try await institute.call(ManagementAPI.completeTransfer, id)
            let receipt = try await institute.call(ManagementAPI.fetchTransferReceipt, id)
            receipts.append(receipt["receipt"]?.stringValue ?? "")
            return "\(result.bytes) bytes, sha-256 \(result.sha256.prefix(16))… verified; provider receipt: entry \((receipt["index"]?.intValue ?? -1)) of its log"
        }
        var agreements: [String: String] = [:]
        for (file, purpose) in [("air-quality.csv", "research.medical"), ("traffic-flow.csv", "research")] {
            let n = try await negotiate(bureauURL, file, purpose)
            let a = n["agreement"]
            agreements[file] = a?["id"]?.stringValue
            print("  \(file) for \(purpose): \(n["state"]?.stringValue ?? "")  agreement \(a?["id"]?.stringValue ?? "-")")
            print("      signed by both (agreement sha-256 \(a?["sha256"]?.stringValue?.prefix(16) ?? "")…), uses left: \(a?["remainingUses"]?.intValue.map { String($0) } ?? "unlimited")\(a?["compensation"].map { ", pays \($0["amount"]?.doubleValue ?? 0) \($0["unit"]?.stringValue ?? "") per delivery" } ?? "")")
        }
        for (file, agreement) in agreements.sorted(by: { $0.key < $1.key }) {
            print("  fetch \(file): \(try await fetch(agreement, to: "received-" + file))")
        }
        let refused = try await negotiate(enterpriseURL, "enterprises.csv", "research")
        print("  enterprises.csv for research: \(refused["state"]?.stringValue ?? "")")
        for reason in refused["reasons"]?.arrayValue ?? [] { print("      reason: \(reason.stringValue ?? "")") }
        if let traffic = agreements["traffic-flow.csv"] {
            print("  fetch traffic-flow.csv again (delivery 2 of 2): \(try await fetch(traffic, to: "received-traffic-2.csv"))")
            print("  fetch traffic-flow.csv a third time: \(try await fetch(traffic, to: "received-traffic-3.csv"))")
        }
        let usage = try await bureau.call(ManagementAPI.listUsage)
        for s in usage["summary"]?.arrayValue ?? [] {
            print("  bureau usage \(s["agreement"]?.stringValue ?? ""): \((s["completeDeliveries"]?.intValue ?? 0)) deliveries, \((s["bytes"]?.intValue ?? 0)) bytes, \((s["rows"]?.intValue ?? 0)) rows")
        }

        step(10, "The authority revokes the enterprise; its next catalog request is refused")
        _ = try await authority.call(ManagementAPI.revokeMembership, json: ["subject": .string(services[2].did.value)])
        do {
            _ = try await enterprise.call(ManagementAPI.peerCatalog, json: ["provider": .string(services[1].configuration.publicURL)])
            print("  unexpected: the request succeeded")
        } catch let failure as ManagementClient.Failure {
            print("  refused: \(failure.detail)")
        }

        step(11, "Quality and grading: identity and phone numbers make a dataset important; it leaves masked and watermarked; a leak is traced")
        let people = files + "/outpatient-settlements.csv"
        let peopleCSV = SyntheticPeople.csv(rows: 3_000, seed: 2026, defects: true)
        try peopleCSV.write(toFile: people, atomically: true, encoding: .utf8)
        let graded = try await bureau.publish(file: people, metadata: [
            "title": "广州市门诊结算样本（合成）", "description": "门诊结算记录：身份证号、手机号、就诊日期、金额。Synthetic outpatient settlements with identity and phone numbers.",
            "keywords": ["医保", "门诊", "outpatient"], "sector": "healthcare", "region": "440100", "tier": "industry-professional-knowledge",
            "rules": "columns:\n  patient_id: {type: string, required: true, unique: true}\n  amount: {type: decimal, min: 0, max: 10000}\n  visit_date: {type: date, required: true}\nchecks:\n  - copay <= amount\n",
        ])
        let peopleID = graded["identifier"]?.stringValue ?? ""
        let report = try await bureau.call(ManagementAPI.qualityReport, try UnifiedIdentifier(parsing: peopleID).prefix, try UnifiedIdentifier(parsing: peopleID).local)
        print("  \(peopleID)  graded \(graded["grade"]?.stringValue ?? "") (\(graded["quality"]?["grade"]?["status"]?.stringValue ?? "")), quality score \(String(format: "%.3f", graded["quality"]?["score"]?.doubleValue ?? 0))")
        for reason in report["report"]?["grade"]?["reasons"]?.arrayValue ?? [] { print("      \(reason.stringValue ?? "")") }
        for d in report["report"]?["quality"]?["dimensions"]?.arrayValue ?? [] {
            print("      \(d["dimension"]?.stringValue ?? "")  \(d["score"]?.doubleValue.map { String(format: "%.3f", $0) } ?? "—")  \(d["formula"]?.stringValue ?? "")")
        }
        for r in report["report"]?["quality"]?["rules"]?.arrayValue ?? [] where (r["failed"]?.doubleValue ?? 0) > 0 {
            let rows = (r["sampleRows"]?.arrayValue ?? []).compactMap { $0.intValue.map { String($0) } }.prefix(5)
            print("      ✗ \(r["rule"]?.stringValue ?? ""): \((r["failed"]?.intValue ?? 0)) of \((r["checked"]?.intValue ?? 0)) rows (e.g. rows \(rows.joined(separator: ", ")))")
        }
        let maskingText = (graded["protection"]?["masking"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.stringValue ?? "")" }
        print("  delivery controls: masked \(maskingText.joined(separator: ", ")); watermark per agreement")
        print("  signed report: sha-256 \(report["reportSha256"]?.stringValue?.prefix(16) ?? "")…, JWS \(report["signature"]?.stringValue?.prefix(24) ?? "")…")
        let peopleAgreement = try await {
            let started = try await institute.call(
                ManagementAPI.negotiate, json: ["provider": .string(bureauURL), "dataset": .string(peopleID), "purpose": "research.medical"])
            return try await institute.call(ManagementAPI.showNegotiation, started["id"]?.stringValue ?? "", query: ["wait": "30"])
        }()
        let peopleAgreementID = peopleAgreement["agreement"]?["id"]?.stringValue ?? ""
        print("  the institute (named recipient, membership credential) agrees: \(peopleAgreement["state"]?.stringValue ?? "") \(peopleAgreementID)")
        print("  fetch: \(try await fetch(peopleAgreementID, to: "received-outpatient.csv"))")
        let received = (try? String(contentsOfFile: files + "/received-outpatient.csv", encoding: .utf8)) ?? ""
        let originalRow = peopleCSV.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
        let deliveredRow = received.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
        print("  stored row:    \(originalRow)")
        print("  delivered row: \(deliveredRow)")
        // Someone leaks 10 % of the rows, shuffled, with only the amount columns.
        var shuffler = SeededRandom(seed: 7)
        let leakedRows = received.split(separator: "\n").dropFirst().shuffled(using: &shuffler).prefix(300)
        let leaked = files + "/leaked.csv"
        try ("amount,copay\n" + leakedRows.map { row in row.split(separator: ",").suffix(2).joined(separator: ",") }.joined(separator: "\n") + "\n")
            .write(toFile: leaked, atomically: true, encoding: .utf8)
        let traced = try await bureau.trace(file: leaked, format: .csv, dataset: nil)
        if let a = traced["attributed"], a != .null {
            print("  trace leaked.csv (300 of 3000 rows, 2 of 8 columns): agreement \(a["agreement"]?.stringValue ?? "") with \(a["consumer"]?.stringValue ?? ""), \((a["matches"]?.intValue ?? 0))/\((a["values"]?.intValue ?? 0)) marks match, z = \(String(format: "%.1f", a["z"]?.doubleValue ?? 0))")
        } else {
            print("  unexpected: the leak was not attributed: \(traced["explanation"]?.stringValue ?? "")")
        }
        let untraced = try await bureau.trace(file: people, format: .csv, dataset: nil)
        print("  trace the original (unmarked) file: \(untraced["attributed"] == .null ? "not attributed — " + (untraced["explanation"]?.stringValue ?? "") : "unexpectedly attributed")")
        print("  report page: \(bureauURL)/datasets/\(peopleID)/quality")

        step(12, "Computation in place: core-grade hospital records answer differentially private queries only")
        let visits = files + "/outpatient-visits.csv"
        try DemoData.outpatientVisits().write(toFile: visits, atomically: true, encoding: .utf8)
        let hospital = try await bureau.publish(file: visits, metadata: [
            "title": "广州市门诊就诊记录（核心数据）", "description": "各区门诊就诊记录：患者、年龄、费用与诊断。仅可在本节点内做差分隐私计算，原始记录不出域。Outpatient visits; computation in place only.",
            "keywords": ["门诊", "就诊", "差分隐私", "outpatient"], "sector": "healthcare", "region": "440100", "grade": "core",
            "compute": ["privacyUnit": "patient_id", "bounds": ["age": "0:120", "visit_cost": "0:5000"], "publicKeys": ["district"], "maxRowsPerUnit": 2],
            "policy": ["permission": [[
                "action": "compute",
                "constraint": [
                    ["leftOperand": "purpose", "operator": "isA", "rightOperand": "research"],
                    ["leftOperand": "epsilon", "operator": "lteq", "rightOperand": "1"],
                    ["leftOperand": "queryEpsilon", "operator": "lteq", "rightOperand": "0.5"],
                ],
            ]]],
        ])
        let hospitalID = hospital["identifier"]?.stringValue ?? ""
        identifiers["outpatient-visits.csv"] = hospitalID
        print("  \(hospitalID)  graded \(hospital["grade"]?.stringValue ?? ""), privacy unit patient_id, bounds age 0–120, visit_cost 0–5000")
        let dp = try await negotiate(bureauURL, "outpatient-visits.csv", "research.medical")
        let dpAgreement = dp["agreement"]?["id"]?.stringValue ?? ""
        print("  the institute agrees to compute (ε ≤ 1 in all, ≤ 0.5 a query): \(dp["state"]?.stringValue ?? "") \(dpAgreement)")
        for (sql, epsilon) in [
            ("SELECT district, COUNT(*) AS visits, AVG(visit_cost) AS mean_cost FROM data GROUP BY district", "0.5"),
            ("SELECT COUNT(*) AS diabetic_visits FROM data WHERE diagnosis = '糖尿病 diabetes' AND age >= 60", "0.25"),
        ] {
            let answer = try await institute.call(ManagementAPI.queryAgreement, dpAgreement, json: ["query": .string(sql), "epsilon": .string(epsilon)])
            print("  \(sql)   (ε \(epsilon))")
            let rows = answer["rows"]?.arrayValue ?? []
            for row in rows.prefix(4) { print("      " + (row.arrayValue ?? []).compactMap(\.stringValue).joined(separator: "  ")) }
            if rows.count > 4 { print("      … \(rows.count - 4) more groups") }
            for c in answer["columns"]?.arrayValue ?? [] {
                guard let n = c["noise"] else { continue }
                print("      \(c["name"]?.stringValue ?? ""): \(n["mechanism"]?.stringValue ?? "") noise, 95 % within ±\(String(format: "%.1f", n["halfWidth95"]?.doubleValue ?? 0))")
            }
            print("      budget left: ε \(answer["budget"]?["remaining"]?.stringValue ?? "?") of \(answer["budget"]?["total"]?.stringValue ?? "?")")
        }
        do {
            _ = try await institute.call(ManagementAPI.queryAgreement, dpAgreement, json: ["query": "SELECT MAX(visit_cost) FROM data"])
        } catch let failure as ManagementClient.Failure {
            print("  SELECT MAX(visit_cost) FROM data → refused: \(failure.detail)")
        }
        do {
            _ = try await institute.call(ManagementAPI.queryAgreement, dpAgreement, json: ["query": "SELECT COUNT(*) FROM data", "epsilon": "0.5"])
        } catch let failure as ManagementClient.Failure {
            print("  another query for ε 0.5 → refused: \(failure.detail)")
        }
        print("  a raw download of the records: \(try await fetch(dpAgreement, to: "received-visits.csv"))")

        step(13, "Private set intersection: a bank and a telecom operator count their shared customers; neither sees the other's list")
        let subscribers = files + "/mobile-subscribers.csv"
        try DemoData.mobileSubscribers().write(toFile: subscribers, atomically: true, encoding: .utf8)
        let subscriberProduct = try await telecom.publish(file: subscribers, metadata: [
            "title": "移动用户名录（核心数据）", "description": "在网手机号码、套餐与在网时长。仅可隐私求交，号码不出域。Mobile subscribers; private set intersection only.",
            "keywords": ["手机号码", "隐私求交", "风控", "PSI"], "sector": "financial-services", "region": "440000", "grade": "core",
            "compute": ["matchColumns": ["phone"]],
            "policy": ["permission": [[
                "action": "compute",
                "constraint": [
                    ["leftOperand": "purpose", "operator": "isA", "rightOperand": "commercial.risk-control"],
                    ["leftOperand": "psiSetSize", "operator": "lteq", "rightOperand": .number(20_000)],
                    ["leftOperand": "psiRuns", "operator": "lteq", "rightOperand": .number(3)],
                ],
            ]]],
        ])
        let telecomURL = services[5].configuration.publicURL
        print("  \(subscriberProduct["identifier"]?.stringValue ?? "")  graded \(subscriberProduct["grade"]?.stringValue ?? ""), 50,000 subscribers, match column phone; offer: at most 20,000 numbers a run, 3 runs, size only")
        let psiStarted = try await bank.call(
            ManagementAPI.negotiate,
            json: ["provider": .string(telecomURL), "dataset": .string(subscriberProduct["identifier"]?.stringValue ?? ""), "purpose": "commercial.risk-control"])
        let psiNegotiation = try await bank.call(ManagementAPI.showNegotiation, psiStarted["id"]?.stringValue ?? "", query: ["wait": "30"])
        let psiAgreement = psiNegotiation["agreement"]?["id"]?.stringValue ?? ""
        print("  the bank agrees to match for risk control: \(psiNegotiation["state"]?.stringValue ?? "") \(psiAgreement)")
        let customers = DemoData.bankCustomerPhones()
        let matched = try await bank.call(ManagementAPI.intersectAgreement, psiAgreement, json: ["identifiers": .array(customers.map { .string($0) })])
        print("  the bank's \(matched["consumerSetSize"]?.intValue ?? 0) customers (numbers hashed to Curve25519 and blinded on the bank's node) × the telecom's \(matched["providerSetSize"]?.intValue ?? 0) subscribers")
        print("      → \(matched["intersectionSize"]?.intValue ?? 0) customers are this operator's subscribers; which ones is not released (psiOutput cardinality); runs left: \(matched["runsLeft"]?.intValue ?? 0)")
        do {
            _ = try await bank.call(ManagementAPI.intersectAgreement, psiAgreement, json: ["identifiers": .array((0..<20_001).map { .string("139\(String(format: "%08d", $0))") })])
        } catch let failure as ManagementClient.Failure {
            print("  a list of 20,001 numbers → refused: \(failure.detail)")
        }
        let psiEvents = try await telecom.call(ManagementAPI.ledgerEvents, query: ["type": "compute.psi.run"])["events"]?.arrayValue ?? []
        if let e = psiEvents.first?["event"] {
            print("  the telecom's ledger: compute.psi.run, the bank's set size \(e["consumerSetSize"]?.intValue ?? 0), column \(e["column"]?.stringValue ?? ""), runs left \(e["remaining"]?.stringValue ?? "?") — no number in it")
        }

        step(14, "Secure aggregation: three cities' bureaus add up their clinic statistics; no node sees another city's numbers")
        let cities: [(client: ManagementClient, node: Int, name: String, seed: UInt64)] = [(bureau, 1, "广州", 1), (shenzhen, 6, "深圳", 2), (foshan, 7, "佛山", 3)]
        var cityAgreements: [String] = []
        for city in cities {
            let path = files + "/clinic-statistics-\(city.node).csv"
            try DemoData.clinicStatistics(seed: city.seed).write(toFile: path, atomically: true, encoding: .utf8)
            let product = try await city.client.publish(file: path, metadata: [
                "title": .string("\(city.name)社区门诊人次（核心数据）"), "description": "按城区类型的居民门诊人次。仅可安全聚合，数字不出域。Clinic visits by area; secure aggregation only.",
                "keywords": ["门诊", "安全聚合", "统计"], "sector": "healthcare", "region": .string(services[city.node].configuration.region.value), "grade": "core",
                "compute": ["privacyUnit": "resident", "bounds": ["visits": "0:60"], "publicKeys": ["area"]],
                "policy": ["permission": [[
                    "action": "compute",
                    "constraint": [
                        ["leftOperand": "purpose", "operator": "isA", "rightOperand": "statistics"],
                        ["leftOperand": "aggregateRounds", "operator": "lteq", "rightOperand": .number(5)],
                    ],
                ]]],
            ])
            let started = try await institute.call(
                ManagementAPI.negotiate,
                json: ["provider": .string(services[city.node].configuration.publicURL), "dataset": .string(product["identifier"]?.stringValue ?? ""), "purpose": "statistics"])
            let agreed = try await institute.call(ManagementAPI.showNegotiation, started["id"]?.stringValue ?? "", query: ["wait": "30"])
            cityAgreements.append(agreed["agreement"]?["id"]?.stringValue ?? "")
            print("  \(city.name): \(product["identifier"]?.stringValue ?? "") graded core, offer: compute, at most 5 aggregation rounds → the institute agrees: \(agreed["state"]?.stringValue ?? "")")
        }
        let aggregatorDIDs = [services[0].did.value, services[2].did.value]
        print("  aggregators: the registry and Zhixing Mobility — each receives one random share of every city's numbers")
        let joint = try await institute.call(
            ManagementAPI.aggregate,
            json: [
                "agreements": .array(cityAgreements.map { .string($0) }), "aggregators": .array(aggregatorDIDs.map { .string($0) }), "column": "visits",
                "groupBy": "area", "groups": ["城区", "近郊", "远郊"],
            ])
        print("      AREA   RESIDENTS   VISITS   AVG    (round \(joint["round"]?.stringValue ?? ""), exact: no noise, nothing revealed but the totals)")
        for g in joint["groups"]?.arrayValue ?? [] {
            let count = String(g["count"]?.intValue ?? 0), sum = g["sum"]?.stringValue ?? ""
            print("      \(g["key"]?.stringValue ?? "")   \(String(repeating: " ", count: max(0, 9 - count.count)))\(count)   \(String(repeating: " ", count: max(0, 6 - sum.count)))\(sum)   \(g["avg"]?.stringValue ?? "")")
        }
        for a in [0, 2] {
            // The log's event index catches up within moments of the append.
            var shares: [JSONValue] = []
            for _ in 0..<50 {
                shares = try await clients[a].call(ManagementAPI.ledgerEvents, query: ["type": "aggregation.share.received"])["events"]?.arrayValue ?? []
                if shares.count >= cities.count { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            print("  \(Self.cast[a].name)'s ledger: \(shares.count) aggregation.share.received (which city, not what), one aggregation.round.released")
        }

        step(15, "Evidence: every event above is in the nodes' transparency logs, witnessed by the authority")
        for (i, node) in services.enumerated() {
            let status = try await clients[i].call(ManagementAPI.ledgerStatus)
            let cosigned = status["witnesses"]?.arrayValue?.compactMap { $0["cosignedSize"]?.doubleValue }.first
            let note = cosigned.map { ", cosigned by the authority up to size \(Int($0))" } ?? (node.authority != nil ? " (it is the witness)" : "")
            print("  \(Self.cast[i].name): \((status["size"]?.intValue ?? 0)) entries\(note)")
        }
        var kinds: [String: Int] = [:]
        for event in try await authority.call(ManagementAPI.ledgerEvents, query: ["limit": "1000"])["events"]?.arrayValue ?? [] {
            kinds[event["event"]?["type"]?.stringValue ?? "?", default: 0] += 1
        }
        print("  the authority's log: " + kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        // The institute's receipts verify offline with keys from the DID documents alone.
        let bureauLog = try NoteVerifier(services[1].didDocument.verifierKey(ofServiceType: DIDDocument.logServiceType) ?? "")
        let authorityWitness = try CosignatureVerifier(services[0].didDocument.verifierKey(ofServiceType: DIDDocument.witnessServiceType) ?? "")
        for text in receipts where !text.isEmpty {
            let receipt = try LedgerReceipt(parsing: text)
            let checkpoint = try receipt.verify(log: bureauLog, witnesses: [authorityWitness], quorum: 1)
            let event = try LedgerEvent(entry: receipt.entry)
            print("  receipt for entry \(receipt.index): \(event.kind.rawValue), \((event.fields["bytes"]?.intValue ?? 0)) bytes — valid at tree size \(checkpoint.size), cosigned by \(authorityWitness.name)")
        }
        if let first = receipts.first(where: { !$0.isEmpty }) {
            let altered = first.replacingOccurrences(of: "\nindex ", with: "\nindex 1")
            do {
                try LedgerReceipt(parsing: altered).verify(log: bureauLog, witnesses: [authorityWitness], quorum: 1)
                print("  unexpected: an altered receipt verified")
            } catch {
                print("  the same receipt with its index altered is refused: \(error)")
            }
        }
        // A tlog-tiles client audits the bureau's whole log over HTTP.
        let bureauBase = services[1].configuration.publicURL + "/ledger/"
        let audit = try await LogAudit(log: bureauLog) { path in
            let (status, body) = try await bureau.fetch("/ledger/" + path)
            guard status == 200 else { throw LogError("\(bureauBase)\(path): HTTP \(status)") }
            return body
        }.verify(note: try await bureau.text("/ledger/checkpoint"))
        print("  audit of \(bureauBase): \(audit.entries) entries, \(audit.tiles) tiles recomputed to the signed root \(audit.checkpoint.root.base64.prefix(16))…")

        printPortals(services, base: base)
        if keepServing {
            print("\nServing until Ctrl-C.")
            try await running.value
        } else {
            print("\nDemo complete.")
            await group.triggerGracefulShutdown()
            _ = try? await running.value
        }
    }
}
