import DataspaceCore
import Testing

@Suite struct RegionCodeTests {
    @Test func levelsAndContainment() throws {
        let guangdong = try RegionCode("440000")
        let guangzhou = try RegionCode("440100")
        let tianhe = try RegionCode("440106")
        #expect(guangdong.level == .province)
        #expect(guangzhou.level == .city)
        #expect(tianhe.level == .county)
        #expect(tianhe.isWithin(guangzhou))
        #expect(tianhe.isWithin(guangdong))
        #expect(guangzhou.isWithin(guangdong))
        #expect(!guangdong.isWithin(guangzhou))
        #expect(!tianhe.isWithin(try RegionCode("110000")))
        #expect(tianhe.city == guangzhou)
        #expect(tianhe.province == guangdong)
        #expect(guangzhou.chineseName == "广州市")
    }

    @Test(arguments: [("44010", "region.format"), ("4401001", "region.format"), ("44a100", "region.format"), ("990100", "region.province"), ("440012", "region.structure")])
    func rejectsMalformedCodes(_ text: String, _ code: String) {
        do {
            _ = try RegionCode(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code)
            #expect(error.field == "region")
        }
    }
}

@Suite struct VocabularyTests {
    @Test func sectorsHaveTheSharedSlugsAndChineseLabels() throws {
        #expect(Sector.allCases.count == 24)
        #expect(Sector.allCases.filter(\.isInnovationArea).count == 5)
        #expect(try Sector(slug: "urban-governance").chineseLabel == "城市治理")
        #expect(try Sector(slug: "low-altitude-economy").chineseLabel == "低空经济")
        do {
            _ = try Sector(slug: "finance")
            Issue.record("accepted finance")
        } catch {
            #expect(error.message.contains("financial-services"))
        }
    }

    @Test func gradesParseWithSubLevels() throws {
        #expect(try DataGrade("general-3").subLevel == 3)
        #expect(try DataGrade("core").level == .core)
        #expect(throws: ValidationError.self) { try DataGrade("important-2") }
        #expect(throws: ValidationError.self) { try DataGrade("general-5") }
        #expect(throws: ValidationError.self) { try DataGrade("secret") }
    }

    @Test func webDIDsMapToDocumentURLs() throws {
        let local = try WebDID("did:web:127.0.0.1%3A8443")
        #expect(local.authority == "127.0.0.1:8443")
        #expect(local.documentURL == "http://127.0.0.1:8443/.well-known/did.json")
        let remote = try WebDID("did:web:data.gz.gov.cn:nodes:bureau")
        #expect(remote.documentURL == "https://data.gz.gov.cn/nodes/bureau/did.json")
        #expect(throws: ValidationError.self) { try WebDID("did:key:z6Mk") }
        #expect(throws: ValidationError.self) { try WebDID("did:web:") }
        #expect(throws: ValidationError.self) { try WebDID("did:web:bad host") }
    }
}

@Suite struct WebDIDBaseURLTests {
    @Test func baseURLsMapToTheirDIDs() throws {
        #expect(WebDID(baseURL: "http://127.0.0.1:9001")?.value == "did:web:127.0.0.1%3A9001")
        #expect(WebDID(baseURL: "https://data.example.cn/")?.value == "did:web:data.example.cn")
        // did:web implies https off loopback, and a base URL has no path.
        #expect(WebDID(baseURL: "http://data.example.cn") == nil)
        #expect(WebDID(baseURL: "https://data.example.cn/node") == nil)
        #expect(WebDID(baseURL: "data.example.cn") == nil)
    }
}
