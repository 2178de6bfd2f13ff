#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Finds free TCP ports on 127.0.0.1 for the demo, benchmarks and tests, where a node must know its
/// port, and so its did:web, before it starts.
///
/// Ports come from below the kernel's ephemeral range, so an outgoing connection can never take a
/// port between the check and the node's bind, and a port is handed out at most once per process,
/// so networks started side by side (parallel tests) never share one.
public enum LoopbackPorts {
    static let handedOut = Mutex<Set<Int>>([])

    /// The kernel's ephemeral range (Linux), below which listening ports are safe from clients.
    static var ephemeralLow: Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) } ?? 32_768
    }

    public static func free(count: Int) -> [Int] {
        let upper = max(11_000, ephemeralLow - 1)
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count, attempts < 10_000 {
            attempts += 1
            let candidate = Int.random(in: 10_000...upper)
            let fresh = handedOut.withLock { taken in
                guard !taken.contains(candidate) else { return false }
                taken.insert(candidate)
                return true
            }
            guard fresh else { continue }
            if canBind(candidate) { ports.append(candidate) }
        }
        return ports
    }

    static func canBind(_ port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        return bound == 0
    }
}
