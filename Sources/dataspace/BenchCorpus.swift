import DataspaceCatalog
import DataspaceCore
import Foundation

/// A generated bilingual catalog for search benchmarks: Chinese titles built from cities, topics
/// and forms (广州市空气质量监测数据), English ones for about a third, realistic descriptions.
enum BenchCorpus {
    static let cities = [
        ("广州市", "Guangzhou", "440100"), ("深圳市", "Shenzhen", "440300"), ("杭州市", "Hangzhou", "330100"), ("成都市", "Chengdu", "510100"),
        ("南京市", "Nanjing", "320100"), ("武汉市", "Wuhan", "420100"), ("北京市", "Beijing", "110000"), ("上海市", "Shanghai", "310000"),
        ("天河区", "Tianhe", "440106"), ("越秀区", "Yuexiu", "440104"), ("海淀区", "Haidian", "110108"), ("浦东新区", "Pudong", "310115"),
    ]
    static let topics: [(zh: String, en: String, sector: Sector)] = [
        ("空气质量", "air quality", .greenLowCarbon), ("交通流量", "traffic flow", .transport), ("公交客流", "bus ridership", .transport),
        ("企业登记", "enterprise registry", .socialCredit), ("医疗机构", "medical institutions", .healthcare),
        ("气象观测", "weather observations", .meteorology), ("用电负荷", "electricity load", .smartEnergy),
        ("农产品价格", "farm produce prices", .agriculture), ("学校分布", "school locations", .education),
        ("就业招聘", "job postings", .humanResources), ("旅游景区", "tourist attractions", .cultureTourism),
        ("应急物资", "emergency supplies", .emergencyManagement), ("碳排放", "carbon emissions", .greenLowCarbon),
        ("房屋建设", "housing construction", .housingConstruction), ("土地利用", "land use", .naturalResources),
        ("无人机航线", "drone routes", .lowAltitudeEconomy), ("自动驾驶测试", "autonomous driving tests", .autonomousDriving),
        ("海洋观测", "ocean observations", .smartOcean), ("工业产值", "industrial output", .industrialManufacturing),
        ("电商交易", "e-commerce transactions", .eCommerce), ("科研项目", "research projects", .scientificResearch),
        ("信用评价", "credit ratings", .socialCredit), ("治安事件", "public safety incidents", .publicSecurity),
        ("城市部件", "city infrastructure assets", .urbanGovernance),
    ]
    static let forms = [("监测数据", "monitoring data"), ("统计数据", "statistics"), ("实时数据", "real-time feed"), ("年度报告", "annual report"),
                        ("明细数据", "detailed records"), ("分布信息", "distribution"), ("指数", "index")]
    static let phrases = [
        "数据按日更新，覆盖全市主要区域。", "包含时间、地点与指标值，可用于趋势分析。", "经过清洗与质量校验，字段说明完整。",
        "Updated daily across all districts.", "Includes timestamps, locations and indicator values.", "Cleaned and validated with a field dictionary.",
        "适用于城市治理与科学研究。", "Suitable for planning, research and model training.",
    ]

    static func documents(count: Int, seed: UInt64 = 42) -> [SearchDocument] {
        var rng = SeededRandom(seed: seed)
        var docs: [SearchDocument] = []
        docs.reserveCapacity(count)
        let credit = (try? CreditCode.completing("91440106MA5CXK3P7")) ?? (try! CreditCode("91350100M000100Y43"))
        let region = (try? RegionCode("440100")) ?? (try! RegionCode("110000"))
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        for i in 0..<count {
            let city = cities[Int.random(in: 0..<cities.count, using: &rng)]
            let topic = topics[Int.random(in: 0..<topics.count, using: &rng)]
            let form = forms[Int.random(in: 0..<forms.count, using: &rng)]
            let year = 2015 + Int.random(in: 0...11, using: &rng)
            let english = Int.random(in: 0..<3, using: &rng) == 0
            let title = english ? "\(city.1) \(topic.en) \(form.1) \(year)" : "\(city.0)\(topic.zh)\(form.0)（\(year)年）"
            var description = english
                ? "\(topic.en.capitalized) \(form.1) for \(city.1), \(year). " : "\(city.0)\(year)年\(topic.zh)\(form.0)。"
            for _ in 0..<2 { description += phrases[Int.random(in: 0..<phrases.count, using: &rng)] }
            let keywords = english ? [topic.en, city.1, topic.zh] : [topic.zh, city.0, topic.en]
            let grade: GradeLevel = i % 50 == 0 ? .important : (i % 997 == 0 ? .core : .general)
            let identifier = UnifiedIdentifier.mint(
                region: region, creditCode: credit, now: start.addingTimeInterval(Double(i)), random: UInt32(truncatingIfNeeded: rng.next()))
            docs.append(
                SearchDocument(
                    identifier: identifier, title: title, description: description, keywords: keywords, sector: topic.sector,
                    region: (try? RegionCode(city.2)) ?? region, grade: grade, modified: start.addingTimeInterval(Double(i))))
        }
        return docs
    }

