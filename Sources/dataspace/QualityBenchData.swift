import DataspaceCore
import DataspaceServer
import Foundation

/// The quality benchmark's file: 12 columns, about 100 bytes a row, with defects at known
/// strides so every rule has failures and every engine must find the same counts — missing and
/// out-of-range readings, unknown cities, malformed station codes, end before start, repeated
/// ids and whole duplicated rows.
enum QualityBenchData {
    static let header = "id,station,start_ts,end_ts,city,category,reading,ratio,count,status,email,note"
    static let cities = ["GZ", "SZ", "FS", "DG", "ZH", "ST", "HZ", "JM"]
    static let categories = ["a", "b", "c", "d"]
    static let statuses = ["ok", "warn", "fail"]

    /// The rules in our `quality.yaml` form; `quality_peers.py` states the same six for DuckDB
    /// and Great Expectations.
    static let rules = """
        columns:
          id: {type: integer, unique: true}
          station: {regex: 'ST[0-9]{4}'}
          city: {enum: [GZ, SZ, FS, DG, ZH, ST, HZ, JM]}
          reading: {required: true, min: 0, max: 500}
        checks:
          - end_ts >= start_ts
        """

    /// Writes `rows` data rows (plus duplicates every 1,000th row) to `path`, reporting progress.
    static func write(rows: Int, to path: String, progress: (Int) -> Void) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw PeerError("cannot write \(path)") }
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4 << 20)
        buffer.append(contentsOf: Array((header + "\n").utf8))
        var random = SeededRandom(seed: 20_261_130)
        var previous: [UInt8] = []
        var line: [UInt8] = []
        line.reserveCapacity(256)
        func number(_ n: Int, width: Int = 0) {
            var digits: [UInt8] = []
            var v = n
            repeat { digits.append(UInt8(48 + v % 10)); v /= 10 } while v > 0
            if digits.count < width { for _ in 0..<(width - digits.count) { line.append(48) } }
            line.append(contentsOf: digits.reversed())
        }
        func text(_ s: String) { line.append(contentsOf: Array(s.utf8)) }
        func timestamp(_ minutes: Int) {
            // 2026-01-01T00:00 plus minutes, within a 28-day month model (always valid dates).
            let day = minutes / 1_440, minute = minutes % 1_440
            text("2026-"); number(1 + (day / 28) % 12, width: 2); text("-"); number(1 + day % 28, width: 2)
            text("T"); number(minute / 60, width: 2); text(":"); number(minute % 60, width: 2); text(":00")
        }
        for i in 0..<rows {
            line.removeAll(keepingCapacity: true)
            // 1 in 1,000 rows repeats the previous row entirely (a duplicate row and a repeated id).
            if i % 1_000 == 999 && !previous.isEmpty {
                line = previous
            } else {
                let r = random.next()
                number(i + 1); text(",")
                if i % 10_007 == 5 { text("XX12") } else { text("ST"); number(Int(r % 10_000), width: 4) }
                text(",")
                let start = Int((r >> 16) % 400_000)
                timestamp(start); text(",")
                timestamp(i % 5_003 == 7 ? max(0, start - 30) : start + Int((r >> 40) % 120)); text(",")
                text(i % 20_011 == 9 ? "XX" : cities[Int((r >> 8) % 8)]); text(",")
                text(categories[Int((r >> 12) % 4)]); text(",")
                if i % 3_001 == 11 {
                    // missing reading
                } else if i % 7_919 == 13 {
                    text("999.99")
                } else {
                    let cents = Int((r >> 20) % 50_000)
                    number(cents / 100); text("."); number(cents % 100, width: 2)
                }
                text(",")
                let ratio = Int((r >> 28) % 10_000)
                text("0."); number(ratio, width: 4); text(",")
                number(Int((r >> 34) % 10_000)); text(",")
                text(statuses[Int((r >> 44) % 3)]); text(",")
                text("user"); number(Int((r >> 46) % 100_000)); text("@example.com,")
                text("batch-"); number(i / 10_000)
            }
            previous = line
            buffer.append(contentsOf: line)
            buffer.append(0x0A)
            if buffer.count >= (4 << 20) - 512 {
                handle.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
                if i % 100_000 < 40_000 { progress(i + 1) }
            }
        }
        handle.write(Data(buffer))
        progress(rows)
    }
}
