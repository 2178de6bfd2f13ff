import Crypto
import DataspaceCore
import Foundation

/// Writes a file around the page cache (O_DIRECT) on a thread of its own and hashes it on
/// another: the upload's thread only copies each chunk into an aligned buffer and goes back to
/// the network, so receiving, hashing and waiting for the disk overlap instead of adding up.
/// (Hashing on the writing thread put SHA-256 and the disk's wait end to end: a 1 GiB publish
/// on two cores landed at some 400 MB/s, its writer off the disk for half of that time.)
///
/// A third thread syncs the file every `syncBytes` as it lands. Written around the guest's
/// cache, the bytes can still sit in a virtual machine host's cache, and one fsync at the end
/// then made the host write the whole upload at once (1.7–1.9 s for 1 GiB on our test VM) while
/// the assessment's reads of the same disk waited behind it; synced as it lands, the upload
/// reaches the disk while it arrives and the commit's fsync has little left to do.
///
/// Full buffers are written in order; `finish` writes the last, unaligned one through the cache
/// (direct I/O cannot write it) and returns the digest. The writer works on a duplicate of the
/// descriptor, which it closes when it stops, so closing the original never races a write.
final class DirectFileWriter: @unchecked Sendable {
    /// Each buffer keeps the disk busy for a few milliseconds; three let one fill while one is
    /// written and one waits.
    static let bufferBytes = 4 << 20
    static let bufferCount = 3
    /// Bytes landed between two syncs: small enough that each is short (the assessment's reads
    /// wait behind it), large enough not to sync every buffer (BENCHMARKS.md, "the upload synced
    /// as it lands": 16 MiB publishes fastest of 4, 8, 16, 64 and 256).
    static let syncBytes: Int64 = 16 << 20

    private let descriptor: Int32
    private let landed: @Sendable (Int64) -> Void
    private let beforeEachWrite: (@Sendable () -> Void)?
    private let syncEvery: Int64
    /// fdatasync(2), or what a test puts in its place (same contract: 0, or -1 and errno).
    private let syncFile: @Sendable (Int32) -> Int32
    private let condition = NSCondition()
    private var buffers: [UnsafeMutableRawPointer] = []

    // Guarded by `condition`.
    private var free: [UnsafeMutableRawPointer] = []
    private var queue: [(buffer: UnsafeMutableRawPointer, count: Int, last: Bool)] = []
    /// The same buffers, in the same order, for the hashing thread.
    private var hashQueue: [(buffer: UnsafeMutableRawPointer, count: Int, last: Bool)] = []
    /// Buffers handed over and not yet both written and hashed, with how many of the two are
    /// left: a buffer is free again only when neither thread reads it.
    private var unfinished: [UnsafeMutableRawPointer: Int] = [:]
    /// The last buffer was written.
    private var lastWritten = false
    /// Bytes in the file so far, for the syncing thread.
    private var landedBytes: Int64 = 0
    /// The syncing thread is in a sync: `finish` waits for it, so that its failure is heard.
    private var syncInFlight = false
    private var failure: CatalogError?
    private var digest: SHA256.Digest?
    private var stopped = false
    /// The upload's task, suspended in `room(for:)` until this many buffers are free.
    private var waiter: (buffers: Int, continuation: CheckedContinuation<Void, any Error>)?

    // The caller's thread only.
    private var current: UnsafeMutableRawPointer?
    private var filled = 0

