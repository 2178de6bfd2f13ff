import DataspaceCatalog
import DataspaceCore
import DataspaceQuality
import Foundation
import Testing

/// Feeds bytes to the validator in chunks of a given size (so boundaries fall everywhere).
func validate(_ bytes: [UInt8], _ format: TabularFormat, chunk: Int = 7) throws -> TabularSummary {
    var validator = TabularValidator(format: format)
    var index = 0
    while index < bytes.count {
        let end = min(bytes.count, index + chunk)
        try Array(bytes[index..<end]).withUnsafeBytes { try validator.consume($0) }
        index = end
    }
    return try validator.finish()
}

func validationFailure(_ text: String, _ format: TabularFormat = .csv) -> CatalogError? {
    do {
        _ = try validate(Array(text.utf8), format)
        return nil
    } catch let error as CatalogError {
        return error
    } catch {
        return nil
    }
}

@Suite struct TabularValidatorTests {
    @Test(arguments: [1, 2, 3, 7, 1024])
    func acceptsRFC4180WithQuotesNewlinesAndCRLF(chunk: Int) throws {
        let text = "\u{FEFF}id,名称,note\r\n1,\"广州, 天河\",\"line1\nline2\"\r\n2,空气,\"say \"\"hi\"\"\"\r\n3,,\r\n"
        let summary = try validate(Array(text.utf8), .csv, chunk: chunk)
        #expect(summary.rowCount == 3)
        #expect(summary.columns == ["id", "名称", "note"])
    }

    @Test func acceptsMissingFinalNewlineAndBlankLines() throws {
        #expect(try validate(Array("a,b\n1,2\n\n3,4".utf8), .csv).rowCount == 2)
    }

    @Test func raggedRowNamesTheLine() throws {
        let error = try #require(validationFailure("a,b,c\n1,2,3\n4,5\n"))
        #expect(error.code == .invalidFile)
        #expect(error.field == "file:line 3")
        #expect(error.message.contains("row 2 has 2 fields, the header has 3"))
    }

    @Test func strayAndUnterminatedQuotes() throws {
        #expect(try #require(validationFailure("a,b\n1,x\"y\n")).message.contains("stray quote"))
        #expect(try #require(validationFailure("a,b\n1,\"open\n2,3\n")).message.contains("never closed"))
        #expect(try #require(validationFailure("a,b\n\"x\"y,2\n")).message.contains("after closing quote"))
    }

    @Test func headerProblems() throws {
        #expect(try #require(validationFailure("a,,c\n1,2,3\n")).message.contains("column 2 has no name"))
        #expect(try #require(validationFailure("a,b,a\n1,2,3\n")).message.contains("twice"))
        #expect(try #require(validationFailure("")).message.contains("empty"))
    }

    @Test(arguments: [1, 2, 5])
    func badUTF8IsCaughtAcrossChunkBoundaries(chunk: Int) throws {
        // "空" is E7 A9 BA; cut it short, then an overlong encoding, then a lone continuation byte.
        for bad: [UInt8] in [[0xE7, 0xA9, 0x2C], [0xC0, 0xAF], [0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]] {
            let bytes = Array("a,b\n1,".utf8) + bad + Array("\n".utf8)
            #expect(throws: CatalogError.self) { _ = try validate(bytes, .csv, chunk: chunk) }
        }
        #expect(throws: CatalogError.self) { _ = try validate(Array("a\n".utf8) + [0xE7, 0xA9], .csv, chunk: chunk) }
    }

    @Test func jsonLinesNeedOneObjectPerLine() throws {
        let ok = try validate(Array("{\"a\":1,\"b\":\"空气\"}\n{\"a\":2,\"c\":null}\r\n\n".utf8), .jsonLines)
        #expect(ok.rowCount == 2)
        #expect(ok.columns == ["a", "b", "c"])
        #expect(try #require(validationFailure("{\"a\":1}\n[1,2]\n", .jsonLines)).message.contains("not an object"))
        #expect(try #require(validationFailure("{\"a\":1}\n{\"a\":\n", .jsonLines)).field == "file:line 2")
        #expect(try #require(validationFailure("\n\n", .jsonLines)).message.contains("no JSON objects"))
    }
}

