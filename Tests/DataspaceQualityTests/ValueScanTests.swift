import Testing

@testable import DataspaceQuality

/// The one-pass value scan against the separate per-byte definitions it replaces: the same
/// hash bit for bit, characters counted as UTF-8 scalars, order keys that never contradict
/// byte order, and shape hashes equal exactly when `ValueClassifier.pattern` is.
@Suite("Value scan")
struct ValueScanTests {
    /// Values of every length around the word and shape boundaries (0–80 bytes), ASCII and
    /// mixed: Han, two- and four-byte characters, non-ASCII only after the 32nd byte.
    static func values() -> [[UInt8]] {
        var random = SeededGenerator(seed: 2_026_1203)
        let ascii = Array("0123456789abcXYZ-_.,:/@ *#".utf8)
        let wide: [[UInt8]] = [Array("汉".utf8), Array("é".utf8), Array("😀".utf8), Array("字".utf8)]
        var out: [[UInt8]] = [[], Array("a".utf8), Array("2026-01-01T00:00:00".utf8), Array("ST0042".utf8)]
        for step in 0..<20_000 {
            let length = Int(random.next() % 81)
            var value: [UInt8] = []
            let mode = step % 4
            while value.count < length {
                let r = random.next()
                // mode 0: ASCII only; 1: some wide characters anywhere; 2: wide only past byte 32;
                // 3: short values from a few shapes, so that many share one.
                if (mode == 1 && r % 5 == 0) || (mode == 2 && value.count >= 33 && r % 3 == 0) {
                    value += wide[Int(r >> 8) % wide.count]
                } else if mode == 3 {
                    value.append(r % 2 == 0 ? UInt8(0x30 + r % 10) : UInt8(0x61 + (r >> 4) % 26))
                } else {
                    value.append(ascii[Int(r >> 16) % ascii.count])
                }
            }
            out.append(value)
        }
        return out
    }

    /// The hash's definition, a byte at a time for the tail: a fold per eight bytes (little-endian
    /// words), the last 1–7 bytes as one more word, murmur3's finaliser.
    static func referenceHash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(b.count)
        var i = 0
        while i + 8 <= b.count {
            var word: UInt64 = 0
            for k in 0..<8 { word |= UInt64(b[i + k]) << (8 * UInt64(k)) }
            h = ColumnAccumulator.fold(h ^ word)
            i += 8
        }
        var tail: UInt64 = 0
        for k in 0..<(b.count - i) { tail |= UInt64(b[i + k]) << (8 * UInt64(k)) }
        return ColumnAccumulator.finish(ColumnAccumulator.fold(h ^ tail ^ 0xA076_1D64_78BD_642F))
    }

    @Test("hash and characters equal the separate definitions for every value")
    func hashAndCharacters() {
        for value in Self.values() {
            value.withUnsafeBufferPointer { b in
                let scan = ValueScan(b)
                #expect(scan.hash == Self.referenceHash(b))
                #expect(scan.characters == String(decoding: value, as: UTF8.self).unicodeScalars.count)
            }
        }
    }

    @Test("the hash alone is the full scan's hash, with the tail read as one word or byte by byte")
    func hashAloneIsTheScansHash() {
        for value in Self.values() {
            let padded = value + Array(repeating: 0xFF, count: ValueScan.paddingBytes)
            padded.withUnsafeBufferPointer { b in
                let v = UnsafeBufferPointer(rebasing: b[0..<value.count])
                let expected = ValueScan(v).hash
                #expect(ValueScan.hash(of: v, readableAfter: true) == expected)
                #expect(ValueScan.hash(of: v, readableAfter: false) == expected)
            }
        }
    }

    @Test("a value followed by other bytes scans as it does alone when its tail is read as one word")
    func paddedTailReadsOnlyTheValue() {
        for value in Self.values() {
            // 0xFF after the value: any byte of it leaking into the tail would change the hash,
            // the characters (a high byte) and the order key.
            let padded = value + Array(repeating: 0xFF, count: ValueScan.paddingBytes)
            let (alone, word) = padded.withUnsafeBufferPointer { b in
                let v = UnsafeBufferPointer(rebasing: b[0..<value.count])
                return (ValueScan(v, readableAfter: false), ValueScan(v, readableAfter: true))
            }
            #expect(word.hash == alone.hash)
            #expect(word.patternHash == alone.patternHash)
            #expect(word.characters == alone.characters)
            #expect(word.orderKey == alone.orderKey)
        }
    }

    @Test("order keys that differ order their values as bytes do")
    func orderKeys() {
        let values = Self.values()
        var decided = 0
        for (a, b) in zip(values, values.dropFirst(7)) + [(Array("ab".utf8), Array("ab\u{0}".utf8)), (Array("a".utf8), [])] {
            let ka = a.withUnsafeBufferPointer { ValueScan($0).orderKey }
            let kb = b.withUnsafeBufferPointer { ValueScan($0).orderKey }
            if ka != kb {
                decided += 1
                #expect((ka < kb) == a.lexicographicallyPrecedes(b), "\(a) vs \(b)")
            }
        }
        // Most random pairs differ within eight bytes, so the keys were put to the test.
        #expect(decided > 10_000)
    }

    @Test("shape hashes are equal exactly when the shapes are")
    func shapes() {
        var byShape: [String: UInt64] = [:]
        var byHash: [UInt64: String] = [:]
        var shared = 0
        for value in Self.values() + [Array(repeating: 0x61, count: 40) + Array("汉".utf8), Array(repeating: 0x62, count: 45)] {
            let (shape, hash) = value.withUnsafeBufferPointer { (ValueClassifier.pattern($0), ValueScan($0).patternHash) }
            if let earlier = byShape[shape] {
                shared += 1
                #expect(earlier == hash, "\(shape)")
            }
            byShape[shape] = hash
            if let other = byHash[hash] { #expect(other == shape) }
            byHash[hash] = shape
        }
        // The 40 a's then 汉 and the 45 b's share "aaa…": one ASCII-looking shape from both paths.
        #expect(byShape[String(repeating: "a", count: 32) + "…"] != nil)
        #expect(shared > 500)
    }

    @Test("shape symbols of a word agree with the per-byte mapping for every ASCII byte")
    func symbolsOfEveryByte() {
        for byte in UInt8(0)..<0x80 {
            let word = UInt64(byte) &* ByteScan.ones
            let expected: UInt8 =
                switch byte {
                case 0x30...0x39: 0x39
                case 0x41...0x5A: 0x41
                case 0x61...0x7A: 0x61
                default: byte
                }
            #expect(ValueScan.symbols(word) == UInt64(expected) &* ByteScan.ones, "byte \(byte)")
        }
    }
}