    /// Writes to `descriptor` (opened with O_DIRECT); `landed` hears, on the writer's thread,
    /// how many bytes the file holds after each write; `beforeEachWrite` runs on the writer's
    /// thread before each (tests hold the disk back with it); the file is synced by `sync` each
    /// time `syncEvery` more bytes have landed (0: only by the commit). Nil when the descriptor
    /// cannot be duplicated.
    init?(
        descriptor: Int32, landed: @escaping @Sendable (Int64) -> Void, beforeEachWrite: (@Sendable () -> Void)? = nil,
        syncEvery: Int64 = DirectFileWriter.syncBytes, sync: @escaping @Sendable (Int32) -> Int32 = { fdatasync($0) }
    ) {
        let copy = dup(descriptor)
        guard copy >= 0 else { return nil }
        let syncCopy = syncEvery > 0 ? dup(descriptor) : -1
        guard syncEvery <= 0 || syncCopy >= 0 else {
            close(copy)
            return nil
        }
        self.descriptor = copy
        self.landed = landed
        self.beforeEachWrite = beforeEachWrite
        self.syncEvery = syncEvery
        self.syncFile = sync
        buffers = (0..<Self.bufferCount).map { _ in UnsafeMutableRawPointer.allocate(byteCount: Self.bufferBytes, alignment: DirectIO.alignment) }
        free = buffers
        let thread = Thread { [self] in run() }
        thread.name = "upload (disk)"
        thread.start()
        if syncCopy >= 0 {
            let syncing = Thread { [self] in syncAsItLands(syncCopy) }
            syncing.name = "upload (sync)"
            syncing.start()
        }
        let hashing = Thread { [self] in hash() }
        hashing.name = "upload (SHA-256)"
        hashing.start()
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// Suspends (without holding a thread) until `write` can take `count` bytes without
    /// waiting: until the current buffer's space and the free buffers hold them (at most every
    /// buffer but the one being filled is waited for).
    func room(for count: Int) async throws {
        let spare = current == nil ? 0 : Self.bufferBytes - filled
        guard count > spare else { return }
        let beyond = count - spare
        // The buffer being filled can never be free: at most the others are waited for.
        let others = Self.bufferCount - (current == nil ? 0 : 1)
        let needed = min(others, beyond / Self.bufferBytes + (beyond % Self.bufferBytes == 0 ? 0 : 1))
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if let failure {
                condition.unlock()
                continuation.resume(throwing: failure)
            } else if stopped {
                condition.unlock()
                continuation.resume(throwing: Self.stoppedError)
            } else if free.count >= needed {
                condition.unlock()
                continuation.resume()
            } else {
                waiter = (needed, continuation)
                condition.unlock()
            }
        }
    }

    /// Whether the upload's task is suspended in `room(for:)`.
    var isWaitingForRoom: Bool {
        condition.lock()
        defer { condition.unlock() }
        return waiter != nil
    }

    private static let stoppedError = CatalogError(.storage, "the upload was stopped")

    /// The waiter to resume now, if its buffers are free or the writer cannot go on; called
    /// with `condition` locked.
    private func takeWaiter() -> (continuation: CheckedContinuation<Void, any Error>, failure: CatalogError?)? {
        guard let waiter else { return nil }
        let failure = failure ?? (stopped ? Self.stoppedError : nil)
        guard failure != nil || free.count >= waiter.buffers else { return nil }
        self.waiter = nil
        return (waiter.continuation, failure)
    }

    private static func resume(_ waiter: (continuation: CheckedContinuation<Void, any Error>, failure: CatalogError?)?) {
        guard let waiter else { return }
        if let failure = waiter.failure { waiter.continuation.resume(throwing: failure) } else { waiter.continuation.resume() }
    }

