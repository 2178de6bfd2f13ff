import DataspaceCore
import Testing

/// Names from outside shown to people (upload file names, leaked files' column headers).
@Suite struct ShownTextTests {
    @Test func controlAndFormatCharactersAreDroppedAndLongTextIsCut() {
        #expect(ShownText.safe("a\u{1B}[2Jb\u{9B}c\u{202E}d\u{0}e", limit: 100) == "a[2Jbcde")
        #expect(ShownText.safe("数据产品.csv", limit: 100) == "数据产品.csv")
        #expect(ShownText.safe(String(repeating: "x", count: 500), limit: 120).count == 120)
        #expect(ShownText.safe("abc", limit: -1).isEmpty)
    }
}
