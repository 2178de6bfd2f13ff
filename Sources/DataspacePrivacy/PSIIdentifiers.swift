/// Identifiers as private set intersection matches them: byte for byte after trimming ASCII
/// spaces and tabs around the value, empty values ignored, each value once. Both sides apply
/// the same rule (the provider to its column, the consumer's CLI to its file), so `" 42"` and
/// `"42"` meet while `"042"` and `"42"` do not — normalising formats is the parties' business.
public enum PSIIdentifiers {
    public static let maximumLength = 1_024

    /// The value as matched, or nil when it is empty or longer than `maximumLength` bytes.
    public static func normalized(_ value: some Collection<UInt8>) -> [UInt8]? {
        var bytes = Array(value)
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0D { bytes.removeLast() }
        let start = bytes.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? bytes.endIndex
        if start > 0 { bytes.removeFirst(start) }
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return nil }
        return bytes
    }

    /// Collects the distinct identifiers of one column from CSV records (the first is the header).
    public struct ColumnCollector {
        public let column: String
        private var index: Int?
        private var sawHeader = false
        private var seen: Set<[UInt8]> = []
        public private(set) var values: [[UInt8]] = []

        public init(column: String) { self.column = column }

        public enum Failure: Error, Equatable { case noSuchColumn }

        public mutating func add(_ record: [[UInt8]]) throws(Failure) {
            guard sawHeader else {
                sawHeader = true
                index = record.firstIndex { String(decoding: $0, as: UTF8.self) == column }
                guard index != nil else { throw .noSuchColumn }
                return
            }
            guard let index, index < record.count, let value = normalized(record[index]) else { return }
            if seen.insert(value).inserted { values.append(value) }
        }
    }
}

extension PSIBlinding {
    /// True when `point` (32 bytes) is a u-coordinate a peer may send: not of small order on
    /// the curve or its twist, so blinding it can never give the zero point. Checked before a
    /// run is charged, so nothing fails once the answer streams.
    public static func isUsable(_ point: some Collection<UInt8>) -> Bool {
        guard point.count == pointSize else { return false }
        let x = Field25519(littleEndian: point)
        return !(HashToCurve25519.clearCofactor(x: x, z: .one).z == .zero)
    }

    /// The index of the first unusable point in a packed buffer, or nil.
    public static func firstUnusable(packed points: [UInt8]) -> Int? {
        guard points.count % pointSize == 0 else { return points.count / pointSize }
        for index in 0..<(points.count / pointSize) where !isUsable(points[index * pointSize..<(index + 1) * pointSize]) {
            return index
        }
        return nil
    }
}
