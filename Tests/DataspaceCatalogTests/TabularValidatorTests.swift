import DataspaceCatalog
import DataspaceCore
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
