import AsyncHTTPClient
import DataspaceCore
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import DataspaceApplication
@testable import DataspaceServer

/// A failed call to another node is told in words a person can act on, and which side hung up,
/// and when, is kept: "it closed the connection" alone cannot tell a stale pooled connection
/// from a node that stopped mid-request.
@Suite("Connection failures in words")
struct ConnectionFailureWordsTests {
    @Test("a node that reads the request and hangs up is named as closing before answering")
    func hangUpAfterTheRequest() async throws {
        let listener = try HangingUpListener()
        defer { listener.stop() }
        let client = PeerClient(policy: OutboundPolicy(allowLoopback: true))
        let error = await #expect(throws: PeerError.self) {
            _ = try await client.send(.GET, "http://127.0.0.1:\(listener.port)/.well-known/did.json", limit: 1024, timeout: .seconds(30))
        }
        let message = try #require(error?.message)
        #expect(message == "cannot reach http://127.0.0.1:\(listener.port)/.well-known/did.json: it closed the connection before answering")
        for word in CLIExitCodeTests.libraryWords { #expect(!message.contains(word)) }
    }

    @Test("resets, writes into a closed connection and other closings keep apart", arguments: [
        (IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)") as any Error, "it reset the connection"),
        (IOError(errnoCode: EPIPE, reason: "write(descriptor:pointer:size:)"), "the connection closed while the request was being sent"),
        (ChannelError.ioOnClosedChannel, "the connection closed while the request was being sent"),
        (ChannelError.outputClosed, "the connection closed while the request was being sent"),
        (ChannelError.alreadyClosed, "it closed the connection"),
        (HTTPClientError.remoteConnectionClosed, "it closed the connection before answering"),
        (HTTPClientError.deadlineExceeded, "it did not answer in time"),
        (IOError(errnoCode: ECONNREFUSED, reason: "connect"), "nothing is listening there (connection refused)"),
        (CancellationError(), "the connection failed"),
    ])
    func words(error: any Error, expected: String) {
        #expect(PeerClient.explain(error) == expected, "\(error)")
    }
}

/// A loopback listener that accepts one connection, reads what the client sends and closes it
/// without answering, as a node that stops mid-request does.
final class HangingUpListener: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("no socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw PeerError("cannot listen on loopback")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [fd] in
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                // The request head fits one read; then hang up without a word.
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(connection, &buffer, buffer.count)
                close(connection)
            }
        }
    }

    /// Stops accepting: the accepting thread's `accept` fails and it ends.
    func stop() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        close(descriptor)
    }
}
