/// Where a field's bytes lie in a buffer of records, as two 32-bit offsets: 8 bytes, where a
/// `Range<Int>?` took 24 — a block's ranges are read several times per value (scan, add,
/// detectors, rules), strided by the row, and at a third of the size they stay in the cache
/// with the block's bytes. A field the row lacks is `missing`. The profiler keeps its buffers
/// below `limit` bytes (`TabularProfiler.largestChunk`, `ProfileOptions.maximumRecordBytes`).
struct FieldRange: Equatable {
    let start: UInt32
    let end: UInt32

    /// Offsets in a buffer stay below this; `missing` lies past it.
    static let limit = Int(UInt32.max - 1)

    /// A field the row lacks (not an empty one).
    static let missing = FieldRange(start: .max, end: .max)

    private init(start: UInt32, end: UInt32) {
        self.start = start
        self.end = end
    }

    /// `start..<end` in a buffer shorter than `limit` bytes.
    @inline(__always)
    init(_ start: Int, _ end: Int) {
        assert(start <= end && end <= Self.limit, "field \(start)..<\(end) outside a buffer the profiler keeps")
        self.start = UInt32(truncatingIfNeeded: start)
        self.end = UInt32(truncatingIfNeeded: end)
    }

    @inline(__always)
    var isMissing: Bool { start == .max }

    /// The offsets, or nil for a missing field.
    @inline(__always)
    var range: Range<Int>? { isMissing ? nil : Int(start)..<Int(end) }

    /// The field's bytes in `buffer` (empty for a missing field).
    @inline(__always)
    func bytes(in buffer: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        isMissing ? UnsafeBufferPointer(start: nil, count: 0) : UnsafeBufferPointer(rebasing: buffer[Range(uncheckedBounds: (Int(start), Int(end)))])
    }
}
