import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// A GB18030 export with `;` separators and zone-less timestamps is profiled and published with
/// the same results as its UTF-8 comma twin — through the node's API and the `quality` command.
@Suite(.serialized) struct ChineseUploadTests {
    static let rows = (0..<40).map { i in
        "GZ\(String(format: "%03d", i));\(["天河区", "越秀区", "海珠区"][i % 3]);2026-11-01 \(String(format: "%02d", 8 + i % 12)):00;\(30 + i)"
    }
    static let semicolons = "站点;区域;时间;AQI\n" + rows.joined(separator: "\n") + "\n"
    static let commas = semicolons.replacingOccurrences(of: ";", with: ",")
    static let rules = "columns:\n  AQI: { type: integer, min: 0, max: 500 }\nfreshness: { column: 时间, interval: P3650D }\n"

    func metadata(_ title: String) -> JSONValue {
        ["title": .string(title), "description": "逐小时空气质量", "sector": "green-low-carbon", "keywords": ["空气质量"], "rules": .string(Self.rules)]
    }

    @Test func aGB18030SemicolonFilePublishesLikeItsUTF8CommaTwin() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            let gbPath = net.root + "/air-gbk.csv", utfPath = net.root + "/air-utf8.csv"
            try Data(try ChineseFilesGB18030.encode(Self.semicolons)).write(to: URL(fileURLWithPath: gbPath))
            try Self.commas.write(toFile: utfPath, atomically: true, encoding: .utf8)

            let gb = try await net.clients[1].publish(file: gbPath, metadata: metadata("GBK export"))
            let utf = try await net.clients[1].publish(file: utfPath, metadata: metadata("UTF-8 export"))
            let gbDistribution = try #require(gb["distribution"]), utfDistribution = try #require(utf["distribution"])
            #expect(gbDistribution["sha256"] == utfDistribution["sha256"], "stored as the same UTF-8 comma bytes")
            #expect(gbDistribution["rowCount"]?.intValue == 40 && gbDistribution["columns"] == utfDistribution["columns"])
            #expect(gbDistribution["sourceEncoding"]?.stringValue == "GB18030" && gbDistribution["sourceDelimiter"]?.stringValue == ";")
            #expect(utfDistribution["sourceEncoding"] == nil && utfDistribution["sourceDelimiter"] == nil)
            // The same scores, timeliness included (the zone-less timestamps were read).
            let gbQuality = try #require(gb["quality"]), utfQuality = try #require(utf["quality"])
            #expect(gbQuality["dimensions"] == utfQuality["dimensions"] && gbQuality["score"] == utfQuality["score"])
            #expect((gbQuality["dimensions"]?["timeliness"]?.doubleValue ?? 0) > 0, "\(gbQuality)")

            // The quality command agrees with itself on both files.
            let cli = CLITests()
            if CLITests.available {
                let a = try await cli.runOffPool(["quality", gbPath, "--json"]), b = try await cli.runOffPool(["quality", utfPath, "--json"])
                #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
                var left = try JSONValue.parse(a.stdout).objectValue ?? [:], right = try JSONValue.parse(b.stdout).objectValue ?? [:]
                #expect(left["sourceEncoding"]?.stringValue == "GB18030" && left["sourceDelimiter"]?.stringValue == ";")
                for key in ["seconds", "peakMemoryBytes", "sourceEncoding", "sourceDelimiter"] {
                    left[key] = nil
                    right[key] = nil
                }
                #expect(JSONValue.object(left) == JSONValue.object(right))
            }
        }
    }

    @Test func headerOnlyAndUndecodableFilesAreRefusedSayingWhatToDo() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            do {
                _ = try await net.publish(1, metadata("empty"), csv: "站点,AQI\n")
                Issue.record("a header without rows was published")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 400 && failure.detail.contains("no rows") && failure.detail.contains("站点, AQI"), "\(failure)")
            }
            // A file that is mostly ASCII with GBK further on than the detection sample — refused
            // mid-upload, with half the file still to send: the refusal must still reach the client.
            let late = String(repeating: "GZ001,42\n", count: 50_000) + "越秀,57\n" + String(repeating: "GZ002,43\n", count: 50_000)
            let path = net.root + "/late.csv"
            try Data(Array("站点,AQI\n".utf8) + (try ChineseFilesGB18030.encode(late))).write(to: URL(fileURLWithPath: path))
            do {
                _ = try await net.clients[1].publish(file: path, metadata: metadata("late GBK"))
                Issue.record("mixed encodings were published")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 400 && failure.detail.contains("--encoding gb18030"), "\(failure)")
            }
            // An unknown charset parameter is refused naming the header.
            var request = metadata("bad charset")
            request = .object(request.objectValue ?? [:])
            do {
                _ = try await net.clients[1].publish(file: path, metadata: request, encoding: "latin-9")
                Issue.record("an unknown charset was accepted")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 400 && failure.field == "Content-Type", "\(failure)")
            }
            // So is an unknown delimiter, which the client passes on as given.
            do {
                _ = try await net.clients[1].publish(file: path, metadata: request, delimiter: "#")
                Issue.record("an unknown delimiter was accepted")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 400 && failure.field == "Content-Type" && failure.detail.contains("'#'"), "\(failure)")
            }
        }
    }
}

/// GB18030 bytes from the system's iconv, for test files.
enum ChineseFilesGB18030 {
    static func encode(_ text: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        process.arguments = ["-f", "UTF-8", "-t", "GB18030"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let data = Data(text.utf8)
        // Write on another thread: a large input would fill the pipe while nobody reads.
        DispatchQueue.global().async {
            input.fileHandleForWriting.write(data)
            try? input.fileHandleForWriting.close()
        }
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(bytes)
    }
}
