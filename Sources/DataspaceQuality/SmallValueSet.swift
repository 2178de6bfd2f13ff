import Foundation

/// A rule's short list of allowed values (an enumeration or code list of at most
/// `RuleEvaluator.smallListLimit`), matched by bytes rather than through a `Set<String>`: a
/// value of up to eight bytes is one word compared with each short item's (a `memcmp` call per
/// item cost 2 % of a profile with a city enumeration), a longer one is compared with the long
/// items of its length.
struct SmallValueSet: Sendable {
    /// Items of at most eight bytes: their length and bytes in a little-endian word (zeros above).
    private let short: [(length: Int, word: UInt64)]
    /// Items of more than eight bytes.
    private let long: [[UInt8]]

    init(_ values: some Sequence<String>) {
        let items = values.map { Array($0.utf8) }
        short = items.filter { $0.count <= 8 }.map { ($0.count, Self.word($0)) }
        long = items.filter { $0.count > 8 }
    }

    func contains(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = value.count
        if n <= 8 {
            let w = Self.word(value)
            for item in short where item.length == n && item.word == w { return true }
            return false
        }
        guard let v = value.baseAddress else { return false }
        for item in long where item.count == n {
            if item.withUnsafeBufferPointer({ $0.baseAddress.map { memcmp($0, v, n) == 0 } ?? false }) { return true }
        }
        return false
    }

    /// Up to eight bytes in a little-endian word.
    @inline(__always)
    private static func word<C: Collection<UInt8>>(_ bytes: C) -> UInt64 {
        var w: UInt64 = 0
        var shift: UInt64 = 0
        for b in bytes {
            w |= UInt64(b) << shift
            shift &+= 8
        }
        return w
    }
}
