import DataspaceCore
import Foundation
import Synchronization

/// What the index needs of a product to find, filter and rank it.
public struct SearchDocument: Sendable, Hashable {
    public var identifier: UnifiedIdentifier
    public var title: String
    public var description: String
    public var keywords: [String]
    public var sector: Sector
    public var region: RegionCode
    public var grade: GradeLevel
    public var modified: Date
    /// Overall quality score 0…1 from the version's report; nil when not assessed.
    public var qualityScore: Double?

    public init(
        identifier: UnifiedIdentifier, title: String, description: String, keywords: [String], sector: Sector,
        region: RegionCode, grade: GradeLevel, modified: Date, qualityScore: Double? = nil
    ) {
        self.qualityScore = qualityScore
        self.identifier = identifier
        self.title = title
        self.description = description
        self.keywords = keywords
        self.sector = sector
        self.region = region
        self.grade = grade
        self.modified = modified
    }

    public init(_ record: DatasetRecord) {
        self.init(
            identifier: record.identifier, title: record.title, description: record.description, keywords: record.keywords,
            sector: record.sector, region: record.region, grade: record.grade.level, modified: record.modified,
            qualityScore: record.quality?.score)
    }
}

public struct SearchQuery: Sendable, Hashable {
    public var text: String
    public var sector: Sector?
    public var region: RegionCode?
    public var grade: GradeLevel?
    /// Only products whose quality score is at least this (unassessed products are excluded).
    public var minScore: Double?
    /// 1-based page number.
    public var page: Int
    public var pageSize: Int

    public init(
        text: String = "", sector: Sector? = nil, region: RegionCode? = nil, grade: GradeLevel? = nil, minScore: Double? = nil,
        page: Int = 1, pageSize: Int = 20
    ) {
        self.text = text
        self.minScore = minScore
        self.sector = sector
        self.region = region
        self.grade = grade
        self.page = min(max(1, page), Self.maximumPage)
        self.pageSize = min(max(1, pageSize), Self.maximumPageSize)
    }

    /// Deep pages cost a top-k of page × pageSize; this bound keeps that product (and its
    /// arithmetic) small whatever a caller asks. 10,000 pages of 200 cover two million hits.
    public static let maximumPage = 10_000
    public static let maximumPageSize = 200
}

public struct SearchHit: Sendable, Hashable {
    public var identifier: UnifiedIdentifier
    public var score: Double
}

public struct FacetCount: Sendable, Hashable {
    public var value: String
    public var count: Int
}

public struct SearchResults: Sendable, Hashable {
    public var total: Int
    public var hits: [SearchHit]
    public var sectors: [FacetCount]
    /// Region counts one level below the region filter (provinces, then cities, then counties).
    public var regions: [FacetCount]
    public var grades: [FacetCount]
    /// Quality score bands: `0.9-1`, `0.8-0.9`, `0.6-0.8`, `0-0.6`, `unscored`.
    public var scores: [FacetCount] = []
}

/// The quality-score bands the catalog facets by.
public enum ScoreBand {
    public static let names = ["0.9-1", "0.8-0.9", "0.6-0.8", "0-0.6", "unscored"]

    static func band(_ score: Float) -> UInt8 {
        if score.isNaN { return 4 }
        if score >= 0.9 { return 0 }
        if score >= 0.8 { return 1 }
        if score >= 0.6 { return 2 }
        return 3
    }
}

/// An in-memory inverted index with exact matching semantics:
///
/// - a query word matches a document that contains that word (letters/digits, case-folded);
/// - a query run of CJK characters matches a document that contains the run as a contiguous
///   string inside one field: single characters and bigrams come straight from postings, longer
///   runs are narrowed by their bigrams' postings and then confirmed on the stored text;
/// - every query term must match (AND); filters on sector, region (hierarchical) and grade apply.
///
/// Ranking is BM25 over title (weight 3), keywords (2) and description (1). Updates append new
/// document numbers and retire old ones, so the index stays exact through versions and withdrawals.
public final class SearchIndex: Sendable {
    private let state: Mutex<IndexState>

    public init() { state = Mutex(IndexState()) }

    /// Adds or replaces a product (by identifier).
    public func upsert(_ document: SearchDocument) {
        state.withLock { $0.upsert(document) }
    }

