import DataspaceCore

/// Who would be harmed if the data leaked, were altered or destroyed (GB/T 43697-2024 §6.4).
public enum ImpactObject: String, Sendable, CaseIterable, Codable {
    case nationalSecurity = "national-security"
    case economicOperation = "economic-operation"
    case socialOrder = "social-order"
    case publicInterest = "public-interest"
    case organizationRights = "organization-rights"
    case individualRights = "individual-rights"
}

/// How badly (GB/T 43697-2024 §6.4, Annex F).
public enum ImpactDegree: String, Sendable, CaseIterable, Codable {
    case especiallySerious = "especially-serious"
    case serious
    case general
    case none
}

/// A publisher's declaration of one impact.
public struct DeclaredImpact: Sendable, Hashable, Codable {
    public let object: ImpactObject
    public let degree: ImpactDegree

    public init(object: ImpactObject, degree: ImpactDegree) {
        self.object = object
        self.degree = degree
    }

    /// Reads `OBJECT:DEGREE`, e.g. `public-interest:serious`.
    public init(parsing text: String, field: String = "impact") throws(ValidationError) {
        let parts = text.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let object = ImpactObject(rawValue: parts[0]), let degree = ImpactDegree(rawValue: parts[1]) else {
            throw ValidationError(
                code: "impact.invalid", field: field,
                message: "'\(text)' is not OBJECT:DEGREE; objects: \(ImpactObject.allCases.map(\.rawValue).joined(separator: ", ")); degrees: \(ImpactDegree.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(object: object, degree: degree)
    }
}

/// A grade with every reason that led to it, in the order they were weighed.
public struct GradeDecision: Sendable, Equatable {
    public let grade: DataGrade
    public let reasons: [String]
}

/// Derives a GB/T 43697-2024 grade from declared impacts (the standard's level table, §6.5)
/// and raises it for sensitive data the profile found; the highest level any rule gives
/// applies ("就高从严"). The result is a proposal: the publisher confirms or overrides it.
public enum GradeAssessment {
    /// Records of sensitive personal information from which a dataset counts as important data
    /// (personal information "at scale", Annex G); configurable because sectors set their own.
    public static let defaultImportantScale = 1_000_000

    /// GB/T 43697-2024 §6.5: the level for one impact.
    public static func level(for impact: DeclaredImpact) -> DataGrade {
        switch (impact.object, impact.degree) {
        case (.nationalSecurity, .especiallySerious), (.nationalSecurity, .serious): return DataGrade(level: .core)
        case (.economicOperation, .especiallySerious), (.socialOrder, .especiallySerious), (.publicInterest, .especiallySerious):
            return DataGrade(level: .core)
        case (.nationalSecurity, .general): return DataGrade(level: .important)
        case (.economicOperation, .serious), (.socialOrder, .serious), (.publicInterest, .serious): return DataGrade(level: .important)
        // General data; sub-levels after Annex H by the harm to organisations or individuals.
        case (_, .especiallySerious): return DataGrade(level: .general, subLevel: 4)
        case (_, .serious): return DataGrade(level: .general, subLevel: 3)
        case (_, .general): return DataGrade(level: .general, subLevel: 2)
        case (_, .none): return DataGrade(level: .general, subLevel: 1)
        }
    }

    /// Sensitive personal information under PIPL art. 28 among the detectable kinds.
    static let sensitivePersonal: Set<SensitiveKind> = [.residentID, .bankCard, .passport, .coordinates]

    public static func assess(
        declared: [DeclaredImpact], profile: DatasetProfile?, importantScale: Int = defaultImportantScale, share: Double = 0.5
    ) -> GradeDecision {
        var grade = DataGrade(level: .general, subLevel: 1)
        var reasons: [String] = []
        func raise(to candidate: DataGrade, because reason: String) {
            reasons.append(reason)
            if rank(candidate) > rank(grade) { grade = candidate }
        }
        if declared.isEmpty { reasons.append("no impact declared: general-1 unless the data says otherwise") }
        for impact in declared {
            raise(to: level(for: impact), because: "declared \(impact.degree.rawValue) harm to \(impact.object.rawValue) → \(level(for: impact)) (GB/T 43697-2024 §6.5)")
        }
        for column in profile?.columns ?? [] {
            for detection in column.sensitive where detection.share >= share {
                let records = detection.count
                if sensitivePersonal.contains(detection.kind) {
                    if records >= importantScale {
                        raise(to: DataGrade(level: .important),
                              because: "column \(column.name): \(records) \(detection.kind.rawValue) values — sensitive personal information at scale (≥ \(importantScale)) → important")
                    } else {
                        raise(to: DataGrade(level: .general, subLevel: 4),
                              because: "column \(column.name): \(records) \(detection.kind.rawValue) values — sensitive personal information → general-4")
                    }
                } else if detection.kind.isPersonal {
                    raise(to: DataGrade(level: .general, subLevel: 3),
                          because: "column \(column.name): \(records) \(detection.kind.rawValue) values — personal information → general-3")
                } else {
                    raise(to: DataGrade(level: .general, subLevel: 2),
                          because: "column \(column.name): \(records) \(detection.kind.rawValue) values — organisation or network identifiers → general-2")
                }
            }
        }
        reasons.append("highest applies: \(grade)")
        return GradeDecision(grade: grade, reasons: reasons)
    }

    /// Orders grades: general-1 < … < general-4 < important < core.
    public static func rank(_ grade: DataGrade) -> Int {
        switch grade.level {
        case .core: 6
        case .important: 5
        case .general: grade.subLevel ?? 1
        }
    }
}
