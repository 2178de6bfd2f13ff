import Testing

@testable import DataspaceQuality

/// The 32-bit field offsets the profiler's blocks hold: a missing field stays apart from an
/// empty one, bytes come from where the offsets say, and no setting lets a buffer outgrow them.
@Suite("Field ranges")
struct FieldRangeTests {
    @Test("a field's bytes, an empty field and a missing one")
    func bytesAndMissing() {
        let buffer: [UInt8] = Array("id,name,城市".utf8)
        buffer.withUnsafeBufferPointer { buffer in
            let name = FieldRange(3, 7)
            #expect(Array(name.bytes(in: buffer)) == Array("name".utf8))
            #expect(name.range == 3..<7)
            #expect(!name.isMissing)
            let city = FieldRange(8, buffer.count)
            #expect(String(decoding: city.bytes(in: buffer), as: UTF8.self) == "城市")
            let empty = FieldRange(2, 2)
            #expect(!empty.isMissing && empty.bytes(in: buffer).isEmpty && empty.range == 2..<2)
            #expect(FieldRange.missing.isMissing)
            #expect(FieldRange.missing.range == nil)
            #expect(FieldRange.missing.bytes(in: buffer).isEmpty)
            #expect(FieldRange.missing != FieldRange(0, 0))
            // The largest offset a buffer may reach is still a field, not a missing one.
            #expect(!FieldRange(FieldRange.limit, FieldRange.limit).isMissing)
        }
    }

    @Test("the longest record a setting allows keeps the profiler's buffers within 32-bit offsets")
    func recordCeiling() {
        var options = ProfileOptions()
        #expect(options.maximumRecordBytes == 16 << 20)
        options.maximumRecordBytes = 1_000
        #expect(options.maximumRecordBytes == 1_000)
        options.maximumRecordBytes = .max
        #expect(options.maximumRecordBytes == ProfileOptions.recordBytesCeiling)
        options.maximumRecordBytes = -5
        #expect(options.maximumRecordBytes == 0)
        // A block (1 MiB), the longest record and the largest piece tokenized at once.
        let largestBuffer =
            TabularProfiler.blockBytes + ProfileOptions.recordBytesCeiling + TabularProfiler(format: .csv).largestChunk + ValueScan.paddingBytes
        #expect(largestBuffer < FieldRange.limit)
    }
}