    public func upsert(contentsOf documents: [SearchDocument]) {
        state.withLock { s in for d in documents { s.upsert(d) } }
    }

    public func remove(_ identifier: UnifiedIdentifier) {
        state.withLock { $0.remove(identifier) }
    }

    public var count: Int { state.withLock { $0.liveCount } }

    /// The products the index holds.
    public var identifiers: Set<UnifiedIdentifier> { state.withLock { Set($0.docByIdentifier.keys) } }

    public func search(_ query: SearchQuery) -> SearchResults {
        state.withLock { $0.search(query) }
    }
}

struct PostingList {
    var docs: [UInt32] = []
    var tfs: [UInt16] = []
}

struct IndexState: ~Copyable {
    static let fieldSeparator: UInt8 = 0x01
    static let titleWeight: Int = 3, keywordWeight: Int = 2, descriptionWeight: Int = 1
    static let k1 = 1.2, b = 0.75

    var identifiers: [UnifiedIdentifier] = []
    var sectors: [UInt8] = []
    var grades: [UInt8] = []
    var scores: [Float] = []
    var regions: [UInt32] = []
    var modified: [Double] = []
    var lengths: [Float] = []
    var alive: [Bool] = []
    var textStart: [Int] = []
    var textArena: [UInt8] = []
    var docByIdentifier: [UnifiedIdentifier: UInt32] = [:]
    var liveCount = 0
    var totalLength: Double = 0

    var terms: [UInt64: Int32] = [:]
    var words: [String: UInt32] = [:]
    var postings: [PostingList] = []

    static let sectorList = Sector.allCases
    static let gradeList = GradeLevel.allCases

    // MARK: term keys

    @inline(__always) static func unigramKey(_ a: UInt32) -> UInt64 { (1 << 60) | UInt64(a) }
    @inline(__always) static func bigramKey(_ a: UInt32, _ b: UInt32) -> UInt64 { (3 << 60) | (UInt64(a) << 21) | UInt64(b) }
    @inline(__always) static func wordKey(_ id: UInt32) -> UInt64 { (2 << 60) | UInt64(id) }

    mutating func termID(_ key: UInt64) -> Int {
        if let id = terms[key] { return Int(id) }
        let id = postings.count
        postings.append(PostingList())
        terms[key] = Int32(id)
        return id
    }

    mutating func wordTermKey(_ w: String) -> UInt64 {
        if let id = words[w] { return Self.wordKey(id) }
        let id = UInt32(words.count)
        words[w] = id
        return Self.wordKey(id)
    }

    func existingWordKey(_ w: String) -> UInt64? { words[w].map(Self.wordKey) }

    // MARK: updates

    mutating func upsert(_ d: SearchDocument) {
        remove(d.identifier)
        let doc = UInt32(identifiers.count)
        identifiers.append(d.identifier)
        sectors.append(UInt8(Self.sectorList.firstIndex(of: d.sector) ?? 0))
        grades.append(UInt8(Self.gradeList.firstIndex(of: d.grade) ?? 2))
        scores.append(d.qualityScore.map(Float.init) ?? .nan)
        regions.append(UInt32(d.region.value) ?? 0)
        modified.append(d.modified.timeIntervalSince1970)
        alive.append(true)
        docByIdentifier[d.identifier] = doc
        liveCount += 1

        var tf: [UInt64: Int] = [:]
        var length = 0
        func index(_ text: String, weight: Int) {
            for token in TextAnalyzer.tokenize(text) {
                switch token {
                case .word(let w):
                    tf[wordTermKey(w), default: 0] += weight
                    length += weight
                case .cjk(let run):
                    for (i, c) in run.enumerated() {
                        tf[Self.unigramKey(c), default: 0] += weight
                        if i + 1 < run.count { tf[Self.bigramKey(c, run[i + 1]), default: 0] += weight }
                    }
                    length += weight * run.count
                }
            }
        }
        index(d.title, weight: Self.titleWeight)
        index(d.description, weight: Self.descriptionWeight)
        for k in d.keywords { index(k, weight: Self.keywordWeight) }
        for (key, count) in tf {
            let t = termID(key)
            postings[t].docs.append(doc)
            postings[t].tfs.append(UInt16(min(count, Int(UInt16.max))))
        }
        lengths.append(Float(length))
        totalLength += Double(length)

        // Stored text for exact confirmation of longer CJK runs: title, description, keywords.
        textStart.append(textArena.count)
        let segments = [d.title, d.description] + d.keywords
        for (i, s) in segments.enumerated() {
            if i > 0 { textArena.append(Self.fieldSeparator) }
            textArena.append(contentsOf: TextAnalyzer.normalize(s).utf8)
        }
    }

