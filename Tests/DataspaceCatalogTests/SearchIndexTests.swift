import DataspaceCatalog
import DataspaceCore
import Foundation
import Testing

struct Corpus {
    static let credit = try! CreditCode.completing("11440100MB2C92190")
    static let guangzhou = try! RegionCode("440100")

    static func document(_ n: Int, _ title: String, description: String = "", keywords: [String] = [], sector: Sector = .urbanGovernance,
                         region: String = "440100", grade: GradeLevel = .general) -> SearchDocument {
        SearchDocument(
            identifier: UnifiedIdentifier.mint(region: guangzhou, creditCode: credit, now: Date(timeIntervalSince1970: 1_790_000_000 + Double(n)), random: UInt32(n)),
            title: title, description: description, keywords: keywords, sector: sector, region: try! RegionCode(region), grade: grade,
            modified: Date(timeIntervalSince1970: 1_790_000_000 + Double(n)))
    }
}

@Suite struct SearchIndexTests {
    let index = SearchIndex()
    let docs: [SearchDocument]

    init() {
        docs = [
            Corpus.document(1, "广州市空气质量监测数据", description: "逐小时 AQI 与 PM2.5", keywords: ["环境"], sector: .greenLowCarbon),
            Corpus.document(2, "深圳市空气监测站点", description: "站点位置", sector: .greenLowCarbon, region: "440300"),
            Corpus.document(3, "广州市交通流量", description: "Traffic flow on arterial roads", keywords: ["traffic flow"], sector: .transport, region: "440106"),
            Corpus.document(4, "Air quality index, Hangzhou", description: "Hourly AQI readings", sector: .greenLowCarbon, region: "330100"),
            Corpus.document(5, "空 气 质 量", description: "separated characters must not match bigrams", region: "440100"),
            Corpus.document(6, "质量空气", description: "reversed order", region: "440100", grade: .important),
            Corpus.document(7, "ＰＭ２．５ 浓度", description: "full-width letters", region: "110108"),
        ]
        index.upsert(contentsOf: docs)
    }

    func ids(_ q: SearchQuery) -> Set<Int> {
        let hits = index.search(q).hits.map(\.identifier)
        return Set(hits.compactMap { id in docs.firstIndex { $0.identifier == id }.map { $0 + 1 } })
    }

    @Test func chineseBigramsTrigramsAndSingleCharacters() {
        #expect(ids(SearchQuery(text: "空气质量")) == [1])
        #expect(ids(SearchQuery(text: "空气")) == [1, 2, 6])  // 质量空气 contains 空气
        #expect(ids(SearchQuery(text: "监测")) == [1, 2])
        #expect(ids(SearchQuery(text: "空气监测")) == [2])
        #expect(ids(SearchQuery(text: "广州")) == [1, 3])
        #expect(ids(SearchQuery(text: "气")) == [1, 2, 5, 6])
        #expect(ids(SearchQuery(text: "北京")).isEmpty)
    }

    @Test func englishMixedAndFullWidth() {
        #expect(ids(SearchQuery(text: "AQI")) == [1, 4])
        #expect(ids(SearchQuery(text: "traffic 广州")) == [3])
        #expect(ids(SearchQuery(text: "air quality")) == [4])
        #expect(ids(SearchQuery(text: "pm2.5")) == [1, 7])
        #expect(ids(SearchQuery(text: "TRAFFIC FLOW")) == [3])
    }

    @Test func filtersAndHierarchicalRegions() throws {
        #expect(ids(SearchQuery(text: "空气", region: try RegionCode("440000"))) == [1, 2, 6])
        #expect(ids(SearchQuery(text: "", region: try RegionCode("440100"))) == [1, 3, 5, 6])
        #expect(ids(SearchQuery(text: "", region: try RegionCode("440106"))) == [3])
        #expect(ids(SearchQuery(text: "", sector: .transport)) == [3])
        #expect(ids(SearchQuery(text: "质量", grade: .important)) == [6])
    }

