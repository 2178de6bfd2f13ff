/// Word-at-a-time byte searches for the CSV tokenizer: eight bytes per step instead of one,
/// which is where a tokenizer spends its time on fields of ordinary text.
/// Where an RFC 4180 tokenizer stands: the state both the profiler's tokenizer and the upload
/// validator keep.
public enum CSVPosition: Sendable {
    case fieldStart, unquoted, quoted, quoteInQuoted
}

public enum ByteScan {
    public static let ones: UInt64 = 0x0101_0101_0101_0101
    /// The high bit of every byte: the marks `matches` sets.
    public static let highs: UInt64 = 0x8080_8080_8080_8080

    /// High bit set in each byte of `v` that is zero. Only the lowest set bit is exact (a borrow
    /// can mark a byte above a true zero), which is the one the searches read.
    @inlinable @inline(__always)
    static func zeros(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }

    /// Eight bytes from `p + i`, the first in the lowest bits.
    @inlinable @inline(__always)
    public static func word(_ p: UnsafeRawPointer, _ i: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }

    /// The high bit of each byte of `w` that equals `byte`, exactly (no borrow between bytes):
    /// for loops that need every match in a word, not only the first.
    @inlinable @inline(__always)
    public static func matches(_ w: UInt64, _ byte: UInt8) -> UInt64 {
        let x = w ^ (UInt64(byte) &* ones)
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((x & low7) &+ low7) | x | low7)
    }

    /// Where the run of bytes that need no look ends, from `start` in `position`: an unquoted
    /// field (or one starting without a quote) runs to the next comma, line end or quote, a
    /// quoted one to the next quote or LF; after a closing quote there is no run.
    @inlinable @inline(__always)
    public static func runEnd(_ p: UnsafeRawPointer, from start: Int, to end: Int, in position: CSVPosition) -> Int {
        switch position {
        case .fieldStart where p.load(fromByteOffset: start, as: UInt8.self) != 0x22, .unquoted: fieldEnd(p, from: start, to: end)
        case .quoted: quotedEnd(p, from: start, to: end)
        case .fieldStart, .quoteInQuoted: start
        }
    }

    /// The offset of the first comma, LF, CR or double quote in `p[i..<end]`, or `end`: where an
    /// unquoted field stops.
    @inlinable @inline(__always)
    public static func fieldEnd(_ p: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var i = start
        while i + 8 <= end {
            let w = word(p, i)
            let m = zeros(w ^ (0x2C &* ones)) | zeros(w ^ (0x0A &* ones)) | zeros(w ^ (0x0D &* ones)) | zeros(w ^ (0x22 &* ones))
            // A false mark of one search lies above a true mark of the same search, so the
            // lowest mark of the four together is the first byte sought.
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < end {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b == 0x2C || b == 0x0A || b == 0x0D || b == 0x22 { return i }
            i += 1
        }
        return end
    }

    /// The offset of the first LF in `p[i..<end]`, or `end`.
    @inlinable @inline(__always)
    public static func newlineEnd(_ p: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var i = start
        while i + 8 <= end {
            let m = zeros(word(p, i) ^ (0x0A &* ones))
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < end {
            if p.load(fromByteOffset: i, as: UInt8.self) == 0x0A { return i }
            i += 1
        }
        return end
    }

    /// Calls `body` with the offset of each double quote or LF in `p[0..<count]` in order, and
    /// whether it is a quote, until `body` returns false; false if it stopped early. The walk
    /// that quote parity needs (cuts between parts, a sample's quoted newlines).
    @inlinable @inline(__always)
    public static func forEachQuoteOrNewline(_ p: UnsafeRawPointer, count: Int, _ body: (_ offset: Int, _ isQuote: Bool) -> Bool) -> Bool {
        var next = 0
        while next < count {
            let i = quotedEnd(p, from: next, to: count)
            guard i < count else { break }
            next = i + 1
            if !body(i, p.load(fromByteOffset: i, as: UInt8.self) == 0x22) { return false }
        }
        return true
    }

    /// The offset of the first double quote or LF in `p[i..<end]`, or `end`: where the text of a
    /// quoted field needs a look (LFs are counted for line numbers).
    @inlinable @inline(__always)
    public static func quotedEnd(_ p: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var i = start
        while i + 8 <= end {
            let w = word(p, i)
            let m = zeros(w ^ (0x0A &* ones)) | zeros(w ^ (0x22 &* ones))
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < end {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b == 0x0A || b == 0x22 { return i }
            i += 1
        }
        return end
    }
}
