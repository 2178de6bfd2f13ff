import AsyncHTTPClient
import DataspaceCatalog
import DataspaceCore
import DataspaceQuality
import DataspaceIdentity
import Foundation
import NIOCore
import NIOHTTP1

/// A client of a node's management API, used by the CLI, the demo and the integration tests.
public struct ManagementClient: Sendable {
    public let baseURL: String
    public let adminToken: String
    let http: HTTPClient

    public init(baseURL: String, adminToken: String, http: HTTPClient = .shared) {
        self.baseURL = baseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.adminToken = adminToken
        self.http = http
    }

    /// An error answer from the node (problem+json), or a transport failure (status nil).
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let status: Int?
        public let code: String
        public let detail: String
        public let field: String?

        public var description: String {
            let location = field.map { " [\($0)]" } ?? ""
            if let status { return "\(status) \(code)\(location): \(detail)" }
            return "\(code): \(detail)"
        }
    }

    /// A transport failure in words: which node, what happened, what to do.
    func unreachable(_ error: any Error) -> Failure {
        let why = PeerClient.explain(error)
        if why.contains("not a valid") {
            return Failure(status: nil, code: "url.invalid", detail: "\(baseURL) is not a node URL: \(why); check --node or http.publicURL in DIR/config.json", field: "node")
        }
        return Failure(
            status: nil, code: "unreachable",
            detail: "cannot reach the node at \(baseURL): \(why). Is it running? Start it with `dataspace serve --dir DIR`, or check --node and http.publicURL in DIR/config.json",
            field: nil)
    }

    /// A GET of a non-JSON resource (tiles, checkpoints, receipts): status and raw body.
    public func fetch(_ path: String) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(60))
        } catch {
            throw unreachable(error)
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    /// A GET of a text resource that must succeed.
    public func text(_ path: String) async throws -> String {
        let (status, body) = try await fetch(path)
        let text = String(decoding: body, as: UTF8.self)
        guard status == 200 else {
            let json = try? JSONValue.parse(body)
            throw Failure(status: status, code: json?["code"]?.stringValue ?? "error", detail: json?["detail"]?.stringValue ?? text, field: json?["field"]?.stringValue)
        }
        return text
    }

    /// Calls one operation of the management API as `ManagementAPI` defines it: `arguments` fill
    /// its path's placeholders in order, `query` items without a value are left out.
    public func call(
        _ operation: ManagementOperation, _ arguments: String..., query: KeyValuePairs<String, String?> = [:], json: JSONValue? = nil
    ) async throws -> JSONValue {
        let path: String
        do {
            path = try operation.requestPath(arguments, query: query)
        } catch {
            throw Failure(status: nil, code: "argument", detail: error.description, field: nil)
        }
        return try await call(operation.method.client, path, json: json)
    }

    /// A request by method and path, for what `ManagementAPI` does not define (the public
    /// resolver, raw paths in tests).
    public func call(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json.encoded()))
        }
        return try await execute(request)
    }

    func execute(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(600)) async throws -> JSONValue {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw unreachable(error)
        }
        let body = try await response.body.collect(upTo: 256 << 20)
        let json = try? JSONValue.parse(Data(body.readableBytesView))
        guard (200..<300).contains(response.status.code) else {
            throw Failure(
                status: Int(response.status.code), code: json?["code"]?.stringValue ?? "error",
                detail: json?["detail"]?.stringValue ?? String(decoding: body.readableBytesView, as: UTF8.self),
                field: json?["field"]?.stringValue)
        }
        return json ?? .null
    }

    /// Waits until the node answers `/healthz`, polling every 20 ms; throws the last failure after `timeout`.
    public func waitUntilHealthy(timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                _ = try await call(.GET, "/healthz")
                return
            } catch {
                if ContinuousClock.now >= deadline { throw error }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Publishes (POST) or updates (PUT, with `identifier`) a product, streaming the file from disk.
    public func publish(
        file: String?, metadata: JSONValue, identifier: String? = nil, format: TabularFormat? = nil,
        encoding: String? = nil, delimiter: String? = nil, progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> JSONValue {
        // A new product, or a new version of `identifier` (`prefix/local`).
        let operation = identifier == nil ? ManagementAPI.publish : ManagementAPI.updateDataset
        let path: String
        do {
            path = try operation.requestPath(identifier.map { $0.split(separator: "/", maxSplits: 1).map(String.init) } ?? [])
        } catch {
            throw Failure(status: nil, code: "identifier", detail: "\(identifier ?? "") is not an identifier (86.REGION.CREDITCODE/LOCAL)", field: "identifier")
        }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = identifier == nil ? .POST : .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        request.headers.add(name: "Dataspace-Metadata", value: Base64URL.encode(metadata.encoded()))
        if let file {
            guard let chosen = format ?? TabularFormat.fromFileName(file) else {
                throw Failure(status: nil, code: "format", detail: "cannot tell the format of \(file); use --format csv or jsonl", field: "file")
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
                throw Failure(status: nil, code: "file", detail: "cannot read \(file): no such file", field: "file")
            }
            guard !isDirectory.boolValue else {
                throw Failure(status: nil, code: "file", detail: "\(file) is a directory; give the data file itself", field: "file")
            }
            guard let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value,
                let handle = FileHandle(forReadingAtPath: file)
            else {
                throw Failure(status: nil, code: "file", detail: "cannot read \(file): permission denied", field: "file")
            }
            var contentType = chosen.mediaType
            if let encoding { contentType += "; charset=\(encoding)" }
            // Known delimiters by name (a literal ";" would end the parameter); anything else as
            // given, for the node to refuse naming it.
            if let delimiter {
                let names: [UInt8: String] = [UInt8(ascii: ","): "comma", UInt8(ascii: ";"): "semicolon", 0x09: "tab", UInt8(ascii: "|"): "pipe"]
                contentType += "; delimiter=" + (SourceForm.delimiter(named: delimiter).flatMap { names[$0] } ?? delimiter)
            }
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .stream(FileChunks(handle: handle, total: size, progress: progress), length: .known(size))
        } else {
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        return try await execute(request, timeout: .hours(2))
    }

    /// Sends a leaked file to the node's tracer (`POST /api/v1/quality/trace`).
    public func trace(file: String, format: TabularFormat, dataset: String?) async throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Failure(status: nil, code: "file", detail: "cannot read \(file)", field: "file")
        }
        let query = dataset.map { "?dataset=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        var request = HTTPClientRequest(url: baseURL + "/api/v1/quality/trace" + query)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        request.headers.add(name: "Content-Type", value: format.mediaType)
        request.body = .bytes(ByteBuffer(bytes: data))
        return try await execute(request)
    }
}

/// Reads a file in 256 KiB chunks for a streamed upload, reporting progress. Each chunk is read
/// straight into the buffer that is sent (no intermediate `Data` and copy: at 1 GB that was a
/// tenth of a second of copying and a fresh, zeroed allocation per chunk).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let handle: FileHandle
    let total: Int64
    let progress: (@Sendable (Int64, Int64) -> Void)?
    static let chunkBytes = 256 << 10

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        let total: Int64
        let progress: (@Sendable (Int64, Int64) -> Void)?
        var sent: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            let descriptor = handle.fileDescriptor
            var buffer = ByteBufferAllocator().buffer(capacity: FileChunks.chunkBytes)
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: FileChunks.chunkBytes) { space -> Int in
                while true {
                    let n = read(descriptor, space.baseAddress, Swift.min(space.count, FileChunks.chunkBytes))
                    if n >= 0 { return n }
                    if errno != EINTR { throw ManagementClient.Failure(status: nil, code: "file", detail: "the file could not be read after \(sent) bytes", field: "file") }
                }
            }
            guard count > 0 else {
                try? handle.close()
                return nil
            }
            sent += Int64(count)
            progress?(sent, total)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle, total: total, progress: progress) }
}