    mutating func remove(_ identifier: UnifiedIdentifier) {
        guard let doc = docByIdentifier.removeValue(forKey: identifier) else { return }
        alive[Int(doc)] = false
        liveCount -= 1
        totalLength -= Double(lengths[Int(doc)])
    }

    func text(of doc: Int) -> ArraySlice<UInt8> {
        let start = textStart[doc]
        let end = doc + 1 < textStart.count ? textStart[doc + 1] : textArena.count
        return textArena[start..<end]
    }

    // MARK: search

    enum Term {
        case postings(Int)
        /// A CJK run of 3+ characters: its bigram postings narrow, the stored text confirms.
        case phrase(bigrams: [Int], needle: [UInt8])
    }

    func search(_ q: SearchQuery) -> SearchResults {
        var queryTerms: [Term] = []
        var impossible = false
        for token in TextAnalyzer.tokenize(q.text) {
            switch token {
            case .word(let w):
                if let key = existingWordKey(w), let t = terms[key] { queryTerms.append(.postings(Int(t))) } else { impossible = true }
            case .cjk(let run):
                if run.count == 1 {
                    if let t = terms[Self.unigramKey(run[0])] { queryTerms.append(.postings(Int(t))) } else { impossible = true }
                } else if run.count == 2 {
                    if let t = terms[Self.bigramKey(run[0], run[1])] { queryTerms.append(.postings(Int(t))) } else { impossible = true }
                } else {
                    var bigrams: [Int] = []
                    for i in 0..<(run.count - 1) {
                        if let t = terms[Self.bigramKey(run[i], run[i + 1])] { bigrams.append(Int(t)) } else { impossible = true }
                    }
                    let needle = Array(String(String.UnicodeScalarView(run.compactMap(Unicode.Scalar.init))).utf8)
                    queryTerms.append(.phrase(bigrams: Array(Set(bigrams)), needle: needle))
                }
            }
        }
        var collector = Collector(query: q, regionLevelDigits: Self.facetDigits(for: q.region))
        if impossible {
            return collector.results(identifiers: identifiers)
        }
        let regionFilter = q.region.map { Self.regionRange($0) }
        let sectorFilter = q.sector.flatMap { Self.sectorList.firstIndex(of: $0) }.map(UInt8.init)
        let gradeFilter = q.grade.flatMap { Self.gradeList.firstIndex(of: $0) }.map(UInt8.init)
        let minScore = q.minScore.map(Float.init)

        @inline(__always) func passesFilters(_ doc: Int) -> Bool {
            if !alive[doc] { return false }
            if let sectorFilter, sectors[doc] != sectorFilter { return false }
            if let gradeFilter, grades[doc] != gradeFilter { return false }
            if let minScore, !(scores[doc] >= minScore - 1e-6) { return false }
            if let regionFilter, !regionFilter.contains(regions[doc]) { return false }
            return true
        }

        if queryTerms.isEmpty {
            // Browse: every live document that passes the filters, newest first.
            for doc in 0..<identifiers.count where passesFilters(doc) {
                collector.add(doc: doc, score: modified[doc], sector: sectors[doc], grade: grades[doc], band: ScoreBand.band(scores[doc]), region: regions[doc])
            }
            return collector.results(identifiers: identifiers)
        }

        // Every posting list the query touches, each with its BM25 idf weight.
        var lists: [Int] = []
        for term in queryTerms {
            switch term {
            case .postings(let t): lists.append(t)
            case .phrase(let bigrams, _): lists.append(contentsOf: bigrams)
            }
        }
        let uniqueLists = Array(Set(lists))
        guard let driver = uniqueLists.min(by: { postings[$0].docs.count < postings[$1].docs.count }) else {
            return collector.results(identifiers: identifiers)
        }
        let n = Double(max(liveCount, 1))
        func idf(_ df: Int) -> Double { log(1 + (n - Double(df) + 0.5) / (Double(df) + 0.5)) }
        let avgLength = max(totalLength / n, 1)

        var cursors = [Int](repeating: 0, count: uniqueLists.count)
        let listPosition = Dictionary(uniqueKeysWithValues: uniqueLists.enumerated().map { ($1, $0) })
        var tfAt = [Int](repeating: 0, count: uniqueLists.count)
        let termIDF: [Double] = queryTerms.map { term in
            switch term {
            case .postings(let t): idf(postings[t].docs.count)
            case .phrase(let bigrams, _): idf(bigrams.map { postings[$0].docs.count }.min() ?? 1)
            }
        }

        let driverDocs = postings[driver].docs
        candidates: for (driverIndex, docID) in driverDocs.enumerated() {
            let doc = Int(docID)
            guard passesFilters(doc) else { continue }
            for (position, list) in uniqueLists.enumerated() {
                if list == driver {
                    tfAt[position] = Int(postings[driver].tfs[driverIndex])
                    continue
                }
                guard let index = Self.advance(postings[list].docs, from: &cursors[position], to: docID) else {
                    if cursors[position] >= postings[list].docs.count { break candidates }
                    continue candidates
                }
                tfAt[position] = Int(postings[list].tfs[index])
            }
            var score = 0.0
            let norm = IndexState.k1 * (1 - IndexState.b + IndexState.b * Double(lengths[doc]) / avgLength)
            for (i, term) in queryTerms.enumerated() {
                let tf: Int
                switch term {
                case .postings(let t):
                    guard let p = listPosition[t] else { continue candidates }
                    tf = tfAt[p]
                case .phrase(_, let needle):
                    tf = Self.weightedOccurrences(of: needle, in: text(of: doc))
                    if tf == 0 { continue candidates }
                }
                let f = Double(tf)
                score += termIDF[i] * f * (IndexState.k1 + 1) / (f + norm)
            }
            collector.add(doc: doc, score: score, sector: sectors[doc], grade: grades[doc], band: ScoreBand.band(scores[doc]), region: regions[doc])
        }
        return collector.results(identifiers: identifiers)
    }

