import DataspaceLedger
import Testing

@Suite struct TilePathTests {
    @Test func pathsFollowTlogTiles() {
        #expect(TilePath.index(0) == "000")
        #expect(TilePath.index(1_234_067) == "x001/x234/067")
        #expect(TilePath.tile(level: 0, index: 1_234_067) == "tile/0/x001/x234/067")
        #expect(TilePath.tile(level: 1, index: 5, width: 12) == "tile/1/005.p/12")
        #expect(TilePath.entries(index: 1_000, width: 3) == "tile/entries/x001/000.p/3")
    }

    @Test func pathsParseBackAndBadOnesAreRefused() {
        for (level, n, w) in [(0, UInt64(0), UInt64(256)), (3, 1_234_067, 17), (1, 999, 256)] {
            let parsed = TilePath.parse(TilePath.tile(level: level, index: n, width: w))
            #expect(parsed?.level == level && parsed?.index == n && parsed?.width == w)
        }
        #expect(TilePath.parse("tile/entries/x001/000.p/3")?.index == 1_000)
        #expect(TilePath.parse("tile/entries/x001/000.p/3")?.level == nil)
        for bad in ["tile/0/1", "tile/0/x1/000", "tile/0/001/000", "tile/0/000.p/256", "tile/0/000.p/0", "tile/-1/000", "tile/01/000", "tiles/0/000"] {
            #expect(TilePath.parse(bad) == nil, "\(bad)")
        }
    }

    /// Indexes beyond UInt64 overflowed the parser's arithmetic once (a public GET trapped).
    @Test func indexesBeyondUInt64AreRefusedNotTrapped() {
        #expect(TilePath.parse("tile/0/x018/x446/x744/x073/x709/x551/615")?.index == UInt64.max)
        for bad in ["tile/0/x018/x446/x744/x073/x709/x551/616", "tile/0/x018/x446/x744/x073/x709/x551/999", "tile/0/x999/x999/x999/x999/x999/x999/x999/999"] {
            #expect(TilePath.parse(bad) == nil, "\(bad)")
        }
    }
}
