import Crypto
@testable import DataspaceCatalog
import Foundation
import Testing

/// The upload's task waits for the disk by suspending in `room(for:)`, not by blocking its
/// thread in `write`; the writer's thread resumes it when a buffer is free, or fails it when the
/// upload is stopped. The file is synced as it lands, and a failed sync fails the upload.
@Suite struct DirectFileWriterTests {
    static let allBuffers = DirectFileWriter.bufferBytes * DirectFileWriter.bufferCount

    /// Runs `body` with a writer on a plain descriptor (the writer does not need O_DIRECT to
    /// work, so these run on tmpfs too) whose disk writes wait for the semaphore; the file is
    /// removed after.
    static func withHeldWriter(
        syncEvery: Int64 = DirectFileWriter.syncBytes, sync: @escaping @Sendable (Int32) -> Int32 = { fdatasync($0) },
        _ body: (DirectFileWriter, _ disk: DispatchSemaphore, _ path: String) async throws -> Void
    ) async throws {
        let gate = DispatchSemaphore(value: 0)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("direct-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let made = DirectFileWriter(descriptor: descriptor, landed: { _ in }, beforeEachWrite: { gate.wait() }, syncEvery: syncEvery, sync: sync)
        let writer = try #require(made)
        // A test that stops early leaves no thread waiting for the disk.
        defer {
            writer.stop()
            for _ in 0..<(DirectFileWriter.bufferCount + 1) { gate.signal() }
        }
        try await body(writer, gate, path)
    }

    /// Fills every buffer while the disk is held, so the next byte needs one back.
    static func fillEveryBuffer(_ writer: DirectFileWriter, with data: [UInt8]) async throws {
        var start = 0
        while start < allBuffers {
            let end = min(allBuffers, start + (1 << 20))
            try await writer.room(for: end - start)
            try data[start..<end].withUnsafeBytes { try writer.write($0) }
            start = end
        }
        #expect(!writer.isWaitingForRoom)
    }

    /// Whether the upload's task came to wait (a bounded number of turns, not a clock).
    static func cameToWait(_ writer: DirectFileWriter) async -> Bool {
        for _ in 0..<10_000_000 {
            if writer.isWaitingForRoom { return true }
            await Task.yield()
        }
        return false
    }

    @Test func aFullWriterSuspendsTheUploadUntilTheDiskFreesABuffer() async throws {
        try await Self.withHeldWriter { writer, disk, path in
            let data = (0..<(Self.allBuffers + 4_097)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
            try await Self.fillEveryBuffer(writer, with: data)
            let suspended = writer
            let waiting = Task { try await suspended.room(for: 4_097) }
            #expect(await Self.cameToWait(writer))
            // One write lets the disk take one buffer back: the upload goes on.
            disk.signal()
            try await waiting.value
            #expect(!writer.isWaitingForRoom)
            try data[Self.allBuffers...].withUnsafeBytes { try writer.write($0) }
            for _ in 0..<(DirectFileWriter.bufferCount + 1) { disk.signal() }
            let digest = try writer.finish()
            #expect(digest == SHA256.hash(data: data))
            #expect(FileManager.default.contents(atPath: path) == Data(data))
        }
    }

    @Test func aStoppedUploadIsNotLeftWaiting() async throws {
        try await Self.withHeldWriter { writer, disk, _ in
            try await Self.fillEveryBuffer(writer, with: [UInt8](repeating: 7, count: Self.allBuffers))
            let suspended = writer
            let waiting = Task { try await suspended.room(for: 1) }
            #expect(await Self.cameToWait(writer))
            writer.stop()
            await #expect(throws: CatalogError.self) { try await waiting.value }
            // Asked again after the stop, it refuses at once.
            await #expect(throws: CatalogError.self) { try await writer.room(for: 1) }
            disk.signal()
        }
    }

    /// Whether `room(for: count)` returns without the upload's task coming to wait. A task
    /// that wrongly waits is failed by stopping the writer, so the test fails instead of hanging
    /// (nothing would ever free a buffer for it).
    static func roomIsGivenAtOnce(_ writer: DirectFileWriter, for count: Int) async -> Bool {
        let outcome = Outcome<Bool>()
        let asking = writer
        let task = Task { outcome.set((try? await asking.room(for: count)) != nil) }
        for _ in 0..<10_000_000 {
            if let given = outcome.value { return given }
            if writer.isWaitingForRoom { break }
            await Task.yield()
        }
        writer.stop()
        await task.value
        return false
    }

    @Test func roomThatIsThereIsNotWaitedFor() async throws {
        try await Self.withHeldWriter { writer, disk, _ in
            // Every buffer is free: room for all of them at once, and no more is ever waited for.
            #expect(await Self.roomIsGivenAtOnce(writer, for: Self.allBuffers))
            #expect(await Self.roomIsGivenAtOnce(writer, for: Int.max))
            // With a buffer part-filled, every other one free is all there can be.
            try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try writer.write($0) }
            #expect(await Self.roomIsGivenAtOnce(writer, for: Int.max))
            writer.stop()
            disk.signal()
        }
    }

    /// Counts syncs and the file's size at each (a sync covers what had landed by then).
    final class SyncLog: @unchecked Sendable {
        private let lock = NSLock()
        private var sizes: [Int64] = []
        func record(_ descriptor: Int32) {
            var info = stat()
            let size = fstat(descriptor, &info) == 0 ? Int64(info.st_size) : -1
            lock.withLock { sizes.append(size) }
        }
        var seen: [Int64] { lock.withLock { sizes } }
        /// Whether `count` syncs came.
        func cameTo(_ count: Int) -> Bool { DirectFileWriterTests.comesTrue { seen.count >= count } }
    }

    /// Whether `condition` holds within a bounded number of turns given to other threads (not
    /// a clock): what the writer's threads do, awaited from a test's thread.
    static func comesTrue(_ condition: () -> Bool) -> Bool {
        for _ in 0..<10_000_000 {
            if condition() { return true }
            sched_yield()
        }
        return condition()
    }

    /// Writes one buffer and 10 bytes, lets the disk take the buffer and waits for the sync
    /// that a stride of one buffer then asks for; returns the bytes.
    static func landOneStride(_ writer: DirectFileWriter, disk: DispatchSemaphore, log: SyncLog) async throws -> [UInt8] {
        let data = (0..<(DirectFileWriter.bufferBytes + 10)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        try await writer.room(for: data.count)
        try data.withUnsafeBytes { try writer.write($0) }
        #expect(log.seen.isEmpty)
        disk.signal()
        try #require(log.cameTo(1))
        return data
    }

    @Test func theFileIsSyncedAsItLands() async throws {
        let log = SyncLog()
        let stride = Int64(DirectFileWriter.bufferBytes)
        try await Self.withHeldWriter(syncEvery: stride, sync: { log.record($0); return fdatasync($0) }) { writer, disk, path in
            // The first buffer lands: a whole stride, synced while the upload goes on.
            let data = try await Self.landOneStride(writer, disk: disk, log: log)
            #expect(log.seen.first == stride)
            disk.signal()
            let digest = try writer.finish()
            #expect(digest == SHA256.hash(data: data))
            #expect(FileManager.default.contents(atPath: path) == Data(data))
            // The 10 bytes after it are the commit's fsync's, not a stride's.
            #expect(log.seen == [stride])
        }
    }

    @Test func aFailedSyncFailsTheUpload() async throws {
        let log = SyncLog()
        let failing: @Sendable (Int32) -> Int32 = { descriptor in
            log.record(descriptor)
            errno = EIO
            return -1
        }
        try await Self.withHeldWriter(syncEvery: Int64(DirectFileWriter.bufferBytes), sync: failing) { writer, disk, _ in
            _ = try await Self.landOneStride(writer, disk: disk, log: log)
            // The last write is still held: only the failed sync can end the wait.
            let error = #expect(throws: CatalogError.self) { try writer.finish() }
            #expect(error?.message.contains("durable") == true)
            await #expect(throws: CatalogError.self) { try await writer.room(for: Self.allBuffers) }
            disk.signal()
        }
    }

    @Test func theUploadEndsOnlyAfterASyncUnderWay() async throws {
        let log = SyncLog()
        let release = DispatchSemaphore(value: 0)
        let slow: @Sendable (Int32) -> Int32 = { descriptor in
            log.record(descriptor)
            release.wait()
            errno = EIO
            return -1
        }
        try await Self.withHeldWriter(syncEvery: Int64(DirectFileWriter.bufferBytes), sync: slow) { writer, disk, _ in
            _ = try await Self.landOneStride(writer, disk: disk, log: log)
            // Every write done while the sync is under way: the upload still waits for it, and
            // hears that it failed (the commit's fsync would not: the error went to the sync).
            disk.signal()
            let outcome = Outcome<Result<SHA256.Digest, any Error>>()
            let finishing = Thread { outcome.set(Result { try writer.finish() }) }
            finishing.start()
            for _ in 0..<100_000 { sched_yield() }
            #expect(outcome.value == nil)
            release.signal()
            _ = Self.comesTrue { outcome.value != nil }
            guard case .failure(let error as CatalogError)? = outcome.value else {
                Issue.record("the upload ended without the sync's failure")
                return
            }
            #expect(error.message.contains("durable"))
        }
    }

    /// What a call on another thread or task gave, once it has.
    final class Outcome<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Value?
        func set(_ result: Value) { lock.withLock { self.result = result } }
        var value: Value? { lock.withLock { result } }
    }
}
