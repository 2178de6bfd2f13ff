/// One pass over a value's bytes, eight at a time, for everything the profiler derives from the
/// bytes alone: the value's hash, the hash of its shape (`ValueClassifier.pattern`), its length
/// in characters and an order key of its first eight bytes. Before, each was its own loop over
/// the value, the shape one byte at a time through a switch and a chain of multiplies.
struct ValueScan {
    /// A fast 64-bit hash of the value's bytes (a multiply-fold step per eight bytes, then
    /// murmur3's finaliser): deterministic across runs, well mixed in the high bits HyperLogLog
    /// and the tables read.
    var hash: UInt64
    /// Equal for values of equal `ValueClassifier.pattern`.
    var patternHash: UInt64
    /// UTF-8 characters (bytes that do not continue a character).
    var characters: Int
    /// The first eight bytes big-endian, zero-padded: when two values' keys differ, they order
    /// as their keys do (a shorter value's padding is below any byte the longer one has there).
    var orderKey: UInt64

    /// The scan of an empty value (a field the row lacks).
    static let empty = ValueScan(UnsafeBufferPointer(start: nil, count: 0))

    /// Bytes of padding after a buffer of values for `init(_:readableAfter:)`.
    static let paddingBytes = 8

    /// Shapes hold at most this many symbols, then "…" (`ValueClassifier.pattern`).
    static let patternSymbols = 32

    @inline(__always)
    init(_ b: UnsafeBufferPointer<UInt8>) { self.init(b, readableAfter: false) }

    /// `readableAfter`: at least seven bytes after the value can be read (a block's padding,
    /// `paddingBytes`), so its last 1–7 bytes are one load and a mask instead of a loop a
    /// byte at a time — most values in a table are shorter than a word.
    @inline(__always)
    init(_ b: UnsafeBufferPointer<UInt8>, readableAfter: Bool) {
        let raw = UnsafeRawBufferPointer(b)
        let n = raw.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        // Symbols past the 32nd are not in the shape, only that there were more: the length
        // seeds the shape's hash, and each word's fold mixes it in (no finaliser needed after).
        var shape: UInt64 = 0x5851_F42D_4C95_7F2D ^ (UInt64(min(n, Self.patternSymbols)) | (n > Self.patternSymbols ? 1 << 32 : 0))
        var continuations = 0
        // The shape is hashed word by word while the first 32 bytes are ASCII (a symbol per
        // byte); a value with other bytes there has its shape hashed symbol by symbol.
        var asciiShape = true
        var key: UInt64 = 0
        var i = 0
        while i + 8 <= n {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if i == 0 { key = w.byteSwapped }
            h = ColumnAccumulator.fold(h ^ w)
            let high = w & ByteScan.highs
            if high != 0 {
                continuations += (high & ~(w << 1)).nonzeroBitCount
                if i < Self.patternSymbols { asciiShape = false }
            }
            if asciiShape, i < Self.patternSymbols { shape = ColumnAccumulator.fold(shape ^ Self.symbols(w)) }
            i += 8
        }
        if i < n {
            // The last 1–7 bytes, in the low bytes of a word (zeros above).
            var tail: UInt64 = 0
            if readableAfter, let base = raw.baseAddress {
                let word = UInt64(littleEndian: (base + i).loadUnaligned(as: UInt64.self))
                tail = word & ((1 << UInt64(truncatingIfNeeded: (n &- i) &* 8)) &- 1)
            } else {
                var shift: UInt64 = 0
                var j = i
                while j < n {
                    tail |= UInt64(raw[j]) << shift
                    shift += 8
                    j += 1
                }
            }
            if i == 0 { key = tail.byteSwapped }
            h = ColumnAccumulator.fold(h ^ tail ^ 0xA076_1D64_78BD_642F)
            let high = tail & ByteScan.highs
            if high != 0 {
                continuations += (high & ~(tail << 1)).nonzeroBitCount
                if i < Self.patternSymbols { asciiShape = false }
            }
            if asciiShape, i < Self.patternSymbols { shape = ColumnAccumulator.fold(shape ^ Self.symbols(tail)) }
        } else {
            h = ColumnAccumulator.fold(h ^ 0xA076_1D64_78BD_642F)
        }
        hash = ColumnAccumulator.finish(h)
        characters = n - continuations
        orderKey = key
        if asciiShape {
            patternHash = shape
        } else {
            patternHash = ValueClassifier.patternHash(b)
        }
    }

    /// `hash` alone, for a value its column answers from its memo (`ValueMemo`): the fold per
    /// word and nothing else. `readableAfter` as in `init(_:readableAfter:)`.
    @inline(__always)
    static func hash(of b: UnsafeBufferPointer<UInt8>, readableAfter: Bool) -> UInt64 {
        let raw = UnsafeRawBufferPointer(b)
        let n = raw.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = ColumnAccumulator.fold(h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        var tail: UInt64 = 0
        if i < n {
            if readableAfter, let base = raw.baseAddress {
                let word = UInt64(littleEndian: (base + i).loadUnaligned(as: UInt64.self))
                tail = word & ((1 << UInt64(truncatingIfNeeded: (n &- i) &* 8)) &- 1)
            } else {
                var shift: UInt64 = 0
                for j in i..<n {
                    tail |= UInt64(raw[j]) << shift
                    shift += 8
                }
            }
        }
        return ColumnAccumulator.finish(ColumnAccumulator.fold(h ^ tail ^ 0xA076_1D64_78BD_642F))
    }

    /// The shape symbols of eight ASCII bytes: digits → 9, letters → A or a, others kept.
    @inline(__always)
    static func symbols(_ w: UInt64) -> UInt64 {
        let digits = spread(inRange(w, 0x30, 0x39))
        let upper = spread(inRange(w, 0x41, 0x5A))
        let lower = spread(inRange(w, 0x61, 0x7A))
        return (w & ~(digits | upper | lower)) | (digits & (0x39 &* ByteScan.ones)) | (upper & (0x41 &* ByteScan.ones)) | (lower & (0x61 &* ByteScan.ones))
    }

    /// The high bit of each byte of `w` (every byte below 0x80) within `low...high`: adding
    /// 0x80 − low sets a byte's high bit from `low` up, adding 0x7F − high from above `high`;
    /// neither sum carries into the next byte.
    @inline(__always)
    static func inRange(_ w: UInt64, _ low: UInt8, _ high: UInt8) -> UInt64 {
        let fromLow = w &+ UInt64(0x80 - low) &* ByteScan.ones
        let aboveHigh = w &+ UInt64(0x7F - high) &* ByteScan.ones
        return fromLow & ~aboveHigh & ByteScan.highs
    }

    /// 0xFF in each byte whose high bit is set in `marks` (only high bits set).
    @inline(__always)
    static func spread(_ marks: UInt64) -> UInt64 { (marks >> 7) &* 0xFF }
}
