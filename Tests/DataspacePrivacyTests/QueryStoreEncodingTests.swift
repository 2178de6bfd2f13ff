import DataspaceCore
import Testing

@testable import DataspacePrivacy

/// A query store written at publish time must read back as the same store, and bytes that are
/// not exactly such a store — cut short, for another declaration, with a code outside its
/// dictionary — must be refused rather than handed to the engine, which indexes by them.
@Suite("Query store encoding")
struct QueryStoreEncodingTests {
    static func bytes(_ store: QueryStore) -> [UInt8] {
        var out: [UInt8] = []
        store.encode { out.append(contentsOf: $0) }
        return out
    }

    static func decode(_ bytes: [UInt8], schema: ComputeSchema = PrivateQueryEngineTests.schema) throws -> QueryStore {
        try bytes.withUnsafeBytes { try QueryStore(encoded: $0, schema: schema) }
    }

    /// Every column, the units and the header, compared value by value.
    static func same(_ a: QueryStore, _ b: QueryStore) -> Bool {
        guard a.header == b.header, a.units == b.units, a.unitCount == b.unitCount, a.schema == b.schema, a.columns.count == b.columns.count else {
            return false
        }
        for (x, y) in zip(a.columns, b.columns) {
            switch (x, y) {
            case (.bounded(let p), .bounded(let q)): if p.values != q.values || p.bounds != q.bounds { return false }
            case (.coded(let c1, let d1, let e1), .coded(let c2, let d2, let e2)): if c1 != c2 || d1 != d2 || e1 != e2 { return false }
            case (.tooManyValues, .tooManyValues), (.privacyUnit, .privacyUnit): continue
            default: return false
            }
        }
        return true
    }

    @Test("a store reads back as itself and answers the same query with the same numbers")
    func roundTrip() throws {
        let store = try PrivateQueryEngineTests.store(PrivateQueryEngineTests.patients, schema: PrivateQueryEngineTests.schema)
        let encoded = Self.bytes(store)
        let decoded = try Self.decode(encoded)
        #expect(Self.same(store, decoded))
        let sql = "SELECT region, COUNT(*) AS n, SUM(cost) AS total FROM data GROUP BY region"
        #expect(try PrivateQueryEngineTests.run(decoded, sql) == PrivateQueryEngineTests.run(store, sql))
        // Rows that are their own units, an empty dictionary column and Chinese text.
        let plain = try PrivateQueryEngineTests.store(
            "城市,人数,备注\n广州,3,\n深圳,5,\n广州,1e300,x\n", schema: ComputeSchema(bounds: ["人数": try ColumnBounds(parsing: "0:10")], publicKeys: ["城市"]))
        #expect(Self.same(plain, try Self.decode(Self.bytes(plain), schema: plain.schema)))
    }

    @Test("every cut-short prefix, trailing bytes, another declaration and a wrong code are refused")
    func damagedBytesRefused() throws {
        let store = try PrivateQueryEngineTests.store(PrivateQueryEngineTests.patients, schema: PrivateQueryEngineTests.schema)
        let encoded = Self.bytes(store)
        for length in 0..<encoded.count {
            #expect(throws: QueryStore.FormatError.self) { try Self.decode(Array(encoded.prefix(length))) }
        }
        #expect(throws: QueryStore.FormatError("has bytes after its last column")) { try Self.decode(encoded + [0]) }
        var other = PrivateQueryEngineTests.schema
        other.maxRowsPerUnit = 3
        #expect(throws: QueryStore.FormatError("built for another compute declaration")) { try Self.decode(encoded, schema: other) }
        // The last four bytes are the diagnosis column's last code: point it past the dictionary.
        var wrongCode = encoded
        wrongCode.replaceSubrange(wrongCode.count - 4..<wrongCode.count, with: [0xFF, 0xFF, 0, 0])
        #expect(throws: QueryStore.FormatError("column diagnosis has a code outside its dictionary")) { try Self.decode(wrongCode) }
        // A huge row count cannot make the reader allocate: it is refused against the bytes left.
        let rowCountAt = 16 + PrivateQueryEngineTests.schema.json.canonicalBytes.count
        var manyRows = encoded
        manyRows.replaceSubrange(rowCountAt..<rowCountAt + 8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(throws: QueryStore.FormatError("is cut short")) { try Self.decode(manyRows) }
        manyRows.replaceSubrange(rowCountAt..<rowCountAt + 8, with: [UInt8](repeating: 0xFF, count: 8))
        #expect(throws: QueryStore.FormatError("holds a count of \(UInt64.max), more than \(UInt32.max)")) { try Self.decode(manyRows) }
        var magic = encoded
        magic[0] = UInt8(ascii: "X")
        #expect(throws: QueryStore.FormatError("not a query store")) { try Self.decode(magic) }
    }
}
