import DataspaceCore
import Foundation

/// Synthetic personal records — valid resident identity numbers (MOD 11-2), mobile numbers,
/// Chinese names, district codes, visit dates and amounts — for the demo, tests and benchmarks.
/// Nobody real: the names are drawn from common characters and the numbers are random.
public enum SyntheticPeople {
    public static let header = "patient_id,name,id_number,phone,district,visit_date,amount,copay"

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
    static let given = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰")
    static let districts = ["440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115", "440117", "440118"]

    /// A valid 18-digit identity number for a birth date and sequence.
    public static func residentID(district: String, year: Int, month: Int, day: Int, sequence: Int) -> String {
        let body = district + String(format: "%04d%02d%02d%03d", year, month, day, sequence % 1000)
        return body + String(ISO7064.mod11_2CheckCharacter(for: body) ?? "0")
    }

    /// `rows` records as CSV (header included), deterministic for a seed. With `defects`, every
    /// 97th row lacks its visit date and every 151st has a co-payment above its amount, so rules
    /// have something to find.
    public static func csv(rows: Int, seed: UInt64, defects: Bool = false) -> String {
        var random = SeededRandom(seed: seed)
        var out = header + "\n"
        out.reserveCapacity(rows * 96)
        for i in 0..<rows {
            var line = row(i, random: &random)
            if defects {
                var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                if i % 97 == 96 { fields[5] = "" }
                if i % 151 == 150, let amount = Double(fields[6]) { fields[7] = String(format: "%.2f", amount + 10) }
                line = fields.joined(separator: ",")
            }
            out += line + "\n"
        }
        return out
    }

    /// One record.
    public static func row(_ i: Int, random: inout SeededRandom) -> String {
        let district = districts[Int(random.next() % UInt64(districts.count))]
        let year = 1950 + Int(random.next() % 55), month = 1 + Int(random.next() % 12), day = 1 + Int(random.next() % 28)
        let id = residentID(district: district, year: year, month: month, day: day, sequence: Int(random.next() % 1000))
        let name = String(surnames[Int(random.next() % UInt64(surnames.count))])
            + String(given[Int(random.next() % UInt64(given.count))])
            + (random.next() % 2 == 0 ? String(given[Int(random.next() % UInt64(given.count))]) : "")
        let prefixes = ["138", "139", "186", "135", "150", "177", "199"]
        let phone = prefixes[Int(random.next() % UInt64(prefixes.count))] + String(format: "%08d", Int(random.next() % 100_000_000))
        let visit = String(format: "2026-%02d-%02d", 1 + Int(random.next() % 10), 1 + Int(random.next() % 28))
        let amount = Double(random.next() % 500_000) / 100 + 20
        let copay = amount * Double(10 + random.next() % 30) / 100
        return "MZ\(String(format: "%08d", i + 1)),\(name),\(id),\(phone),\(district),\(visit),\(String(format: "%.2f", amount)),\(String(format: "%.2f", copay))"
    }
}
