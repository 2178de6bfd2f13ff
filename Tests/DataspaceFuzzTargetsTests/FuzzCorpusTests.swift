import DataspaceFuzzTargets
import Foundation
import Testing

/// Every fuzz target over its seed corpus and over every input a fuzzer ever crashed it with
/// (`Fuzz/regressions/TARGET/`): a crash found once stays fixed.
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ folder: String, _ target: String) -> [URL] {
        let directory = root.appendingPathComponent(folder).appendingPathComponent(target)
        return ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []).sorted { $0.path < $1.path }
    }

    @Test(arguments: FuzzTargets.all.keys.sorted())
    func seedsAndRegressionsRunCleanly(target: String) throws {
        let run = try #require(FuzzTargets.all[target])
        let seeds = Self.inputs("corpus", target)
        #expect(!seeds.isEmpty, "target \(target) has no seed corpus in Fuzz/corpus/\(target)")
        for file in seeds + Self.inputs("regressions", target) {
            run(Array(try Data(contentsOf: file)))
        }
    }
}
