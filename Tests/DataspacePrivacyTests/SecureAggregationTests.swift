import DataspaceCore
import Testing

@testable import DataspacePrivacy

/// Additive sharing and a provider's own vector (docs/privacy.md, "Secure aggregation").
@Suite("Secure aggregation: shares and inputs")
struct SecureAggregationTests {
    /// Pearson's statistic of `counts` against equal expected counts.
    static func chiSquare(_ counts: [Int]) -> Double {
        let total = Double(counts.reduce(0, +)), expected = total / Double(counts.count)
        return counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    }

    @Test func sharesAddUpToTheSecretsAndTheirSums() {
        var random = SeededRandom(seed: 0xA66_0001)
        let secrets: [[Int64]] = [[0, 1, -1, Int64.max, Int64.min, 42], [7, -7, 1_000_000_000_000, -3, 0, 5], [1, 1, 1, 1, 1, 1]]
        var firsts: [[UInt64]] = [], seconds: [[UInt64]] = []
        for s in secrets {
            let (a, b) = AdditiveShares.split(s, using: &random)
            #expect(AdditiveShares.reveal(a, b) == s)
            firsts.append(a)
            seconds.append(b)
        }
        // Each aggregator adds what it holds; the consumer adds the two sums.
        let joint = AdditiveShares.reveal(AdditiveShares.add(firsts, length: 6), AdditiveShares.add(seconds, length: 6))
        let expected = (0..<6).map { i in secrets.reduce(Int64(0)) { $0 &+ $1[i] } }
        #expect(joint == expected)
        #expect(joint[0] == 8 && joint[1] == -5)
    }

    /// What one aggregator sees of a provider's vector is uniform whatever the vector: the top
    /// four bits of each share, over many splits of two very different secrets, fall evenly into
    /// 16 bins (χ² with 15 degrees of freedom below 37.7, the 0.1 % critical value), for both the
    /// first share and the second, and for low bits too.
    @Test(arguments: [Int64(0), Int64(123_456_789), Int64.max, Int64(-1)])
    func eachAggregatorsViewIsUniform(secret: Int64) {
        var random = SeededRandom(seed: 0xA66_0002 &+ UInt64(bitPattern: secret))
        var high = [[Int]](repeating: [Int](repeating: 0, count: 16), count: 2)
        var low = [[Int]](repeating: [Int](repeating: 0, count: 16), count: 2)
        for _ in 0..<32_000 {
            let (a, b) = AdditiveShares.split([secret], using: &random)
            for (k, share) in [a[0], b[0]].enumerated() {
                high[k][Int(share >> 60)] += 1
                low[k][Int(share & 15)] += 1
            }
        }
        for k in 0..<2 {
            #expect(Self.chiSquare(high[k]) < 37.7, "share \(k) high bits \(high[k])")
            #expect(Self.chiSquare(low[k]) < 37.7, "share \(k) low bits \(low[k])")
        }
    }

    static let schema = ComputeSchema(
        privacyUnit: "resident", bounds: ["amount": try! ColumnBounds(parsing: "0:1000.5")], publicKeys: ["district"])

    /// Adversarial cells: 1e300 clamps to the bound, NaN and text are not summed but the rows
    /// still exist, a district nobody asked for is left out, and an asked district with no rows
    /// reports zeros.
    @Test func aProvidersVectorIsExactOnHostileCells() throws {
        let csv = """
            resident,district,amount
            r1,越秀,10.5
            r2,越秀,1e300
            r3,天河,NaN
            r4,天河,2.5
            r5,天河,abc
            r6,海珠,99
            r7,越秀,-5

            """
        let store = try PrivateQueryEngineTests.store(csv, schema: Self.schema)
        let query = AggregationQuery(
            round: "round-0001", column: "amount", groupBy: "district", groups: ["越秀", "天河", "黄埔"], decimals: 2,
            aggregators: ["did:web:a.example", "did:web:b.example"], providers: 3)
        // 越秀: 10.5 + 1000.5 (clamped) + 0 (clamped from −5) = 1011.00 over 3 values; 天河: 2.50 over 1 (2 not numbers); 黄埔: none.
        #expect(try AggregationInput.vector(query, over: store) == [101_100, 3, 250, 1, 0, 0])
        var counting = query
        counting.column = nil
        #expect(try AggregationInput.vector(counting, over: store) == [0, 3, 0, 3, 0, 0])
        var whole = counting
        whole.groupBy = nil
        whole.groups = []
        #expect(try AggregationInput.vector(whole, over: store) == [0, 7])
        var coarse = query
        coarse.decimals = 0
        // Each value is rounded half away from zero before it is added: 10.5 → 11, 1000.5 → 1001, 2.5 → 3.
        let rounded = try AggregationInput.vector(coarse, over: store)
        #expect(rounded == [1_012, 3, 3, 1, 0, 0], "\(rounded)")
    }

    @Test func refusalsNameTheField() throws {
        let store = try PrivateQueryEngineTests.store("resident,district,amount\nr1,a,1\n", schema: Self.schema)
        let base = AggregationQuery(
            round: "round-0001", column: "amount", groupBy: nil, groups: [], decimals: 0, aggregators: ["did:web:a.example", "did:web:b.example"], providers: 3)
        var notBounded = base
        notBounded.column = "district"
        #expect(throws: AggregationInput.Refusal.self) { try AggregationInput.vector(notBounded, over: store) }
        var notPublic = base
        notPublic.groupBy = "resident"
        notPublic.groups = ["r1"]
        do {
            _ = try AggregationInput.vector(notPublic, over: store)
            Issue.record("grouping by the privacy unit was accepted")
        } catch {
            #expect(error.field == "groupBy")
        }
    }

    /// The query as providers read it from the wire: every malformed field is named.
    @Test(arguments: [
        (#"{"round":"x","aggregators":["did:web:a.example","did:web:b.example"],"providers":3}"#, "round"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example"],"providers":3}"#, "aggregators"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example","did:web:a.example"],"providers":3}"#, "aggregators[1]"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example","http://b"],"providers":3}"#, "aggregators[1]"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example","did:web:b.example"],"providers":2}"#, "providers"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example","did:web:b.example"],"providers":1e300}"#, "providers"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example","did:web:b.example"],"providers":3,"decimals":7}"#, "decimals"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example","did:web:b.example"],"providers":3,"groups":["a"]}"#, "groups"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example","did:web:b.example"],"providers":3,"groupBy":"d","groups":["a","a"]}"#, "groups[1]"),
        (#"{"round":"round-0001","aggregators":["did:web:a.example","did:web:b.example"],"providers":3,"column":""}"#, "column"),
    ])
    func malformedQueriesNameTheField(json: String, field: String) throws {
        let parsed = try JSONValue.parse(json)
        do {
            _ = try AggregationQuery(json: parsed)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func shareVectorsAreReadExactly() throws {
        let values: [UInt64] = [0, 1, UInt64.max, 1 << 63]
        #expect(try ShareVector.parse(ShareVector.json(values), length: 4) == values)
        #expect(throws: ValidationError.self) { try ShareVector.parse(ShareVector.json(values), length: 3) }
        #expect(throws: ValidationError.self) { try ShareVector.parse(.array([.string("18446744073709551616"), .string("0")]), length: 2) }
        #expect(throws: ValidationError.self) { try ShareVector.parse(.array([.number(1), .number(2)]), length: 2) }
        #expect(throws: ValidationError.self) { try ShareVector.parse(.array([.string("-1"), .string("0")]), length: 2) }
    }
}