    /// Gallops forward in a sorted list to `target`; returns its index if present.
    @inline(__always)
    static func advance(_ docs: [UInt32], from cursor: inout Int, to target: UInt32) -> Int? {
        var lo = cursor
        let count = docs.count
        if lo >= count { return nil }
        if docs[lo] >= target {
            return docs[lo] == target ? lo : nil
        }
        var step = 1
        var hi = lo + 1
        while hi < count && docs[hi] < target {
            lo = hi
            step <<= 1
            hi = lo + step
        }
        if hi > count { hi = count }
        // docs[lo] < target; find first index in (lo, hi] with docs[i] >= target
        var l = lo + 1, h = hi
        while l < h {
            let m = (l + h) >> 1
            if docs[m] < target { l = m + 1 } else { h = m }
        }
        cursor = l
        return l < count && docs[l] == target ? l : nil
    }

    /// Occurrences of `needle` in the stored segments, weighted by field (title, description, keywords).
    static func weightedOccurrences(of needle: [UInt8], in text: ArraySlice<UInt8>) -> Int {
        guard let first = needle.first else { return 0 }
        var total = 0
        var segment = 0
        var i = text.startIndex
        let end = text.endIndex
        let m = needle.count
        while i < end {
            let byte = text[i]
            if byte == fieldSeparator {
                segment += 1
                i += 1
                continue
            }
            if byte == first && end - i >= m {
                var j = 1
                while j < m && text[i + j] == needle[j] { j += 1 }
                if j == m {
                    total += segment == 0 ? titleWeight : (segment == 1 ? descriptionWeight : keywordWeight)
                    i += m
                    continue
                }
            }
            i += 1
        }
        return total
    }

    /// Numeric range of region codes inside a region.
    static func regionRange(_ r: RegionCode) -> ClosedRange<UInt32> {
        let v = UInt32(r.value) ?? 0
        switch r.level {
        case .province: return v...(v + 9_999)
        case .city: return v...(v + 99)
        case .county: return v...v
        }
    }

    /// Which two digits of the region code the facet groups by, given the filter's level.
    static func facetDigits(for region: RegionCode?) -> Int {
        switch region?.level {
        case nil: 0  // provinces: digits 1–2
        case .province: 1  // cities: digits 3–4
        case .city, .county: 2  // counties: digits 5–6
        }
    }
}