    /// Copies `bytes` into the buffers, handing each full one to the writer; waits only when
    /// all are full (`room(for:)` first avoids that). Throws the writer's failure.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var taken = 0
        while taken < bytes.count {
            let buffer = try currentBuffer()
            let n = min(bytes.count - taken, Self.bufferBytes - filled)
            (buffer + filled).copyMemory(from: base + taken, byteCount: n)
            filled += n
            taken += n
            if filled == Self.bufferBytes { hand(last: false) }
        }
    }

    /// Writes what is left, waits for every write and returns the file's SHA-256.
    func finish() throws -> SHA256.Digest {
        _ = try currentBuffer()
        hand(last: true)
        condition.lock()
        defer { condition.unlock() }
        // A sync under way may fail: heard here, not lost (it would have taken the error the
        // commit's fsync reports, as the two descriptors share one open file).
        while (digest == nil || !lastWritten || syncInFlight) && failure == nil && !stopped { condition.wait() }
        if let failure { throw failure }
        guard let digest else { throw CatalogError(.storage, "the upload's file was not finished") }
        return digest
    }

    /// Stops the writer after its current write (the upload is dropped).
    func stop() {
        condition.lock()
        stopped = true
        let waiter = takeWaiter()
        condition.broadcast()
        condition.unlock()
        Self.resume(waiter)
    }

    private func currentBuffer() throws -> UnsafeMutableRawPointer {
        if let current { return current }
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty && failure == nil { condition.wait() }
        if let failure { throw failure }
        let buffer = free.removeLast()
        current = buffer
        filled = 0
        return buffer
    }

    private func hand(last: Bool) {
        guard let current else { return }
        condition.lock()
        queue.append((current, filled, last))
        hashQueue.append((current, filled, last))
        unfinished[current] = 2
        condition.broadcast()
        condition.unlock()
        self.current = nil
        filled = 0
    }

    /// One of the two threads is done with `buffer`; free once both are. Call with
    /// `condition` locked.
    private func release(_ buffer: UnsafeMutableRawPointer) {
        let left = (unfinished[buffer] ?? 1) - 1
        if left > 0 {
            unfinished[buffer] = left
        } else {
            unfinished[buffer] = nil
            free.append(buffer)
        }
    }

    /// Hashes the buffers in the order they were handed over, beside the writes.
    private func hash() {
        var hasher = SHA256()
        while true {
            condition.lock()
            while hashQueue.isEmpty && !stopped && failure == nil { condition.wait() }
            guard !stopped, failure == nil else {
                condition.unlock()
                return
            }
            let item = hashQueue.removeFirst()
            condition.unlock()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: item.buffer, count: item.count))
            condition.lock()
            release(item.buffer)
            if item.last { digest = hasher.finalize() }
            let waiter = takeWaiter()
            condition.broadcast()
            condition.unlock()
            Self.resume(waiter)
            if item.last { return }
        }
    }

    /// Syncs the file (through its own descriptor `copy`) whenever `syncEvery` more bytes have
    /// landed, until the last buffer is written; the commit's fsync covers the rest. A failed sync
    /// fails the upload.
    private func syncAsItLands(_ copy: Int32) {
        defer { close(copy) }
        var synced: Int64 = 0
        while true {
            condition.lock()
            while !stopped && failure == nil && !lastWritten && landedBytes - synced < syncEvery { condition.wait() }
            guard !stopped, failure == nil, !lastWritten else {
                condition.unlock()
                return
            }
            let target = landedBytes
            syncInFlight = true
            condition.unlock()
            let outcome = syncFile(copy)
            let reason = outcome == 0 ? "" : String(cString: strerror(errno))
            condition.lock()
            syncInFlight = false
            if outcome != 0, failure == nil { failure = CatalogError(.storage, "cannot make the upload durable: \(reason)") }
            let waiter = takeWaiter()
            condition.broadcast()
            condition.unlock()
            Self.resume(waiter)
            if outcome != 0 { return }
            synced = target
        }
    }

    private func run() {
        var offset: Int64 = 0
        defer { close(descriptor) }
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            guard !stopped else {
                condition.unlock()
                return
            }
            let item = queue.removeFirst()
            condition.unlock()
            beforeEachWrite?()
            let outcome = Result { () throws(CatalogError) in
                let whole = item.last ? item.count - item.count % DirectIO.alignment : item.count
                try writeAll(item.buffer, count: whole, at: &offset)
                if whole < item.count {
                    // The unaligned end: direct I/O cannot write it.
                    if let direct = DirectIO.flag {
                        let flags = fcntl(descriptor, F_GETFL)
                        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~direct) == 0 else {
                            throw CatalogError(.storage, "cannot finish storing the upload: \(String(cString: strerror(errno)))")
                        }
                    }
                    try writeAll(item.buffer + whole, count: item.count - whole, at: &offset)
                }
            }
            if case .success = outcome, item.count > 0 { landed(offset) }
            condition.lock()
            landedBytes = offset
            release(item.buffer)
            if case .failure(let error) = outcome { failure = error }
            if item.last, failure == nil { lastWritten = true }
            let done = failure != nil || item.last
            let waiter = takeWaiter()
            condition.broadcast()
            condition.unlock()
            Self.resume(waiter)
            if done { return }
        }
    }

    private func writeAll(_ base: UnsafeMutableRawPointer, count: Int, at offset: inout Int64) throws(CatalogError) {
        try Self.writeFully(descriptor, UnsafeRawPointer(base), count: count, at: &offset)
    }

    /// Writes `count` bytes at `offset` (advanced past them), however many calls it takes; both
    /// the direct writer and the blob writer through the cache store uploads with it.
    static func writeFully(_ descriptor: Int32, _ base: UnsafeRawPointer, count: Int, at offset: inout Int64) throws(CatalogError) {
        var done = 0
        while done < count {
            let n = pwrite(descriptor, base + done, count - done, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw CatalogError(.storage, "cannot store the upload: \(String(cString: strerror(errno)))")
            }
            done += n
            offset += Int64(n)
        }
    }
}
