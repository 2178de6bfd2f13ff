import Crypto
import DataspaceCore
import DataspaceQuality
import Foundation
import NIOCore
import _NIOFileSystem

/// Streams a stored file through the agreement's masking and watermark. The output is a pure
/// function of the file and the agreement's keys, so a resumed download regenerates it and skips
/// what the consumer already has; the SHA-256 always covers the whole output.
enum ProtectedDelivery {
    struct Outcome {
        /// Bytes of the whole transformed representation.
        var length: Int64
        /// Bytes actually written to the consumer (after `skip`).
        var sent: Int64
        var sha256: String
        var statistics: DeliveryStatistics
    }

    /// Runs the transform over the file; output from byte `skip` on goes to `write`.
    static func run(
        path: String, size: Int64, plan: DeliveryPlan, skip: Int64 = 0, chunkSize: Int,
        write: (ByteBuffer) async throws -> Void
    ) async throws -> Outcome {
        var transformer = DeliveryTransformer(plan: plan)
        var hasher = SHA256()
        var produced: Int64 = 0
        var sent: Int64 = 0
        var out: [UInt8] = []
        out.reserveCapacity(chunkSize * 2)
        func flush() async throws {
            guard !out.isEmpty else { return }
            out.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            let start = produced
            produced += Int64(out.count)
            if produced > skip {
                let from = Int(max(0, skip - start))
                try await write(ByteBuffer(bytes: out[from...]))
                sent += Int64(out.count - from)
            }
            out.removeAll(keepingCapacity: true)
        }
        if size > 0 {
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                for try await chunk in handle.readChunks(in: 0...(size - 1), chunkLength: .bytes(Int64(chunkSize))) {
                    chunk.withUnsafeReadableBytes { transformer.consume($0, into: &out) }
                    try await flush()
                }
            }
        }
        transformer.finish(into: &out)
        try await flush()
        return Outcome(length: produced, sent: sent, sha256: Hex.encode(hasher.finalize()), statistics: transformer.statistics)
    }

    /// The whole output's length and digest without sending anything (to answer a range request).
    static func measure(path: String, size: Int64, plan: DeliveryPlan, chunkSize: Int) async throws -> Outcome {
        try await run(path: path, size: size, plan: plan, skip: .max, chunkSize: chunkSize) { _ in }
    }
}