/// Gathers matches: facet counts over all of them, and the top page by score.
struct Collector {
    let query: SearchQuery
    let regionLevelDigits: Int
    var total = 0
    var sectorCounts = [Int](repeating: 0, count: Sector.allCases.count)
    var gradeCounts = [Int](repeating: 0, count: GradeLevel.allCases.count)
    var bandCounts = [Int](repeating: 0, count: ScoreBand.names.count)
    var regionCounts = [Int](repeating: 0, count: 100)
    var regionBase: UInt32 = 0
    var heap: [(score: Double, doc: Int)] = []
    let keep: Int

    init(query: SearchQuery, regionLevelDigits: Int) {
        self.query = query
        self.regionLevelDigits = regionLevelDigits
        self.keep = query.page * query.pageSize
        heap.reserveCapacity(min(keep, 10_000))
        if let r = query.region {
            let v = UInt32(r.value) ?? 0
            regionBase = regionLevelDigits == 1 ? v / 10_000 * 10_000 : v / 100 * 100
        }
    }

    @inline(__always)
    mutating func add(doc: Int, score: Double, sector: UInt8, grade: UInt8, band: UInt8, region: UInt32) {
        total += 1
        bandCounts[Int(band)] += 1
        sectorCounts[Int(sector)] += 1
        gradeCounts[Int(grade)] += 1
        let digits: UInt32
        switch regionLevelDigits {
        case 0: digits = region / 10_000
        case 1: digits = (region / 100) % 100
        default: digits = region % 100
        }
        regionCounts[Int(digits % 100)] += 1
        // Min-heap of the best `keep` (score, then lower doc number = older insertion loses ties).
        if heap.count < keep {
            heap.append((score, doc))
            siftUp(heap.count - 1)
        } else if let top = heap.first, Self.better(score, doc, than: top.score, top.doc) {
            heap[0] = (score, doc)
            siftDown(0)
        }
    }

    @inline(__always)
    static func better(_ s1: Double, _ d1: Int, than s2: Double, _ d2: Int) -> Bool {
        s1 > s2 || (s1 == s2 && d1 > d2)
    }

    mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            if Self.better(heap[parent].score, heap[parent].doc, than: heap[child].score, heap[child].doc) {
                heap.swapAt(parent, child)
                child = parent
            } else {
                return
            }
        }
    }

    mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let l = 2 * parent + 1, r = l + 1
            var worst = parent
            if l < heap.count && Self.better(heap[worst].score, heap[worst].doc, than: heap[l].score, heap[l].doc) { worst = l }
            if r < heap.count && Self.better(heap[worst].score, heap[worst].doc, than: heap[r].score, heap[r].doc) { worst = r }
            if worst == parent { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }

    func results(identifiers: [UnifiedIdentifier]) -> SearchResults {
        let ordered = heap.sorted { Self.better($0.score, $0.doc, than: $1.score, $1.doc) }
        let start = (query.page - 1) * query.pageSize
        let page = start < ordered.count ? Array(ordered[start..<min(ordered.count, start + query.pageSize)]) : []
        let sectors = zip(Sector.allCases, sectorCounts).filter { $0.1 > 0 }
            .map { FacetCount(value: $0.0.rawValue, count: $0.1) }.sorted { $0.count > $1.count || ($0.count == $1.count && $0.value < $1.value) }
        let grades = zip(GradeLevel.allCases, gradeCounts).filter { $0.1 > 0 }.map { FacetCount(value: $0.0.rawValue, count: $0.1) }
        var regions: [FacetCount] = []
        for (digits, count) in regionCounts.enumerated() where count > 0 {
            let code: UInt32
            switch regionLevelDigits {
            case 0: code = UInt32(digits) * 10_000
            case 1: code = regionBase + UInt32(digits) * 100
            default: code = regionBase + UInt32(digits)
            }
            regions.append(FacetCount(value: String(format: "%06u", code), count: count))
        }
        regions.sort { $0.count > $1.count || ($0.count == $1.count && $0.value < $1.value) }
        return SearchResults(
            total: total, hits: page.map { SearchHit(identifier: identifiers[$0.doc], score: $0.score) }, sectors: sectors,
            regions: regions, grades: grades,
            scores: zip(ScoreBand.names, bandCounts).filter { $0.1 > 0 }.map { FacetCount(value: $0.0, count: $0.1) })
    }
}
