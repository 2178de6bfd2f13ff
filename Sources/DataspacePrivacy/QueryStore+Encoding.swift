import DataspaceCore

/// A query store as bytes, so a product's store is built once when it is published and read
/// back in a fraction of a second by whichever process answers its queries, instead of being
/// rebuilt from the CSV on each node's first query.
///
/// Layout, little-endian: the magic `DSQSTORE`, format version (u32), the compute schema as
/// canonical JSON (u32 length + bytes), row count and unit count (u64 each), column count
/// (u32), each header name (u32 length + bytes), the rows' unit codes (u32 each), then each
/// column: a tag byte — 0 bounded (i64 per row), 1 coded (empty-cell flag byte, dictionary
/// size u32, each entry u32 length + bytes, then u32 per row), 2 too many values, 3 the privacy
/// unit. Decoding checks every length against the bytes left and every code against its
/// dictionary, so a damaged file is refused instead of trusted.
extension QueryStore {
    static let magic = Array("DSQSTORE".utf8)
    static let formatVersion: UInt32 = 1

    /// Why stored bytes are not a query store for the schema asked for.
    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Hands the encoding to `write` in pieces (column arrays without copying them).
    public func encode(_ write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var head: [UInt8] = Self.magic
        head.appendLittleEndian(Self.formatVersion)
        head.appendText(schema.json.canonicalBytes)
        head.appendLittleEndian(UInt64(rowCount))
        head.appendLittleEndian(UInt64(unitCount))
        head.appendLittleEndian(UInt32(truncatingIfNeeded: header.count))
        for name in header { head.appendText(Array(name.utf8)) }
        try head.withUnsafeBytes(write)
        try units.withUnsafeBytes(write)
        for column in columns {
            switch column {
            case .bounded(let fixed):
                try [UInt8(0)].withUnsafeBytes(write)
                try fixed.values.withUnsafeBytes(write)
            case .coded(let codes, let dictionary, let hasEmpty):
                var part: [UInt8] = [1, hasEmpty ? 1 : 0]
                part.appendLittleEndian(UInt32(truncatingIfNeeded: dictionary.count))
                for entry in dictionary { part.appendText(Array(entry.utf8)) }
                try part.withUnsafeBytes(write)
                try codes.withUnsafeBytes(write)
            case .tooManyValues:
                try [UInt8(2)].withUnsafeBytes(write)
            case .privacyUnit:
                try [UInt8(3)].withUnsafeBytes(write)
            }
        }
    }

    /// Reads a store back; refuses bytes written for another schema, by another format version,
    /// cut short, with trailing bytes or with a code outside its dictionary.
    public init(encoded bytes: UnsafeRawBufferPointer, schema: ComputeSchema) throws(FormatError) {
        var reader = ByteReader(bytes: bytes)
        guard try reader.bytes(Self.magic.count).elementsEqual(Self.magic) else { throw FormatError("not a query store") }
        guard try reader.integer(UInt32.self) == Self.formatVersion else { throw FormatError("written by another format version") }
        guard try reader.text().elementsEqual(schema.json.canonicalBytes) else { throw FormatError("built for another compute declaration") }
        let rows = try reader.count(UInt64.self, limit: Int(UInt32.max))
        let unitCount = try reader.count(UInt64.self, limit: Int(UInt32.max))
        let columnCount = try reader.count(UInt32.self, limit: reader.remaining)
        var header: [String] = []
        for _ in 0..<columnCount { header.append(String(decoding: try reader.text(), as: UTF8.self)) }
        guard Set(header).count == header.count else { throw FormatError("two columns have the same name") }
        let units: [UInt32] = try reader.array(count: rows)
        guard units.allSatisfy({ Int($0) < unitCount }) else { throw FormatError("a row's unit is outside the unit count") }
        let unitColumn = schema.privacyUnit.flatMap { header.firstIndex(of: $0) }
        var columns: [Column] = []
        for (i, name) in header.enumerated() {
            let tag = try reader.bytes(1).first
            switch tag {
            case 0:
                guard let bounds = schema.bounds[name], i != unitColumn else { throw FormatError("column \(name) is not bounded in the declaration") }
                let values: [Int64] = try reader.array(count: rows)
                guard values.allSatisfy({ $0 == FixedPointColumn.missing || (bounds.lower...bounds.upper).contains($0) }) else {
                    throw FormatError("column \(name) holds a value outside its bounds")
                }
                columns.append(.bounded(FixedPointColumn(values: values, bounds: bounds)))
            case 1:
                guard schema.bounds[name] == nil, i != unitColumn else { throw FormatError("column \(name) is bounded or the unit in the declaration") }
                let hasEmpty = try reader.bytes(1).first == 1
                let size = try reader.count(UInt32.self, limit: QueryStoreBuilder.maximumDictionary)
                var dictionary: [String] = []
                dictionary.reserveCapacity(min(size, reader.remaining / 4))
                for _ in 0..<size { dictionary.append(String(decoding: try reader.text(), as: UTF8.self)) }
                let codes: [UInt32] = try reader.array(count: rows)
                guard codes.allSatisfy({ Int($0) < size }) else { throw FormatError("column \(name) has a code outside its dictionary") }
                columns.append(.coded(codes: codes, dictionary: dictionary, hasEmpty: hasEmpty))
            case 2:
                guard schema.bounds[name] == nil, i != unitColumn else { throw FormatError("column \(name) is bounded or the unit in the declaration") }
                columns.append(.tooManyValues)
            case 3:
                guard i == unitColumn else { throw FormatError("column \(name) is not the declared privacy unit") }
                columns.append(.privacyUnit)
            default:
                throw FormatError("column \(name) has an unknown kind")
            }
        }
        guard reader.remaining == 0 else { throw FormatError("has bytes after its last column") }
        if unitColumn == nil { guard unitCount == rows else { throw FormatError("every row is its own unit, but the counts differ") } }
        guard unitCount <= rows else { throw FormatError("more units than rows") }
        self.init(header: header, columns: columns, units: units, unitCount: unitCount, schema: schema)
    }
}

/// Reads little-endian values from a buffer, never past its end.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var remaining: Int { bytes.count - offset }

    mutating func bytes(_ count: Int) throws(QueryStore.FormatError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw QueryStore.FormatError("is cut short") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(QueryStore.FormatError) -> T {
        let raw = try bytes(MemoryLayout<T>.size)
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    /// A stored count, refused above `limit` (which also bounds what is allocated for it).
    mutating func count<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, limit: Int) throws(QueryStore.FormatError) -> Int {
        let value = try integer(T.self)
        guard value <= UInt64(max(limit, 0)) else { throw QueryStore.FormatError("holds a count of \(value), more than \(limit)") }
        return Int(value)
    }

    mutating func text() throws(QueryStore.FormatError) -> UnsafeRawBufferPointer {
        try bytes(try count(UInt32.self, limit: remaining))
    }

    /// `count` values of `T` as the host stores them (every supported host is little-endian).
    mutating func array<T: FixedWidthInteger>(count: Int) throws(QueryStore.FormatError) -> [T] {
        let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else { throw QueryStore.FormatError("is cut short") }
        let raw = try bytes(size)
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let source = raw.baseAddress, let target = buffer.baseAddress, size > 0 {
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: size)
            }
            initialized = count
        }
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    fileprivate mutating func appendText(_ bytes: [UInt8]) {
        appendLittleEndian(UInt32(truncatingIfNeeded: bytes.count))
        append(contentsOf: bytes)
    }
}
