import Crypto
@testable import DataspaceCatalog
import Foundation
import Testing

/// The upload's task waits for the disk by suspending in `room(for:)`, not by blocking its
/// thread in `write`; the writer's thread resumes it when a buffer is free, or fails it when the
/// upload is stopped.
@Suite struct DirectFileWriterTests {
    static let allBuffers = DirectFileWriter.bufferBytes * DirectFileWriter.bufferCount

    /// Runs `body` with a writer on a plain descriptor (the writer does not need O_DIRECT to
    /// work, so these run on tmpfs too) whose disk writes wait for the semaphore; the file is
    /// removed after.
    static func withHeldWriter(_ body: (DirectFileWriter, _ disk: DispatchSemaphore, _ path: String) async throws -> Void) async throws {
        let gate = DispatchSemaphore(value: 0)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("direct-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let made = DirectFileWriter(descriptor: descriptor, landed: { _ in }, beforeEachWrite: { gate.wait() })
        try await body(try #require(made), gate, path)
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

    @Test func roomThatIsThereIsNotWaitedFor() async throws {
        try await Self.withHeldWriter { writer, disk, _ in
            // Every buffer is free: room for all of them at once, and no more is ever waited for.
            try await writer.room(for: Self.allBuffers)
            try await writer.room(for: Int.max)
            #expect(!writer.isWaitingForRoom)
            // With a buffer part-filled, every other one free is all there can be.
            try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try writer.write($0) }
            try await writer.room(for: Int.max)
            #expect(!writer.isWaitingForRoom)
            writer.stop()
            disk.signal()
        }
    }
}
