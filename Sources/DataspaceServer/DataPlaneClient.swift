import DataspaceCore
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Pulls a transfer's data from a provider's data plane into a file: streamed to disk, hashed on
/// the way, resumed with `Range` after a broken connection, checked against the provider's
/// `Repr-Digest`, and moved into place only when complete and correct.
public struct DataPlaneClient: Sendable {
    let http: HTTPClient

    public init(http: HTTPClient = .shared) { self.http = http }

    public struct Result: Sendable {
        public var bytes: Int64
        public var sha256: String
        public var resumes: Int
    }

    public struct DownloadError: Error, CustomStringConvertible, Sendable {
        public let status: Int?
        public let message: String
        public var description: String { message }
    }

    /// Downloads to `destination`; `progress(received, total)` is called as bytes arrive.
    public func download(
        endpoint: String, token: String, to destination: String, attempts: Int = 20,
        progress: @Sendable (Int64, Int64?) -> Void = { _, _ in }
    ) async throws -> Result {
        let partial = destination + ".part"
        _ = FileManager.default.createFile(atPath: partial, contents: nil)
        guard let file = FileHandle(forWritingAtPath: partial) else {
            throw DownloadError(status: nil, message: "cannot write \(partial)")
        }
        defer { try? file.close() }
        try file.truncate(atOffset: 0)
        var hasher = SHA256()
        var received: Int64 = 0
        var total: Int64?
        var expected: String?
        var resumes = 0
        var lastError = ""
        for attempt in 0..<attempts {
            if attempt > 0 {
                resumes += 1
                try await Task.sleep(for: .milliseconds(min(2_000, 100 << min(attempt, 5))))
            }
            var request = HTTPClientRequest(url: endpoint)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if received > 0 { request.headers.add(name: "Range", value: "bytes=\(received)-") }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .seconds(30))
            } catch {
                lastError = "\(error)"
                continue
            }
            let status = Int(response.status.code)
            guard status == 200 || status == 206 else {
                let body = try? await response.body.collect(upTo: 64 << 10)
                let detail = body.flatMap { b in try? JSONSerialization.jsonObject(with: Data(b.readableBytesView)) as? [String: Any] }?["detail"] as? String
                if status >= 500 {
                    lastError = "provider answered \(status)"
                    continue
                }
                throw DownloadError(status: status, message: detail ?? "provider answered \(status)")
            }
            if status == 200 && received > 0 {
                // The provider ignored the range: start over.
                try file.truncate(atOffset: 0)
                hasher = SHA256()
                received = 0
            }
            if let digest = response.headers.first(name: "Repr-Digest") { expected = Self.hex(fromReprDigest: digest) }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init) { total = received + length }
            do {
                for try await buffer in response.body {
                    buffer.withUnsafeReadableBytes { raw in hasher.update(bufferPointer: raw) }
                    try file.write(contentsOf: buffer.readableBytesView)
                    received += Int64(buffer.readableBytes)
                    progress(received, total)
                }
            } catch {
                lastError = "connection broke after \(received) bytes: \(error)"
                continue
            }
            if let total, received < total {
                lastError = "connection closed after \(received) of \(total) bytes"
                continue
            }
            try file.synchronize()
            let sha256 = Hex.encode(hasher.finalize())
            if let expected, expected != sha256 {
                try? FileManager.default.removeItem(atPath: partial)
                throw DownloadError(status: nil, message: "checksum mismatch: provider declared sha-256 \(expected), received \(sha256)")
            }
            if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
            try FileManager.default.moveItem(atPath: partial, toPath: destination)
            return Result(bytes: received, sha256: sha256, resumes: resumes)
        }
        throw DownloadError(status: nil, message: "download failed after \(attempts) attempts: \(lastError)")
    }

    /// `sha-256=:BASE64:` (RFC 9530) to lowercase hex.
    static func hex(fromReprDigest header: String) -> String? {
        guard let range = header.range(of: "sha-256=:") else { return nil }
        let rest = header[range.upperBound...]
        guard let end = rest.firstIndex(of: ":"), let data = Data(base64Encoded: String(rest[..<end])) else { return nil }
        return Hex.encode(data)
    }
}