    /// The corpus as active first versions by `publisher`, for loading straight into a store.
    static func records(_ docs: [SearchDocument], publisher: Publisher) -> [DatasetRecord] {
        docs.map { d in
            DatasetRecord(
                identifier: d.identifier, version: 1, title: d.title, description: d.description, keywords: d.keywords, sector: d.sector,
                region: d.region, temporal: nil, license: PublishRequest.defaultLicense, grade: DataGrade(level: d.grade),
                publisher: publisher, issued: d.modified, modified: d.modified,
                distribution: DistributionInfo(format: .csv, byteSize: 1_024, sha256: String(repeating: "0", count: 64), rowCount: 10, columns: ["a"]),
                offer: UsagePolicy.defaultOffer(id: "\(d.identifier):offer"), status: .active)
        }
    }

    struct Query: Sendable {
        var text: String
        var sector: Sector?
    }

    /// A fixed mix: two-character CJK, longer CJK, English words, mixed, with and without a facet filter.
    static func queries(count: Int, seed: UInt64 = 7) -> [Query] {
        var rng = SeededRandom(seed: seed)
        var result: [Query] = []
        for i in 0..<count {
            let topic = topics[Int.random(in: 0..<topics.count, using: &rng)]
            let city = cities[Int.random(in: 0..<cities.count, using: &rng)]
            let text: String
            switch i % 6 {
            case 0: text = String(topic.zh.prefix(2))
            case 1: text = topic.zh
            case 2: text = topic.en
            case 3: text = "\(city.1) \(topic.zh)"
            case 4: text = "\(city.0.prefix(2)) \(topic.en.split(separator: " ").first ?? "")"
            default: text = "\(topic.zh)\(forms[Int.random(in: 0..<forms.count, using: &rng)].0)"
            }
            result.append(Query(text: text, sector: i % 3 == 0 ? topic.sector : nil))
        }
        return result
    }

    /// A product prepared once for brute-force checking: its words and normalized fields.
    struct Scannable {
        var sector: Sector
        var words: Set<String>
        var fields: [String]
    }

    static func scannable(_ docs: [SearchDocument]) -> [Scannable] {
        docs.map { d in
            let fields = [d.title, d.description] + d.keywords
            let words = Set(fields.flatMap { TextAnalyzer.tokenize($0) }.compactMap { t -> String? in
                if case .word(let w) = t { return w }
                return nil
            })
            return Scannable(sector: d.sector, words: words, fields: fields.map(TextAnalyzer.normalize))
        }
    }

    /// A brute-force reference for the index's matching rule, to prove results exact.
    static func referenceCount(_ query: Query, in docs: [Scannable]) -> Int {
        let tokens = TextAnalyzer.tokenize(query.text)
        var count = 0
        scan: for d in docs {
            if let s = query.sector, d.sector != s { continue }
            for token in tokens {
                switch token {
                case .word(let w): if !d.words.contains(w) { continue scan }
                case .cjk(let run):
                    let needle = String(String.UnicodeScalarView(run.compactMap(Unicode.Scalar.init)))
                    if !d.fields.contains(where: { $0.contains(needle) }) { continue scan }
                }
            }
            count += 1
        }
        return count
    }
}
