import CZlib
import Foundation

/// Streams the decompressed bytes of a gzip file (RFC 1952, concatenated members too) in chunks,
/// with zlib's inflate: memory stays at one input and one output buffer whatever the size.
public struct GzipReader {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Whether the file starts with the gzip magic bytes.
    public static func isGzip(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path), let magic = try? handle.read(upToCount: 2) else { return false }
        try? handle.close()
        return Array(magic) == [0x1F, 0x8B]
    }

    /// Calls `body` with each decompressed chunk; returns the decompressed size.
    @discardableResult
    public static func read(path: String, chunkSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "cannot open \(path)") }
        defer { try? handle.close() }
        var stream = z_stream()
        // 15 window bits + 32: detect the gzip header automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: chunkSize)
        var total: Int64 = 0
        var finished = false
        while true {
            guard let input = try handle.read(upToCount: chunkSize), !input.isEmpty else { break }
            var data = [UInt8](input)
            var offset = 0
            while offset < data.count {
                if finished {
                    // Another gzip member follows (e.g. `cat a.gz b.gz`).
                    guard inflateReset(&stream) == Z_OK else { throw Failure(description: "zlib could not restart") }
                    finished = false
                }
                let consumedBefore = offset
                var status: Int32 = Z_OK
                var produced = 0
                try data.withUnsafeMutableBufferPointer { inBuffer in
                    try output.withUnsafeMutableBufferPointer { outBuffer in
                        stream.next_in = inBuffer.baseAddress.map { $0 + consumedBefore }
                        stream.avail_in = UInt32(inBuffer.count - consumedBefore)
                        stream.next_out = outBuffer.baseAddress
                        stream.avail_out = UInt32(outBuffer.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        produced = outBuffer.count - Int(stream.avail_out)
                        offset = inBuffer.count - Int(stream.avail_in)
                        if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                            throw Failure(description: "the gzip data is corrupt after \(total) decompressed bytes (zlib status \(status))")
                        }
                        if produced > 0 {
                            try body(UnsafeRawBufferPointer(start: outBuffer.baseAddress, count: produced))
                        }
                    }
                }
                total += Int64(produced)
                if status == Z_STREAM_END { finished = true }
                if produced == 0 && offset == consumedBefore && status != Z_STREAM_END { break }
            }
            data.removeAll()
        }
        guard finished else { throw Failure(description: "the gzip file ends early (truncated after \(total) decompressed bytes)") }
        return total
    }
}
