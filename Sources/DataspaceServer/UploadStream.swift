import Hummingbird
import NIOCore

/// A request body read once, in order, as byte arrays — and, after a refusal mid-upload (an
/// invalid byte, a header without rows), read on to a bound so the client finishes sending and
/// sees the refusal rather than a reset connection. One task reads it at a time.
final class UploadStream: AsyncSequence, @unchecked Sendable {
    typealias Element = [UInt8]
    private var iterator: RequestBody.AsyncIterator

    init(_ body: RequestBody) { iterator = body.makeAsyncIterator() }

    struct AsyncIterator: AsyncIteratorProtocol {
        let stream: UploadStream
        mutating func next() async throws -> [UInt8]? { try await stream.nextChunk() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }

    func nextChunk() async throws -> [UInt8]? {
        try await iterator.next().map { Array($0.readableBytesView) }
    }

    /// Reads and drops what is left, up to `limit` bytes (past it the connection may close).
    func drain(upTo limit: Int) async {
        var seen = 0
        do {
            while let chunk = try await iterator.next() {
                seen += chunk.readableBytes
                if seen > limit { return }
            }
        } catch {}
    }
}
