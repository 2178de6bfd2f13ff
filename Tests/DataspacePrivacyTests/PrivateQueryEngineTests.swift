import DataspaceCore
import Testing

@testable import DataspacePrivacy

/// The engine over real stores. With the largest budget the node accepts (ε = 10⁶) the noise
/// has scale 10⁻⁶ and is zero with overwhelming probability, so exact totals show what bounding,
/// clamping, filtering and grouping did; the noise itself is tested in NoiseSamplerTests.
@Suite("Differentially private query engine")
struct PrivateQueryEngineTests {
    static func store(_ csv: String, schema: ComputeSchema, seed: UInt64 = 7) throws -> QueryStore {
        var builder = QueryStoreBuilder(schema: schema)
        var reader = CSVRecordReader()
        var bytes = Array(csv.utf8)
        try bytes.withUnsafeMutableBytes { raw in
            try reader.feed(UnsafeRawBufferPointer(raw)) { try builder.add($0) }
        }
        try reader.finish { try builder.add($0) }
        var random = SeededRandom(seed: seed)
        return try builder.build(using: &random)
    }

    static let huge = PrivacyLoss.pure(epsilon: .maximum)

    static func run(_ store: QueryStore, _ sql: String, loss: PrivacyLoss = huge, delta: PrivacyAmount = .zero, seed: UInt64 = 1) throws -> PrivateAnswer {
        let engine = PrivateQueryEngine(store: store)
        let plan = try engine.plan(try PrivateQueryParser.parse(sql), loss: loss, delta: delta)
        var random = SeededRandom(seed: seed)
        return engine.answer(plan, using: &random)
    }

    static let patients = """
        patient,region,age,cost,diagnosis
        p1,north,30,100.5,flu
        p1,north,30,200,flu
        p1,north,30,300,flu
        p2,south,1e300,NaN,cold
        p3,south,-40,50,flu
        p4,north,70,,cold
        p5,south,45,1e300,"flu, severe"
        """

    static let schema = ComputeSchema(
        privacyUnit: "patient", bounds: ["age": try! ColumnBounds(parsing: "0:120"), "cost": try! ColumnBounds(parsing: "0:1000.5")],
        publicKeys: ["region"], maxRowsPerUnit: 2, maxGroupsPerUnit: 1)

    @Test("bounding, clamping and missing values, exactly")
    func exactTotals() throws {
        let store = try Self.store(Self.patients, schema: Self.schema)
        #expect(store.unitCount == 5)
        let a = try Self.run(store, "SELECT COUNT(*) AS rows, COUNT(cost) AS costs, SUM(age) AS ages, SUM(cost) AS costs_total FROM data")
        // p1 keeps 2 of its 3 rows: 6 rows count, not 7.
        #expect(a.rows.count == 1)
        #expect(a.rows[0][0] == "6")
        // Costs present: p1 ×2, p3, p5 (NaN and empty are missing).
        #expect(a.rows[0][1] == "4")
        // Ages: 30+30 (p1's two kept rows), 120 (1e300 clamped), 0 (−40 clamped), 70, 45.
        #expect(a.rows[0][2] == "295")
        // Costs: p1's two kept rows are two of 100.5/200/300 (random order), 50, and 1000.5 (clamped).
        let costs = try #require(Double(a.rows[0][3]))
        #expect([300.5, 400.5, 500.0].map { $0 + 1050.5 }.contains(costs), "\(costs)")
        #expect(a.columns.map(\.kind) == [.count, .count, .sum, .sum])
        #expect(a.columns[3].noise?.mechanism == "discrete Laplace")
        #expect(a.loss == Self.huge)
    }

    @Test("a unit with a million rows counts as maxRowsPerUnit rows")
    func oneUnitManyRows() throws {
        var builder = QueryStoreBuilder(schema: ComputeSchema(privacyUnit: "id", bounds: ["v": try ColumnBounds(parsing: "-10:10")], maxRowsPerUnit: 3))
        try builder.add([Array("id".utf8), Array("v".utf8)])
        let huge = Array("1e300".utf8), id = Array("same".utf8)
        for _ in 0..<1_000_000 { try builder.add([id, huge]) }
        try builder.add([Array("other".utf8), Array("-1e300".utf8)])
        var random = SeededRandom(seed: 3)
        let store = try builder.build(using: &random)
        let a = try Self.run(store, "SELECT COUNT(*), SUM(v) FROM data")
        #expect(a.rows == [["4", "20"]])
    }

    @Test("public keys release every group, empty ones too; AVG is the ratio within bounds")
    func publicGroups() throws {
        let store = try Self.store(Self.patients, schema: Self.schema)
        let a = try Self.run(store, "SELECT region, COUNT(*) AS n, AVG(age) AS mean_age FROM data WHERE diagnosis = 'flu' GROUP BY region")
        let byRegion = Dictionary(uniqueKeysWithValues: a.rows.map { ($0[0], $0) })
        #expect(byRegion["north"]?[1] == "2")
        #expect(byRegion["south"]?[1] == "1")
        #expect(byRegion["north"]?[2] == "30.00")
        #expect(byRegion["south"]?[2] == "0.00")
        // No region is empty, so the empty value is no group; every region is released.
        #expect(byRegion[""] == nil)
        #expect(a.rows.count == 2)
        // An empty key cell makes the empty value a group of its own, released with its count.
        let withEmpty = try Self.store(Self.patients + "\np6,,50,10,flu", schema: Self.schema)
        let b = try Self.run(withEmpty, "SELECT region, COUNT(*) AS n FROM data WHERE diagnosis = 'cold' GROUP BY region")
        #expect(Dictionary(uniqueKeysWithValues: b.rows.map { ($0[0], $0[1]) }) == ["north": "1", "south": "1", "": "0"])
        #expect(a.releaseThreshold == nil)
        #expect(a.delta == .zero)
    }

