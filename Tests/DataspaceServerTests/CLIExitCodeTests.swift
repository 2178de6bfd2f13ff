import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// The README's exit-code table, held against the real executable: each failure class gets its
/// code and a message that names the file, node or port and says what to do — never a library's
/// type name or errno text.
@Suite(.serialized) struct CLIExitCodeTests {
    let cli = CLITests()

    /// Library words that must never reach a person.
    static let libraryWords = ["HTTPClientError", "NIOCore", "NIOPosix", "errno", "IOError", "DecodingError", "Error(", "bind(descriptor"]

    func expectClean(_ r: CLITests.Result, _ what: String) {
        for word in Self.libraryWords { #expect(!r.stderr.contains(word), "\(what): \(r.stderr)") }
    }

    @Test(.enabled(if: CLITests.available)) func everyFailureClassHasItsExitCode() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let bureau = net.root + "/node1", institute = net.root + "/node2"
            let csv = net.root + "/air.csv"
            try "station,aqi\nGZ001,42\n".write(toFile: csv, atomically: true, encoding: .utf8)
            let meta = ["--title", "t", "--description", "d", "--sector", "transport"]

            // 64: local bad input — nothing was sent.
            let newNode = [
                "init", "--dir", net.root + "/new", "--name", "新节点", "--credit-code", try CreditCode.completing("91440106MA5CXK3P7").value,
                "--region", "440106", "--sector", "transport",
            ]
            let cases64: [([String], String)] = [
                (newNode + ["--database", "mysql://u@db/x"], "database: must look like postgres://USER@HOST:PORT/DATABASE"),
                (newNode + ["--database", "postgres://u@db/x?sslmode=sometimes"], "database.sslmode: must be one of disable, prefer, require, verify-full"),
                (newNode + ["--database", "postgres://u:secret@db/x"], "config.json holds no secrets"),
                (["publish", net.root + "/missing.csv", "--dir", bureau] + meta, "cannot read \(net.root)/missing.csv"),
                (["publish", net.root + "/air.xlsx", "--dir", bureau] + meta, "--format csv or jsonl"),
                (["publish", csv, "--dir", bureau, "--title", "t"], "--description is required"),
                (["publish", csv, "--dir", bureau, "--delimiter", "#"] + meta, "unknown delimiter"),
                (["datasets", "--dir", net.root + "/nowhere"], "is not a node directory"),
                (["datasets", "--dir", bureau, "--node", "not-a-url"], "not a node URL"),
                (["quality", net.root + "/missing.csv"], "cannot read"),
                (["quality", net.root, "--format", "csv"], "is a directory"),
                (["publish", net.root, "--dir", bureau, "--format", "csv"] + meta, "is a directory"),
                (["status", "--dir", bureau, "--get", "nope"], "no field 'nope'"),
                (["fetch", "urn:uuid:x", "--dir", institute, "-o", net.root + "/no/such/dir/x.csv"], "does not exist"),
                (["bench", "quality", "--runs", "2", "--dir", net.root + "/bench"], "--runs takes 1, 3, 5, 7 or 9"),
            ]
            for (arguments, message) in cases64 {
                let r = try await cli.runOffPool(arguments)
                #expect(r.status == 64, "\(arguments): \(r.status) \(r.stderr)")
                #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
                expectClean(r, "\(arguments)")
            }

            // 3: refused by the node, or through it by a peer (a revoked credential, a policy).
            let missing = try await cli.runOffPool(["show", "86.440100.11440100MB2C921900/01M84W5371DMRVD", "--dir", bureau])
            #expect(missing.status == 3, "\(missing.stderr)")
            _ = try await net.clients[0].call(.POST, "/api/v1/authority/revocations", json: ["subject": .string(net.nodes[2].did.value)])
            let revoked = try await cli.runOffPool(["catalog", "--dir", institute, "--provider", net.url(1)])
            #expect(revoked.status == 3, "\(revoked.stderr)")
            #expect(revoked.stderr.contains("revoked"), "\(revoked.stderr)")
            expectClean(revoked, "revoked")

            // 4: the node (or the peer it needs) is not there.
            let dead = LoopbackPorts.free(count: 1)[0]
            let offline = net.root + "/offline"
            let created = try await cli.runOffPool([
                "init", "--dir", offline, "--name", "离线节点", "--credit-code", "91350100M000100Y43", "--region", "350100", "--sector", "transport",
                "--port", String(dead),
            ])
            #expect(created.status == 0, "\(created.stderr)")
            // A broken config.json is named, not reported as a library error.
            let broken = net.root + "/broken"
            _ = try await cli.runOffPool([
                "init", "--dir", broken, "--name", "坏配置", "--credit-code", "91350100M000100Y43", "--region", "350100", "--sector", "transport",
                "--port", String(dead),
            ])
            try "{\"node\": {".write(toFile: broken + "/config.json", atomically: true, encoding: .utf8)
            for command in [["datasets", "--dir", broken], ["serve", "--dir", broken]] {
                let r = try await cli.runOffPool(command)
                #expect(r.status == 64 && r.stderr.contains("\(broken)/config.json is not valid JSON"), "\(command): \(r.stderr)")
                expectClean(r, "broken config")
                #expect(!r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
            }

            let down = try await cli.runOffPool(["datasets", "--dir", offline])
            #expect(down.status == 4, "\(down.stderr)")
            #expect(down.stderr.contains("http://127.0.0.1:\(dead)") && down.stderr.contains("connection refused") && down.stderr.contains("dataspace serve"), "\(down.stderr)")
            expectClean(down, "down")
            let waited = try await cli.runOffPool(["status", "--dir", offline, "--wait", "1"])
            #expect(waited.status == 4 && waited.stderr.contains("did not answer within 1 s"), "\(waited.stderr)")
            let peerDown = try await cli.runOffPool(["catalog", "--dir", bureau, "--provider", "http://127.0.0.1:\(dead)"])
            #expect(peerDown.status == 4, "\(peerDown.stderr)")
            #expect(peerDown.stderr.contains("127.0.0.1:\(dead)"), "\(peerDown.stderr)")
            expectClean(peerDown, "peer down")

            // A port in use is named, with what to do (64: the configuration is the problem).
            let busy = try await cli.runOffPool(["serve", "--dir", offline, "--port", String(net.nodes[1].configuration.port)])
            #expect(busy.status == 64, "\(busy.stderr)")
            #expect(busy.stderr.contains("port \(net.nodes[1].configuration.port)") && busy.stderr.contains("already in use"), "\(busy.stderr)")
            expectClean(busy, "busy port")

            // --version and --help answer without a node.
            let version = try await cli.runOffPool(["--version"])
            #expect(version.status == 0 && version.stdout.hasPrefix("dataspace \(DataspaceVersion.current)"))
        }
    }
}
