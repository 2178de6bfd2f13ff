/// The fields of the CSV record being read, as ranges into the tokenizer's row buffer. Emptied
/// after every record by resetting a count, its storage kept: `Array.removeAll(keepingCapacity:)`
/// went through a generic `replaceSubrange` call on every record (1–3 % of a profile).
struct RecordFields {
    /// Optional only so that a whole record joins the profiler's block (`[Range<Int>?]`) in one
    /// copy; every stored field is there.
    private var storage: [Range<Int>?] = []
    /// Fields of the record so far.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    mutating func append(_ range: Range<Int>) {
        if count < storage.count { storage[count] = range } else { storage.append(range) }
        count &+= 1
    }

    /// Forgets the record's fields (the storage stays for the next record).
    @inline(__always)
    mutating func removeAll() { count = 0 }

    /// The range of field `i` (`i < count`).
    @inline(__always)
    subscript(i: Int) -> Range<Int> {
        precondition(i < count, "field \(i) of \(count)")
        return storage[i] ?? 0..<0
    }

    /// The record's fields in order.
    var all: ArraySlice<Range<Int>?> { storage[..<count] }
}