/// The word-at-a-time path against the byte-at-a-time one: a file fed whole (long runs) and
/// one byte at a time (no runs) must give the same summary, or fail with the same message and
/// line — on random files with quoted commas, quotes, LF, CR and CRLF inside fields, long
/// fields, multi-byte UTF-8, and on each of them with one byte damaged.
@Suite struct TabularValidatorChunkingTests {
    static func randomFile(seed: UInt64) -> [UInt8] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let pieces = ["plain", "城市", "with, comma", "a \"quote\"", "two\nlines", "cr\rhere", "crlf\r\nhere", String(repeating: "long ", count: 40), ""]
        var text = "a,b,c\r\n"
        for _ in 0..<300 {
            text += (0..<3).map { _ -> String in
                let p = pieces[Int(next() % UInt64(pieces.count))]
                return p.contains(where: { ",\"\n\r".contains($0) }) || p.contains("\r\n") ? "\"" + p.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : p
            }.joined(separator: ",")
            text += next() % 2 == 0 ? "\n" : "\r\n"
            // Blank lines, which end no record, now and then.
            if next() % 13 == 0 { text += "\n" }
        }
        var bytes = Array(text.utf8)
        // Half the files get one byte changed: a stray quote, a comma, a newline or invalid UTF-8.
        if seed % 2 == 1 {
            let at = Int(next() % UInt64(bytes.count))
            bytes[at] = [0x22, 0x2C, 0x0A, 0xFF][Int(next() % 4)]
        }
        return bytes
    }

    static func outcome(_ bytes: [UInt8], chunk: Int) -> String {
        do {
            let summary = try validate(bytes, .csv, chunk: chunk)
            return "ok \(summary.rowCount) \(summary.columns)"
        } catch let error as CatalogError {
            return "\(error.message) @ \(error.field ?? "")"
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: 0..<40 as Range<UInt64>)
    func wholeAndByteByByteAgree(seed: UInt64) {
        let bytes = Self.randomFile(seed: seed)
        let one = Self.outcome(bytes, chunk: 1)
        #expect(Self.outcome(bytes, chunk: bytes.count) == one)
        #expect(Self.outcome(bytes, chunk: 4_096) == one)
        #expect(Self.outcome(bytes, chunk: 13) == one)
        if seed % 2 == 0 { #expect(one.hasPrefix("ok 300 ")) }
    }
}

/// A publish that is assessed validates a CSV by its profile (`ProfileOptions.refuseProblems`)
/// instead of tokenizing it a second time: the profile must refuse exactly the files the
/// validator refuses, at the line the validator names, and read the others with the same rows
/// and header — on hand-made bad files and on the random files above, with and without a
/// damaged byte, fed in chunks of every size.
@Suite struct RefusingProfileTests {
    static func profiled(_ bytes: [UInt8], chunk: Int) -> String {
        var options = ProfileOptions()
        options.refuseProblems = true
        var profiler = TabularProfiler(format: .csv, options: options)
        do {
            var index = 0
            while index < bytes.count {
                let end = min(bytes.count, index + chunk)
                try Array(bytes[index..<end]).withUnsafeBytes { try profiler.consume($0) }
                index = end
            }
            let profile = try profiler.finish()
            return "ok \(profile.rows) \(profile.columns.map(\.name))"
        } catch let error as ProfileError {
            return "refused @ " + (error.line.map { "file:line \($0)" } ?? "file")
        } catch {
            return "\(error)"
        }
    }

    /// The validator's outcome with its message left out (the two word theirs differently).
    static func validated(_ bytes: [UInt8], chunk: Int) -> String {
        let outcome = TabularValidatorChunkingTests.outcome(bytes, chunk: chunk)
        guard !outcome.hasPrefix("ok "), let at = outcome.range(of: " @ ", options: .backwards) else { return outcome }
        return "refused" + outcome[at.lowerBound...]
    }

    @Test(arguments: [
        "a,b,c\n1,2,3\n4,5\n", "a,b,c\n1,2,3\n4,5,6,7\n", "a,b\n1,x\"y\n", "a,b\n1,\"open\n2,3\n", "a,b\n\"x\"y,2\n",
        "a,,c\n1,2,3\n", "a,b,a\n1,2,3\n", " a , b \n1,2\n", "a,b\r\n1,2\r\n\r\n3,4", "a,b\n1,\"two\nlines\"\n2,\"x\"\"y\"\n3\n",
        "a,b\n1,2\n", "a,b\n", "a,b\n1,\"x\"\n2,x\"\n3,\n",
    ])
    func handMadeFiles(_ text: String) {
        let bytes = Array(text.utf8)
        for chunk in [1, 3, bytes.count] {
            #expect(Self.profiled(bytes, chunk: chunk) == Self.validated(bytes, chunk: chunk), "\(text.debugDescription), chunks of \(chunk)")
        }
    }

    @Test func invalidUTF8AfterARaggedRowNamesTheRaggedRow() {
        let bytes = Array("a,b\n1,2\n3\n4,".utf8) + [0xFF] + Array("\n".utf8)
        for chunk in [2, bytes.count] {
            #expect(Self.profiled(bytes, chunk: chunk) == "refused @ file:line 3")
            #expect(Self.validated(bytes, chunk: chunk) == "refused @ file:line 3")
        }
    }

    @Test(arguments: 0..<40 as Range<UInt64>)
    func randomFiles(seed: UInt64) {
        let bytes = TabularValidatorChunkingTests.randomFile(seed: seed)
        let expected = Self.validated(bytes, chunk: bytes.count)
        for chunk in [bytes.count, 4_096, 13] {
            #expect(Self.profiled(bytes, chunk: chunk) == expected, "seed \(seed), chunks of \(chunk)")
        }
        if seed % 2 == 0 { #expect(expected.hasPrefix("ok 300 ")) }
    }
}
