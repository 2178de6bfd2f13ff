import DataspaceCatalog
import DataspaceCore
import Foundation
import Testing

/// An update changes only what it gives; every column that masking or rules name must exist.
@Suite struct ProductUpdateTests {
    static let rules = """
        columns:
          aqi: { type: integer, min: 0, max: 500, required: true }
        unique: [station]
        """
    static let v1 = "station,aqi\nGZ001,42\nGZ002,57\n"
    static let v2 = "station,aqi\nGZ001,40\nGZ002,61\nGZ003,88\n"

    func first(_ f: CatalogFixture) async throws -> DatasetRecord {
        var request = CatalogFixture.request
        request.rules = Self.rules
        request.impacts = ["public-interest:general"]
        request.protection = ["masking": ["station": "hash"]]
        request.grade = "general-3"
        request.decidedBy = "张三"
        return try await f.service.publish(request, format: .csv, body: f.body(Self.v1))
    }

    @Test func aFileAloneKeepsKeywordsRulesMaskingAndTheGradeAPersonDecided() async throws {
        let f = try CatalogFixture(importantScale: 1_000_000)
        let v1 = try await first(f)
        #expect(v1.grade.description == "general-3" && v1.quality?.grade.by == "张三", "\(String(describing: v1.quality?.grade))")

        let v2 = try await f.service.update(v1.identifier, ProductChanges(), format: .csv, body: f.body(Self.v2))
        #expect(v2.version == 2 && v2.distribution.rowCount == 3)
        #expect(v2.title == v1.title && v2.description == v1.description && v2.sector == v1.sector)
        #expect(v2.keywords == ["空气质量", "AQI"])
        #expect(v2.rules == Self.rules && v2.impacts == ["public-interest:general"])
        #expect(v2.protection.masking["station"] != nil)
        #expect(v2.grade.description == "general-3")
        #expect(v2.quality?.grade.by == "张三" && v2.quality?.grade.status == .overridden && v2.quality?.grade.review == nil)
        // The carried rules were applied to the new file: the report checks uniqueness of station.
        let report = try #require(try await f.service.qualityReport(v1.identifier, version: 2))
        #expect(report.json.contains("station"))

        // A title alone keeps the file and everything else.
        var title = ProductChanges()
        title.title = "广州市空气质量监测数据（修订）"
        let v3 = try await f.service.update(v1.identifier, title, format: nil, body: Optional<AsyncStream<[UInt8]>>.none)
        #expect(v3.title == "广州市空气质量监测数据（修订）" && v3.distribution == v2.distribution)
        #expect(v3.keywords == v2.keywords && v3.rules == v2.rules && v3.protection == v2.protection && v3.grade == v2.grade)

        // Keywords given anew replace the old ones; an empty list clears them.
        var cleared = ProductChanges()
        cleared.keywords = []
        #expect(try await f.service.update(v1.identifier, cleared, format: nil, body: Optional<AsyncStream<[UInt8]>>.none).keywords.isEmpty)
    }

    @Test func aStricterAssessmentOfTheNewFileOverridesTheKeptGradeAndIsFlagged() async throws {
        let f = try CatalogFixture(importantScale: 3)
        var request = CatalogFixture.request
        request.grade = "general-2"
        request.decidedBy = "张三"
        let v1 = try await f.service.publish(request, format: .csv, body: f.body("station,aqi\nGZ001,42\n"))
        #expect(v1.grade.description == "general-2")
        // The new file holds identity numbers of enough people to be important data.
        let people =
            "name,id_number,phone\n张伟,11010519491231002X,13800138000\n王芳,440106198001010019,13912345678\n"
            + "李娜,110105197001010011,13700001111\n刘洋,440103199001011236,13611112222\n陈静,440305199203056786,13522223333\n"
        let v2 = try await f.service.update(v1.identifier, ProductChanges(), format: .csv, body: f.body(people))
        #expect(v2.grade.level == .important, "\(v2.grade)")
        let decision = try #require(v2.quality?.grade)
        #expect(decision.status == .proposed)
        #expect(decision.review?.contains("stricter than general-2 decided by 张三") == true, "\(decision)")
    }

    @Test func masksAndRulesOnColumnsTheFileLacksAreRefusedWithTheRealColumns() async throws {
        let f = try CatalogFixture()
        var masked = CatalogFixture.request
        masked.protection = ["masking": ["phone": "partial:3,4"]]
        do {
            _ = try await f.service.publish(masked, format: .csv, body: f.body(Self.v1))
            Issue.record("a mask on a column the file lacks was accepted")
        } catch let error as CatalogError {
            #expect(error.code == .invalidInput && error.field == "protection.masking.phone", "\(error)")
            #expect(error.message.contains("'phone'") && error.message.contains("station, aqi"), "\(error.message)")
        }
        var ruled = CatalogFixture.request
        ruled.rules = "columns:\n  pm25: { type: decimal }\n"
        do {
            _ = try await f.service.publish(ruled, format: .csv, body: f.body(Self.v1))
            Issue.record("a rule on a column the file lacks was accepted")
        } catch let error as CatalogError {
            #expect(error.field == "rules.columns.pm25" && error.message.contains("station, aqi"), "\(error)")
        }
        #expect(try f.blobFiles().isEmpty && f.tempFiles().isEmpty)
        #expect(try await f.store.datasetRowCount() == 0)

        // A new file without a column the current masking names: refused, the masking says which.
        let fixture = try CatalogFixture(importantScale: 1_000_000)
        let v1 = try await first(fixture)
        do {
            _ = try await fixture.service.update(v1.identifier, ProductChanges(), format: .csv, body: fixture.body("site,aqi\nGZ001,42\n"))
            Issue.record("a renamed masked column was accepted")
        } catch let error as CatalogError {
            #expect(error.field == "protection.masking.station" && error.message.contains("site, aqi"), "\(error)")
        }
        #expect(try await fixture.service.versions(v1.identifier).count == 1)
    }
}
