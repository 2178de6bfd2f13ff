/// The fields of the CSV records waiting to be profiled (the block), then of the record being
/// read, as ranges into the tokenizer's row buffer (`FieldRange`), in one list: a record joins
/// the block where it was written (`commit`) instead of being copied there, and the list is
/// emptied after every block by resetting counts, its storage kept. `count`, `append`, the
/// subscript and `removeAll` are about the record being read.
///
/// The storage is written through a pointer: an array element written per field went through an
/// out-of-line uniqueness check on every field (about 3 % of a profile). Instead the profiler
/// calls `makeUnique()` once at the start of each call that may append (a chunk, the close), and
/// no copy of the profiler can be made while such a call runs, so between two of them the
/// storage is this value's alone.
struct RecordFields {
    /// Holds the ranges; shared by copies of the value until `makeUnique()`.
    private final class Storage {
        /// A record's fields, then `FieldRange.missing` for the ones it lacks when it joins
        /// the block.
        var base: UnsafeMutablePointer<FieldRange>
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
            let larger = UnsafeMutablePointer<FieldRange>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }

        deinit { base.deallocate() }
    }

    private var storage = Storage(capacity: 64)
    /// Fields in the list: the block's, then the record's.
    private var total = 0
    /// Where the record being read starts: the block's fields are the ones before.
    private(set) var blockCount = 0

    /// Fields of the record so far.
    var count: Int { total &- blockCount }
    var isEmpty: Bool { total == blockCount }

    /// Gives this value storage of its own if a copy shares it; once per mutating call of the
    /// profiler, before any `append`.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy(count: total) }
    }

    /// Adds the field at `start..<end` of the row buffer.
    @inline(__always)
    mutating func append(_ start: Int, _ end: Int) {
        assert(isKnownUniquelyReferenced(&storage), "RecordFields.append without makeUnique()")
        put(FieldRange(start, end))
    }

    @inline(__always)
    private mutating func put(_ range: FieldRange) {
        if total == storage.capacity { storage.grow(keeping: total) }
        // FieldRange is a trivial type: assigning over an old or uninitialized slot is the same.
        (storage.base + total).initialize(to: range)
        total &+= 1
    }

    /// Forgets the record's fields (the storage stays for the next record).
    @inline(__always)
    mutating func removeAll() { total = blockCount }

    /// The range of the record's field `i` (`i < count`).
    @inline(__always)
    subscript(i: Int) -> Range<Int> {
        precondition(i < count, "field \(i) of \(count)")
        return storage.base[blockCount &+ i].range ?? 0..<0
    }

    /// The record joins the block with `width` fields: extra fields are dropped, missing ones
    /// are `FieldRange.missing`. Like `append`, only after `makeUnique()`.
    @inline(__always)
    mutating func commit(width: Int) {
        assert(isKnownUniquelyReferenced(&storage), "RecordFields.commit without makeUnique()")
        if count > width { total = blockCount &+ width }
        while count < width { put(.missing) }
        blockCount = total
    }

    /// Forgets the block and the record.
    mutating func removeAllBlocks() {
        total = 0
        blockCount = 0
    }

    /// Calls `body` with the record's fields in order.
    func withFields<T>(_ body: (UnsafeBufferPointer<FieldRange>) throws -> T) rethrows -> T {
        try withExtendedLifetime(storage) { storage in
            try body(UnsafeBufferPointer(start: storage.base + blockCount, count: count))
        }
    }

    /// Calls `body` with the block's fields, record after record.
    func withBlock<T>(_ body: (UnsafeBufferPointer<FieldRange>) throws -> T) rethrows -> T {
        try withExtendedLifetime(storage) { storage in
            try body(UnsafeBufferPointer(start: storage.base, count: blockCount))
        }
    }
}
