import DataspaceCore
import Foundation
import Testing

@testable import DataspaceQuality

/// The publish path's one read: a file profiled while a writer appends to it gives the answers
/// a profile of the finished file gives, however the writes are cut and whenever the writer
/// finishes; a failed upload stops the profile, and a bad file is refused naming its line.
@Suite struct GrowingFileProfilerTests {
    static func sampleCSV() -> String {
        var text = "id,note,phone,amount\n"
        for i in 0..<6_000 {
            let j = i % 4_000  // rows 4,000 on repeat the first 2,000
            let note = j % 7 == 0 ? "\"line\nbreak, \"\"quoted\"\" \(j % 13)\"" : "n\(j % 50)"
            text += "\(j),\(note),1381234\(String(format: "%04d", j % 100)),\(Double(j % 997) / 8)\n"
        }
        return text + "1,2\n"  // ragged, near the end
    }

    /// Appends `bytes` to a new file in random pieces, telling `profiler` after each; returns
    /// the path. The profiler threads read while the writes go on.
    static func write(
        _ bytes: [UInt8], seed: UInt64, parts: Int, format: TabularFormat, rules: QualityRules?, refuseProblems: Bool = false,
        quoteSample: Int = TabularProfiler.quoteSample, readsAroundCache: Bool = false
    ) throws -> (String, GrowingFileProfiler) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("growing-\(UUID().uuidString.prefix(8))").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        var options = ProfileOptions()
        options.parallelThreshold = 0
        options.parts = parts
        options.refuseProblems = refuseProblems
        let profiler = try GrowingFileProfiler(
            path: path, format: format, options: options, rules: rules, expectedBytes: seed.isMultiple(of: 2) ? Int64(bytes.count) : nil, quoteSample: quoteSample,
            readsAroundCache: readsAroundCache)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        var random = SeededGenerator(seed: seed)
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Int.random(in: 1...40_000, using: &random))
            try handle.write(contentsOf: bytes[offset..<(offset + n)])
            offset += n
            profiler.wrote(total: Int64(offset))
        }
        try handle.close()
        profiler.finish(size: Int64(bytes.count))
        return (path, profiler)
    }

    /// With `quoteSample` 0 every cut is a guess (some land inside the quoted notes' newlines);
    /// `aroundCache` reads the file as an upload written around the page cache is read.
    @Test(arguments: [(UInt64(1), 2, 1 << 20, false), (2, 2, 0, false), (3, 3, 1 << 20, false), (4, 5, 0, false), (10, 3, 0, false), (5, 2, 0, true), (6, 3, 1 << 20, true)])
    func aFileProfiledAsItIsWrittenMatchesOnePassOverTheFinishedFile(seed: UInt64, parts: Int, quoteSample: Int, aroundCache: Bool) async throws {
        let rules = try QualityRules.parse(yaml: "columns:\n  id: { type: integer, unique: true, max: 3500 }\n  phone: { regex: '1[3-9][0-9]{9}' }\nchecks: ['id >= amount']\n")
        let (path, profiler) = try Self.write(
            Array(Self.sampleCSV().utf8), seed: seed, parts: parts, format: .csv, rules: rules, quoteSample: quoteSample, readsAroundCache: aroundCache)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let growing = try await profiler.profile()
        var sequential = ProfileOptions()
        sequential.parallelThreshold = .max
        let one = try TabularProfiler.profile(path: path, format: .csv, options: sequential, rules: rules)
        #expect(one.rows == 6_001 && one.raggedRows == 1 && one.duplicateRows == 2_000)
        ParallelProfileTests.expectSameAnswers(growing, one, "growing, seed \(seed), parts \(parts)")
    }

    /// Guessed cuts: kept where they fall on record ends (no quoted newlines); where they fall
    /// inside quoted fields (each record's long note has a newline near its end), the parts'
    /// work is dropped and the finished file profiled again — with the same answers either way,
    /// also when publishing refuses a bad row in the last part.
    @Test(arguments: [false, true])
    func guessedCutsAreKeptOrCutAgain(quotedNewlines: Bool) async throws {
        var text = "id,note,n\n"
        for i in 0..<5_000 {
            let note = String(repeating: "x", count: 100 + i % 50)
            text += quotedNewlines ? "\(i % 4_000),\"\(note)\ny\",\(i % 10)\n" : "\(i % 4_000),\(note),\(i % 10)\n"
        }
        // The whole file is there before the profile starts reading (it waits for a MiB or the
        // end), so the cuts fall at the same places in every run.
        func profiler(_ text: String, parts: Int, refuseProblems: Bool) throws -> (String, GrowingFileProfiler) {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("guessed-\(UUID().uuidString.prefix(8))").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            var options = ProfileOptions()
            options.parallelThreshold = 0
            options.parts = parts
            options.refuseProblems = refuseProblems
            let profiler = try GrowingFileProfiler(path: path, format: .csv, options: options, rules: nil, expectedBytes: nil, quoteSample: 0)
            profiler.finish(size: Int64(text.utf8.count))
            return (path, profiler)
        }
        // With 3 or 4 parts, a cut of this file falls inside a note (2 would fall on a record end).
        for parts in [3, 4] {
            let (path, growing) = try profiler(text, parts: parts, refuseProblems: false)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let profile = try await growing.profile()
            #expect(growing.cutAgain == quotedNewlines)
            var sequential = ProfileOptions()
            sequential.parallelThreshold = .max
            let one = try TabularProfiler.profile(path: path, format: .csv, options: sequential)
            #expect(one.rows == 5_000 && one.duplicateRows == 1_000 && one.raggedRows == 0)
            ParallelProfileTests.expectSameAnswers(profile, one, "guessed cuts, quoted newlines \(quotedNewlines), parts \(parts)")
            // A ragged last row is refused naming its line, whether or not the cuts were redone.
            let lines = text.utf8.filter { $0 == 0x0A }.count
            let (badPath, refusing) = try profiler(text + "1,2\n", parts: parts, refuseProblems: true)
            defer { try? FileManager.default.removeItem(atPath: badPath) }
            let error = await #expect(throws: ProfileError.self) { try await refusing.profile() }
            #expect(error?.line == lines + 1)
            #expect(refusing.cutAgain == quotedNewlines)
        }
    }

    /// With the upload's size known up front, its parts are cut where a profile of the finished
    /// file cuts it, so a publish reports what `dataspace quality` reports on that file — the
    /// estimates past the exact bounds too (here top values past 64 distinct values, which
    /// depend on where each part starts) — whether the first part keeps up with the writer or
    /// the file lands at once. A size that turns out wrong (an upload converted on the way)
    /// still gives the exact answers.
    @Test(arguments: [(2, true, 1.0), (2, false, 1.0), (3, true, 1.0), (2, true, 0.5), (3, false, 1.7)])
    func withItsSizeKnownTheUploadIsCutAsTheFinishedFileWouldBe(parts: Int, firstPartKeepsUp: Bool, expectedShare: Double) async throws {
        var text = "id,code,n\n"
        for i in 0..<100_000 { text += "\(i % 80_000),c\((i &* 7_919) % 5_000),\(i % 10)\n" }
        let bytes = Array(text.utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("planned-\(UUID().uuidString.prefix(8))").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = ProfileOptions()
        options.parallelThreshold = 0
        options.parts = parts
        options.exactDistinctLimit = 64
        options.now = Date(timeIntervalSince1970: 1_790_000_000)
        let expected = Int64(Double(bytes.count) * expectedShare)
        let profiler = try GrowingFileProfiler(path: path, format: .csv, options: options, rules: nil, expectedBytes: expected, quoteSample: TabularProfiler.quoteSample)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, firstPartKeepsUp ? 4_096 : 100_000)
            try handle.write(contentsOf: bytes[offset..<(offset + n)])
            offset += n
            profiler.wrote(total: Int64(offset))
            if firstPartKeepsUp { profiler.waitForFirstPart() }
        }
        try handle.close()
        profiler.finish(size: Int64(bytes.count))
        let published = try await profiler.profile()
        let quality = try TabularProfiler.profile(path: path, format: .csv, options: options)
        #expect(quality.rows == 100_000 && quality.duplicateRows == 20_000 && quality.columns[1].distinctExact == false)
        ParallelProfileTests.expectSameAnswers(published, quality, "planned, \(parts) parts, expected \(expectedShare)")
        if expectedShare == 1 {
            #expect(published.columns[1].topValues == quality.columns[1].topValues)
            #expect(published == quality)
        }
    }

    @Test func jsonLinesGrowAsWell() async throws {
        var text = ""
        for i in 0..<4_000 { text += i < 3_000 ? "{\"a\":\(i % 300)}\n" : "{\"a\":\(i % 300),\"late\":\"x\(i % 3)\"}\n" }
        text += "oops\n"
        let (path, profiler) = try Self.write(Array(text.utf8), seed: 9, parts: 2, format: .jsonLines, rules: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let growing = try await profiler.profile()
        var sequential = ProfileOptions()
        sequential.parallelThreshold = .max
        let one = try TabularProfiler.profile(path: path, format: .jsonLines, options: sequential)
        #expect(one.malformedLines == 1 && one.columns.map(\.name) == ["a", "late"])
        ParallelProfileTests.expectSameAnswers(growing, one, "json lines")
    }

    /// The file may be removed (or renamed into the blob store) once `finish` returns.
    @Test func theFileMayGoOnceTheWriterIsDone() async throws {
        let (path, profiler) = try Self.write(Array(Self.sampleCSV().utf8), seed: 5, parts: 2, format: .csv, rules: nil)
        try FileManager.default.removeItem(atPath: path)
        let growing = try await profiler.profile()
        #expect(growing.rows == 6_001 && growing.duplicateRows == 2_000)
    }

    /// A bad record in a later part is named by its line (and byte offset) in the whole file,
    /// as the profile of the finished file names it — growing or cut into parts.
    @Test(arguments: ["7,\"never closed,1,2\n", "7,caf\u{E9},1,2\n"])
    func aBadFileIsRefusedNamingTheSameLine(_ bad: String) async throws {
        var bytes = Array((Self.sampleCSV() + bad + String(repeating: "8,x,1,2\n", count: 50)).utf8)
        if bad.contains("caf") {
            // Latin-1 é where UTF-8 is expected.
            let at = try #require(bytes.firstIndex(of: 0xC3))
            bytes.replaceSubrange(at...(at + 1), with: [0xE9])
        }
        let (path, profiler) = try Self.write(bytes, seed: 6, parts: 2, format: .csv, rules: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var sequential = ProfileOptions()
        sequential.parallelThreshold = .max
        let expected = #expect(throws: ProfileError.self) { try TabularProfiler.profile(path: path, format: .csv, options: sequential) }
        let error = await #expect(throws: ProfileError.self) { try await profiler.profile() }
        var parallel = ProfileOptions()
        parallel.parallelThreshold = 0
        let parts = #expect(throws: ProfileError.self) { try TabularProfiler.profile(path: path, format: .csv, options: parallel) }
        #expect(expected?.line ?? 0 > 6_000)
        for other in [error, parts] {
            #expect(other?.description == expected?.description, "\(String(describing: other)) vs \(String(describing: expected))")
            #expect(other?.line == expected?.line)
        }
    }

    /// A publish refuses what a profile counts (`refuseProblems`): the first problem in the
    /// file is named by its line in the whole file, whichever part met it — the ragged last
    /// row from the last part, or a stray quote near the start instead when there is one.
    @Test(arguments: [(UInt64(7), 2), (8, 3)])
    func refusedProblemsAreNamedByTheirLineInTheWholeFile(seed: UInt64, parts: Int) async throws {
        let text = Self.sampleCSV()
        func line(at offset: String.Index, in text: String) -> Int { text[..<offset].utf8.filter { $0 == 0x0A }.count + 1 }
        let last = line(at: text.index(before: text.endIndex), in: text)
        let stray = try #require(text.range(of: "\n1,n1,"))
        let early = text.replacingCharacters(in: stray, with: "\n1,n\"1,")
        let strayLine = line(at: stray.upperBound, in: early)
        for (bytes, expected) in [
            (text, "the row on line \(last) has 2 fields, the header has 4"),
            (early, "a stray quote inside unquoted field 2 on line \(strayLine); quote the whole field and double the quotes inside it"),
        ] {
            let (path, profiler) = try Self.write(Array(bytes.utf8), seed: seed, parts: parts, format: .csv, rules: nil, refuseProblems: true)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let error = await #expect(throws: ProfileError.self) { try await profiler.profile() }
            #expect(error?.description == expected)
            #expect(profiler.failure?.description == expected)
        }
        #expect(strayLine > 2 && last > 6_000)
    }

    /// A problem in a middle part is known while the upload still runs, once the parts before
    /// it have ended without one: the last part, waiting for bytes that have not come, is not
    /// waited for, so a publish refuses the file without taking the rest of it.
    @Test func aProblemInAMiddlePartIsKnownBeforeTheUploadEnds() async throws {
        // Over a MiB: the first part starts once the first MiB has landed.
        var text = "id,code,n\n"
        for i in 0..<100_000 { text += "\(i),c\(i % 97),\(i % 10)\n" }
        #expect(text.utf8.count > 1 << 20)
        // The ragged row halfway through: in the second of three parts.
        let halfway = try #require(text.range(of: "\n50000,"))
        // The line after the one the ragged row follows.
        let raggedLine = text[..<halfway.lowerBound].utf8.filter { $0 == 0x0A }.count + 2
        text.insert(contentsOf: "\n1,2", at: halfway.lowerBound)
        let bytes = Array(text.utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("growing-middle-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = ProfileOptions()
        options.parallelThreshold = 0
        options.parts = 3
        options.refuseProblems = true
        try Data(bytes.dropLast(100)).write(to: URL(fileURLWithPath: path))
        let profiler = try GrowingFileProfiler(path: path, format: .csv, options: options, rules: nil, expectedBytes: Int64(bytes.count), quoteSample: 0)
        defer { profiler.cancel() }
        // All but the last 100 bytes have landed, and the writer never finishes.
        profiler.wrote(total: Int64(bytes.count - 100))
        var failure: ProfileError?
        for _ in 0..<10_000_000 {
            failure = profiler.failure
            if failure != nil { break }
            sched_yield()
        }
        #expect(failure?.description == "the row on line \(raggedLine) has 2 fields, the header has 3", "\(String(describing: failure))")
        #expect(raggedLine > 40_000 && raggedLine < 60_000)
    }

    /// A failed upload stops the parts: whoever waits for the profile, before or after the
    /// cancel, gets an error, and the first part's thread does not wait for bytes that never come.
    @Test func aCancelledProfileThrows() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("growing-cancel-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = Self.sampleCSV()
        try Data(text.utf8.prefix(100_000)).write(to: URL(fileURLWithPath: path))
        let profiler = try GrowingFileProfiler(path: path, format: .csv)
        profiler.wrote(total: 100_000)
        let waiter = Task { try await profiler.profile() }
        profiler.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await #expect(throws: CancellationError.self) { try await profiler.profile() }
    }
}