    @Test("a key that is not public needs δ, and then only groups above the threshold are released")
    func thresholdedGroups() throws {
        var csv = "person,diagnosis\n"
        for i in 0..<50 { csv += "a\(i),common\n" }
        csv += "lonely,rare\n"
        let store = try Self.store(csv, schema: ComputeSchema(privacyUnit: "person"))
        #expect(throws: PrivateQueryError.self) { try Self.run(store, "SELECT diagnosis, COUNT(*) FROM data GROUP BY diagnosis") }
        let a = try Self.run(store, "SELECT diagnosis, COUNT(*) FROM data GROUP BY diagnosis", delta: PrivacyAmount(decimal: "0.000001")!)
        #expect(a.rows == [["common", "50"]])
        #expect(a.releaseThreshold == 2)
        #expect(a.delta == PrivacyAmount(decimal: "0.000001"))
    }

    @Test("what the plan refuses names the part", arguments: [
        ("SELECT SUM(diagnosis) FROM data", "SUM(diagnosis)"),
        ("SELECT SUM(nothing) FROM data", "SUM(nothing)"),
        ("SELECT COUNT(*) FROM data WHERE patient = 'p1'", "WHERE patient"),
        ("SELECT patient, COUNT(*) FROM data GROUP BY patient", "GROUP BY patient"),
        ("SELECT age, COUNT(*) FROM data GROUP BY age", "GROUP BY age"),
        ("SELECT diagnosis, COUNT(*) FROM data GROUP BY diagnosis", "GROUP BY diagnosis"),
        ("SELECT COUNT(*) FROM data WHERE age = 'old'", "WHERE age"),
        ("SELECT COUNT(*) FROM data WHERE nope = 1", "WHERE nope"),
    ])
    func refusals(sql: String, part: String) throws {
        let store = try Self.store(Self.patients, schema: Self.schema)
        do {
            _ = try Self.run(store, sql)
            Issue.record("\(sql) was answered")
        } catch let error as PrivateQueryError {
            #expect(error.part == part, "\(sql): \(error)")
        }
    }

    @Test("a budget too small to split among the measurements is refused")
    func tinyBudget() throws {
        let store = try Self.store(Self.patients, schema: Self.schema)
        #expect(throws: PrivateQueryError.self) {
            try Self.run(store, "SELECT COUNT(*), SUM(age) FROM data", loss: .pure(epsilon: PrivacyAmount(billionths: 1)))
        }
    }

    @Test("noise is there at a real budget, and its report matches the sensitivity")
    func realNoise() throws {
        let store = try Self.store(Self.patients, schema: Self.schema)
        let one = try #require(PrivacyAmount(decimal: "1"))
        let a = try Self.run(store, "SELECT COUNT(*), SUM(age) FROM data", loss: .pure(epsilon: one))
        // Two measurements at ε = 0.5 each; a unit adds ≤ 2 rows and ≤ 2 × 120 years.
        #expect(a.columns[0].noise?.scale == 4)
        #expect(a.columns[1].noise?.scale == 480)
        #expect(a.columns[0].noise?.loss == .pure(epsilon: PrivacyAmount(decimal: "0.5")!))
        let g = try Self.run(store, "SELECT COUNT(*) FROM data", loss: .zeroConcentrated(rho: PrivacyAmount(decimal: "0.5")!))
        // σ² = Δ₂²/2ρ = 2²/1 = 4.
        #expect(g.columns[0].noise?.scale == 2)
        #expect(g.columns[0].noise?.mechanism == "discrete Gaussian")
        // Many answers at ε = 1 differ: the released counts are not the true count every time.
        let answers = try (0..<20).map { try Self.run(store, "SELECT COUNT(*) FROM data", loss: .pure(epsilon: one), seed: UInt64($0)).rows[0][0] }
        #expect(Set(answers).count > 3)
    }

    @Test("the schema is checked against the header, naming the field")
    func schemaChecks() throws {
        let cases: [(ComputeSchema, String)] = [
            (ComputeSchema(privacyUnit: "nobody"), "privacyUnit"),
            (ComputeSchema(bounds: ["ghost": try ColumnBounds(parsing: "0:1")]), "bounds.ghost"),
            (ComputeSchema(privacyUnit: "patient", bounds: ["patient": try ColumnBounds(parsing: "0:1")]), "bounds.patient"),
            (ComputeSchema(publicKeys: ["patient"], maxRowsPerUnit: 0), "maxRowsPerUnit"),
            (ComputeSchema(maxGroupsPerUnit: 65), "maxGroupsPerUnit"),
        ]
        for (schema, field) in cases {
            do {
                _ = try Self.store(Self.patients, schema: schema)
                Issue.record("\(schema) accepted")
            } catch let error as ComputeSchemaError {
                #expect(error.field == field, "\(error)")
            }
        }
        for bad in ["", "1", "a:b", "5:1", "1:1", "0:1e3", "0:0.0000001", "-1e13:0", "0:2000000000000"] {
            #expect(throws: ComputeSchemaError.self, "\(bad)") { try ColumnBounds(parsing: bad) }
        }
        #expect(try ColumnBounds(parsing: "-5.5:10.25").description == "-5.50:10.25")
    }
}
