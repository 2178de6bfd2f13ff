import DataspaceCore
import DataspaceQuality
import Foundation
import Testing

/// gzip input profiles exactly like the plain file; corrupt and truncated gzip give clear errors.
@Suite struct GzipReaderTests {
    static func gzip(_ path: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-kf", path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func gzipProfilesLikeThePlainFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("people.csv").path
        try SyntheticPeople.csv(rows: 5_000, seed: 1).write(toFile: plain, atomically: true, encoding: .utf8)
        try Self.gzip(plain)
        let a = try TabularProfiler.profile(path: plain, format: .csv)
        let b = try TabularProfiler.profile(path: plain + ".gz", format: .csv)
        #expect(a.rows == 5_000 && b.rows == a.rows && b.bytes == a.bytes)
        #expect(a.columns == b.columns)
        #expect(b.columns.first { $0.name == "id_number" }?.sensitive.first?.kind == .residentID)

        // Cut the compressed file short: a clear error naming the truncation, not a crash.
        let data = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        let cut = dir.appendingPathComponent("cut.csv.gz").path
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        #expect { try TabularProfiler.profile(path: cut, format: .csv) } throws: { error in
            "\(error)".contains("ends early") || "\(error)".contains("UTF-8") || "\(error)".contains("quoted")
        }
        // Corrupt the deflate stream.
        var corrupt = data
        for i in stride(from: 20, to: min(corrupt.count, 400), by: 3) { corrupt[i] ^= 0x5A }
        let bad = dir.appendingPathComponent("bad.csv.gz").path
        try corrupt.write(to: URL(fileURLWithPath: bad))
        #expect(throws: ProfileError.self) { try TabularProfiler.profile(path: bad, format: .csv) }
    }
}
