import DataspaceCore
import DataspaceQuality
import Testing

/// The GB/T 43697-2024 level table, and grades raised by detected sensitive data with reasons.
@Suite struct GradeAssessmentTests {
    @Test(arguments: [
        (ImpactObject.nationalSecurity, ImpactDegree.especiallySerious, "core"), (.nationalSecurity, .serious, "core"), (.nationalSecurity, .general, "important"),
        (.economicOperation, .especiallySerious, "core"), (.economicOperation, .serious, "important"), (.economicOperation, .general, "general-2"),
        (.socialOrder, .especiallySerious, "core"), (.socialOrder, .serious, "important"),
        (.publicInterest, .especiallySerious, "core"), (.publicInterest, .serious, "important"), (.publicInterest, .none, "general-1"),
        (.individualRights, .especiallySerious, "general-4"), (.individualRights, .serious, "general-3"), (.organizationRights, .general, "general-2"),
    ])
    func theStandardsTable(_ object: ImpactObject, _ degree: ImpactDegree, _ expected: String) {
        #expect(GradeAssessment.level(for: DeclaredImpact(object: object, degree: degree)).description == expected)
    }

    func profile(_ csv: String) throws -> DatasetProfile {
        var profiler = TabularProfiler(format: .csv)
        try Array(csv.utf8).withUnsafeBytes { try profiler.consume($0) }
        return try profiler.finish()
    }

    @Test func highestAppliesWithEveryReasonRecorded() throws {
        let people = try profile("name,id,phone\n张伟,11010519491231002X,13812345678\n李娜,440106199003071231,13912345678\n")
        let decision = GradeAssessment.assess(declared: [DeclaredImpact(object: .publicInterest, degree: .general)], profile: people)
        #expect(decision.grade.description == "general-4")
        #expect(decision.reasons.contains { $0.contains("column id: 2 resident-id values — sensitive personal information → general-4") })
        #expect(decision.reasons.contains { $0.contains("column phone: 2 mobile values — personal information → general-3") })
        #expect(decision.reasons.last == "highest applies: general-4")
        // At scale the same columns make the dataset important data; a declaration can still raise it to core.
        let atScale = GradeAssessment.assess(declared: [], profile: people, importantScale: 2)
        #expect(atScale.grade == DataGrade(level: .important))
        let declaredCore = GradeAssessment.assess(declared: [DeclaredImpact(object: .nationalSecurity, degree: .serious)], profile: people, importantScale: 2)
        #expect(declaredCore.grade == DataGrade(level: .core))
    }

    @Test func ordinaryDataStaysGeneral() throws {
        let readings = try profile("station,aqi\nGZ001,42\nGZ002,57\n")
        let decision = GradeAssessment.assess(declared: [], profile: readings)
        #expect(decision.grade.description == "general-1")
        #expect(decision.reasons.first?.contains("no impact declared") == true)
        // A column where only a few values look like phone numbers does not raise the grade.
        let mostlyCodes = try profile("code\n" + (0..<9).map { "C\($0)\n" }.joined() + "13812345678\n")
        #expect(GradeAssessment.assess(declared: [], profile: mostlyCodes).grade.description == "general-1")
    }
}
