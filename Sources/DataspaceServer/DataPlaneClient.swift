import AsyncHTTPClient
import Crypto
import DataspaceCore
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
        public enum Kind: Sendable {
            /// The provider refused (4xx): the agreement, the grade or the token does not allow it.
            case refused
            /// The provider could not be reached or kept failing.
            case unreachable
            /// This machine could not write the file.
            case local
            /// What arrived does not match what the provider declared.
            case corrupt
        }
        public let kind: Kind
        public let status: Int?
        public let message: String
        public var description: String { message }
    }

    /// Checks, before anything is requested, that `destination` can be written: its directory
    /// exists and is writable, and it is not itself a directory.
    public static func checkDestination(_ destination: String) throws(DownloadError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DownloadError(kind: .local, status: nil, message: "\(destination) is a directory; give a file name, e.g. \(destination)/data.csv")
        }
        let directory = (destination as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DownloadError(kind: .local, status: nil, message: "cannot write \(destination): the directory \(parent) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: parent) else {
            throw DownloadError(kind: .local, status: nil, message: "cannot write \(destination): the directory \(parent) is not writable")
        }
    }

    /// Downloads to `destination`; `progress(received, total)` is called as bytes arrive and
    /// `retrying(attempt, attempts, why)` before each new attempt after a failure.
    public func download(
        endpoint: String, token: String, to destination: String, attempts: Int = 20,
        progress: @Sendable (Int64, Int64?) -> Void = { _, _ in },
        retrying: @Sendable (Int, Int, String) -> Void = { _, _, _ in }
    ) async throws(DownloadError) -> Result {
        try Self.checkDestination(destination)
        let partial = destination + ".part"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: partial, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DownloadError(kind: .local, status: nil, message: "cannot write \(partial): a directory of that name is in the way; remove it")
        }
        guard FileManager.default.createFile(atPath: partial, contents: nil), let file = FileHandle(forWritingAtPath: partial) else {
            throw DownloadError(kind: .local, status: nil, message: "cannot write \(partial): permission denied or disk full")
        }
        defer { try? file.close() }
        var hasher = SHA256()
        var received: Int64 = 0
        var total: Int64?
        var expected: String?
        var resumes = 0
        var lastError = ""
        func local(_ what: String) -> DownloadError {
            DownloadError(kind: .local, status: nil, message: "cannot write \(partial) (\(what)); free space or choose another -o, then run the same command again to retry within the same delivery")
        }
        for attempt in 0..<attempts {
            if attempt > 0 {
                resumes += 1
                retrying(attempt + 1, attempts, lastError)
                try? await Task.sleep(for: .milliseconds(min(2_000, 100 << min(attempt, 5))))
            }
            var request = HTTPClientRequest(url: endpoint)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if received > 0 { request.headers.add(name: "Range", value: "bytes=\(received)-") }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .seconds(30))
            } catch {
                lastError = "the provider \(Self.origin(endpoint)) is not answering: \(PeerClient.explain(error))"
                continue
            }
            let status = Int(response.status.code)
            guard status == 200 || status == 206 else {
                let body = try? await response.body.collect(upTo: 64 << 10)
                let detail = body.flatMap { b in try? JSONValue.parse(Data(b.readableBytesView)) }?["detail"]?.stringValue
                if status >= 500 {
                    lastError = "the provider \(Self.origin(endpoint)) answered \(status)"
                    continue
                }
                throw DownloadError(kind: .refused, status: status, message: "the provider refused the download (\(status)): \(detail ?? "no reason given")")
            }
            if status == 200 && received > 0 {
                // The provider ignored the range: start over.
                do { try file.truncate(atOffset: 0) } catch { throw local("truncate failed") }
                hasher = SHA256()
                received = 0
            }
            if received == 0 { do { try file.truncate(atOffset: 0) } catch { throw local("truncate failed") } }
            if let digest = response.headers.first(name: "Repr-Digest") { expected = Self.hex(fromReprDigest: digest) }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init) { total = received + length }
            var iterator = response.body.makeAsyncIterator()
            var broke = false
            while true {
                let next: ByteBuffer?
                do { next = try await iterator.next() } catch {
                    lastError = "the connection to \(Self.origin(endpoint)) broke after \(received) bytes (\(PeerClient.explain(error)))"
                    broke = true
                    break
                }
                guard let buffer = next else { break }
                buffer.withUnsafeReadableBytes { raw in hasher.update(bufferPointer: raw) }
                // A write that fails is this machine's problem: retrying the network cannot help.
                do { try file.write(contentsOf: buffer.readableBytesView) } catch { throw local("write failed after \(received) bytes") }
                received += Int64(buffer.readableBytes)
                progress(received, total)
            }
            if broke { continue }
            if let total, received < total {
                lastError = "the connection to \(Self.origin(endpoint)) closed after \(received) of \(total) bytes"
                continue
            }
            do { try file.synchronize() } catch { throw local("sync failed") }
            let sha256 = Hex.encode(hasher.finalize())
            if let expected, expected != sha256 {
                try? FileManager.default.removeItem(atPath: partial)
                throw DownloadError(kind: .corrupt, status: nil, message: "checksum mismatch: the provider declared sha-256 \(expected), received \(sha256); nothing was saved")
            }
            do {
                if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
                try FileManager.default.moveItem(atPath: partial, toPath: destination)
            } catch {
                throw DownloadError(
                    kind: .local, status: nil,
                    message: "the data arrived whole (\(partial)) but cannot be moved to \(destination); move it yourself or run the same command again")
            }
            return Result(bytes: received, sha256: sha256, resumes: resumes)
        }
        throw DownloadError(kind: .unreachable, status: nil, message: "download failed after \(attempts) attempts: \(lastError)")
    }

    /// `scheme://host:port` of a URL, to name a peer in messages.
    public static func origin(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return url }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }

    /// `sha-256=:BASE64:` (RFC 9530) to lowercase hex.
    static func hex(fromReprDigest header: String) -> String? {
        guard let range = header.range(of: "sha-256=:") else { return nil }
        let rest = header[range.upperBound...]
        guard let end = rest.firstIndex(of: ":"), let data = Data(base64Encoded: String(rest[..<end])) else { return nil }
        return Hex.encode(data)
    }
}