    @Test func facetsCountEveryMatchAndDrillDown() throws {
        let all = index.search(SearchQuery(text: ""))
        #expect(all.total == 7)
        #expect(all.regions.first { $0.value == "440000" }?.count == 5)
        #expect(all.sectors.first { $0.value == "green-low-carbon" }?.count == 3)
        let guangdong = index.search(SearchQuery(text: "", region: try RegionCode("440000")))
        #expect(Set(guangdong.regions.map(\.value)) == ["440100", "440300"])
        #expect(guangdong.grades.first { $0.value == "important" }?.count == 1)
    }

    @Test func titleMatchesRankAboveDescriptionMatches() {
        let hits = index.search(SearchQuery(text: "aqi")).hits
        #expect(hits.first?.identifier == docs[3].identifier)
    }

    @Test func updatesAndWithdrawalsKeepResultsExact() {
        var changed = docs[0]
        changed.title = "广州市水质监测数据"
        changed.description = "河涌水质"
        index.upsert(changed)
        #expect(ids(SearchQuery(text: "空气质量")).isEmpty)
        #expect(ids(SearchQuery(text: "水质")) == [1])
        index.remove(docs[1].identifier)
        #expect(ids(SearchQuery(text: "空气")) == [6])
        #expect(index.count == 6)
        #expect(index.search(SearchQuery(text: "")).total == 6)
    }

    @Test func pagesAreDisjointAndComplete() {
        let big = SearchIndex()
        let many = (0..<95).map { Corpus.document($0, "数据产品 \($0)", description: "空气") }
        big.upsert(contentsOf: many)
        var seen: [UnifiedIdentifier] = []
        for page in 1...5 {
            let r = big.search(SearchQuery(text: "空气", page: page, pageSize: 20))
            #expect(r.total == 95)
            seen += r.hits.map(\.identifier)
        }
        #expect(seen.count == 95)
        #expect(Set(seen).count == 95)
    }
}

/// Random bilingual documents and queries, checked against a brute-force substring/word scan.
@Suite struct SearchExactnessTests {
    static let alphabet = Array("空气质量监测数据交通流量广州深圳市站点水环境能源")
    static let words = ["air", "quality", "traffic", "flow", "data", "guangzhou", "pm2", "index"]

    func text(_ rng: inout SystemRandomNumberGenerator, length: Int) -> String {
        var s = ""
        for _ in 0..<length {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: s += " "
            case 1, 2: s += " " + Self.words.randomElement(using: &rng)! + " "
            default: s.append(Self.alphabet.randomElement(using: &rng)!)
            }
        }
        return s
    }

    @Test func resultsEqualABruteForceScan() {
        var rng = SystemRandomNumberGenerator()
        let docs = (0..<400).map { n in
            Corpus.document(n, text(&rng, length: 12), description: text(&rng, length: 30), keywords: [text(&rng, length: 3)])
        }
        let index = SearchIndex()
        index.upsert(contentsOf: docs)
        for _ in 0..<300 {
            let query: String
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: query = String((0..<2).map { _ in Self.alphabet.randomElement(using: &rng)! })
            case 1: query = String((0..<Int.random(in: 3...4, using: &rng)).map { _ in Self.alphabet.randomElement(using: &rng)! })
            case 2: query = Self.words.randomElement(using: &rng)!
            default: query = "\(Self.words.randomElement(using: &rng)!) \(String((0..<2).map { _ in Self.alphabet.randomElement(using: &rng)! }))"
            }
            let expected = docs.filter { matches(query, $0) }.count
            let got = index.search(SearchQuery(text: query, pageSize: 200))
            #expect(got.total == expected, "query \(query)")
        }
    }

    /// Independent definition: each CJK run is a substring of one field; each word is a whole word.
    func matches(_ query: String, _ d: SearchDocument) -> Bool {
        let fields = ([d.title, d.description] + d.keywords).map { $0.lowercased() }
        for part in query.split(separator: " ") {
            let isWord = part.allSatisfy { $0.isASCII }
            if isWord {
                let found = fields.contains { f in
                    f.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }).contains { $0 == part }
                }
                if !found { return false }
            } else if !fields.contains(where: { $0.contains(part) }) {
                return false
            }
        }
        return true
    }
}
