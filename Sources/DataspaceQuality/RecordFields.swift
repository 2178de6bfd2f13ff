/// The fields of the CSV record being read, as ranges into the tokenizer's row buffer. Emptied
/// after every record by resetting a count, its storage kept.
///
/// The storage is written through a pointer: an array element written per field went through an
/// out-of-line uniqueness check on every field (about 3 % of a profile). Instead the profiler
/// calls `makeUnique()` once at the start of each call that may append (a chunk, the close), and
/// no copy of the profiler can be made while such a call runs, so between two of them the
/// storage is this value's alone.
struct RecordFields {
    /// Holds the ranges; shared by copies of the value until `makeUnique()`.
    private final class Storage {
        /// Optional ranges only so that a whole record joins the profiler's block
        /// (`[Range<Int>?]`) in one copy; every stored field is there.
        var base: UnsafeMutablePointer<Range<Int>?>
        var capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
        }

        func copy(count: Int) -> Storage {
            let copy = Storage(capacity: capacity)
            copy.base.initialize(from: base, count: count)
            return copy
        }

        /// Doubles the room, keeping the first `count` ranges.
        func grow(keeping count: Int) {
            let larger = UnsafeMutablePointer<Range<Int>?>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }

        deinit { base.deallocate() }
    }

    private var storage = Storage(capacity: 64)
    /// Fields of the record so far.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// Gives this value storage of its own if a copy shares it; once per mutating call of the
    /// profiler, before any `append`.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy(count: count) }
    }

    @inline(__always)
    mutating func append(_ range: Range<Int>) {
        assert(isKnownUniquelyReferenced(&storage), "RecordFields.append without makeUnique()")
        if count == storage.capacity { storage.grow(keeping: count) }
        // Range<Int>? is a trivial type: assigning over an old or uninitialized slot is the same.
        (storage.base + count).initialize(to: range)
        count &+= 1
    }

    /// Forgets the record's fields (the storage stays for the next record).
    @inline(__always)
    mutating func removeAll() { count = 0 }

    /// The range of field `i` (`i < count`).
    @inline(__always)
    subscript(i: Int) -> Range<Int> {
        precondition(i < count, "field \(i) of \(count)")
        return storage.base[i] ?? 0..<0
    }

    /// Calls `body` with the record's fields in order.
    func withFields<T>(_ body: (UnsafeBufferPointer<Range<Int>?>) throws -> T) rethrows -> T {
        try withExtendedLifetime(storage) { storage in
            try body(UnsafeBufferPointer(start: storage.base, count: count))
        }
    }
}
