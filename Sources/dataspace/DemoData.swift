import DataspaceCore
import Foundation

/// Generated but realistic demo datasets, written as files to publish.
enum DemoData {
    static let stations = [
        ("GZ001", "广雅中学", "荔湾区"), ("GZ002", "市五中", "海珠区"), ("GZ003", "天河职幼", "天河区"), ("GZ004", "广东商学院", "海珠区"),
        ("GZ005", "市监测站", "越秀区"), ("GZ006", "市八十六中", "黄埔区"), ("GZ007", "番禺中学", "番禺区"), ("GZ008", "花都师范", "花都区"),
        ("GZ009", "九龙镇镇龙", "增城区"), ("GZ010", "麓湖", "越秀区"), ("GZ011", "帽峰山森林公园", "白云区"),
    ]
    static let roads = ["天河路", "中山大道", "广州大道", "环市东路", "黄埔大道", "东风路", "解放路", "内环路", "广园快速路", "华南快速路"]
    static let districts = ["天河区", "越秀区", "海珠区", "荔湾区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区", "从化区", "增城区"]

    static func timestamp(_ base: Date, plus seconds: Int) -> String {
        ISO8601.format(base.addingTimeInterval(Double(seconds))).replacingOccurrences(of: "Z", with: "+00:00")
    }

    static var baseDate: Date { ISO8601.parseDateTime("2026-10-01T00:00:00+08:00") ?? Date(timeIntervalSince1970: 1_790_000_000) }

    /// Outpatient visits of a hospital network: several visits per patient, ages, costs and
    /// diagnoses — data graded core that is only ever computed on in place.
    static func outpatientVisits(patients: Int = 4_000) -> String {
        var rng = SeededRandom(seed: 7)
        let diagnoses = ["高血压 hypertension", "糖尿病 diabetes", "流感 influenza", "骨折 fracture", "哮喘 asthma"]
        var lines = ["patient_id,district,age,visit_cost,diagnosis"]
        for p in 0..<patients {
            let district = districts[Int.random(in: 0..<districts.count, using: &rng)]
            let age = Int.random(in: 1...95, using: &rng)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let diagnosis = diagnoses[Int.random(in: 0..<diagnoses.count, using: &rng)]
                lines.append("P\(100_000 + p),\(district),\(age),\(String(format: "%.2f", Double.random(in: 35...2_800, using: &rng))),\(diagnosis)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The i-th mobile number of the demo's operator: 11 digits, spread over its prefixes.
    static func subscriberPhone(_ i: Int) -> String {
        let prefixes = ["134", "135", "136", "137", "138", "139", "150"]
        return prefixes[i % prefixes.count] + String(format: "%08d", (i &* 7_919 &+ 12_345) % 100_000_000)
    }

    /// A telecom operator's 50,000 subscribers: phone, plan and months on the network.
    static func mobileSubscribers(count: Int = 50_000) -> String {
        var rng = SeededRandom(seed: 11)
        let plans = ["畅享 128", "全球通 88", "动感 39", "5G 199", "家庭 158"]
        var lines = ["phone,plan,tenure_months,district"]
        for i in 0..<count {
            lines.append(
                "\(subscriberPhone(i)),\(plans[Int.random(in: 0..<plans.count, using: &rng)]),\(Int.random(in: 1...240, using: &rng)),\(districts[Int.random(in: 0..<districts.count, using: &rng)])")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A bank's 20,000 customers' phones: 8,000 with the operator (every sixth subscriber), the
    /// rest with other operators (prefix 18x).
    static func bankCustomerPhones() -> [String] {
        var phones = (0..<8_000).map { subscriberPhone($0 * 6) }
        phones += (0..<12_000).map { "18\(($0 % 9) + 1)" + String(format: "%08d", ($0 &* 104_729) % 100_000_000) }
        return phones
    }

    /// One city's residents' clinic visits this year by area type (resident ids, area, visits).
    static func clinicStatistics(seed: UInt64, residents: Int = 3_000) -> String {
        var rng = SeededRandom(seed: 40 + seed)
        let areas = ["城区", "近郊", "远郊"]
        var lines = ["resident,area,visits"]
        for i in 0..<residents {
            let area = areas[Int.random(in: 0..<(i % 5 == 0 ? 3 : 2), using: &rng)]
            lines.append("R\(seed)-\(String(format: "%05d", i)),\(area),\(Int.random(in: 0...(area == "城区" ? 12 : 8), using: &rng))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func airQuality() -> String {
        var rng = SeededRandom(seed: 1)
        var lines = ["station_id,station_name,district,timestamp,aqi,pm25,pm10,no2,o3,so2,co"]
        for hour in 0..<(12 * 24) {
            for (id, name, district) in stations {
                let pm25 = Int.random(in: 8...85, using: &rng)
                let aqi = min(300, Int(Double(pm25) * 1.35) + Int.random(in: 0...15, using: &rng))
                lines.append(
                    "\(id),\(name),\(district),\(timestamp(baseDate, plus: hour * 3600)),\(aqi),\(pm25),\(pm25 + Int.random(in: 5...40, using: &rng)),"
                        + "\(Int.random(in: 10...90, using: &rng)),\(Int.random(in: 20...180, using: &rng)),\(Int.random(in: 3...15, using: &rng)),"
                        + String(format: "%.2f", Double.random(in: 0.4...1.6, using: &rng)))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func trafficFlow() -> String {
        var rng = SeededRandom(seed: 2)
        var lines = ["road_id,road_name,direction,timestamp,vehicle_count,avg_speed_kmh,congestion_index"]
        for slot in 0..<(96 * 3) {
            for (i, road) in roads.enumerated() {
                let hour = (slot / 4) % 24
                let peak = (7...9).contains(hour) || (17...19).contains(hour)
                let count = Int.random(in: peak ? 900...1800 : 200...900, using: &rng)
                let speed = peak ? Double.random(in: 12...28, using: &rng) : Double.random(in: 28...55, using: &rng)
                lines.append(
                    "R\(String(format: "%03d", i + 1)),\(road),\(slot % 2 == 0 ? "东向" : "西向"),\(timestamp(baseDate, plus: slot * 900)),\(count),"
                        + String(format: "%.1f,%.2f", speed, min(10, 60 / speed)))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func parkingLots() -> String {
        var rng = SeededRandom(seed: 3)
        var lines: [String] = []
        for i in 0..<800 {
            let district = districts[i % districts.count]
            let capacity = Int.random(in: 50...1200, using: &rng)
            let object: JSONValue = [
                "lot_id": .string("P\(String(format: "%04d", i + 1))"), "name": .string("\(district)第\(i + 1)号公共停车场"),
                "district": .string(district), "lng": .number(((113.2 + Double.random(in: 0...0.4, using: &rng)) * 1e5).rounded() / 1e5),
                "lat": .number(((23.0 + Double.random(in: 0...0.3, using: &rng)) * 1e5).rounded() / 1e5), "capacity": .number(Double(capacity)),
                "free": .number(Double(Int.random(in: 0...capacity, using: &rng))), "updated_at": .string(timestamp(baseDate, plus: i * 60)),
            ]
            lines.append(object.encodedString())
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func enterpriseRegistry() -> String {
        var rng = SeededRandom(seed: 4)
        let kinds = ["有限责任公司", "股份有限公司", "个人独资企业", "合伙企业"]
        let industries = ["软件和信息技术服务业", "批发业", "道路运输业", "研究和试验发展", "商务服务业", "电气机械和器材制造业"]
        let names = ["云帆", "智联", "穗通", "南粤", "珠江", "岭南", "海川", "天乐", "新程", "恒信", "同创", "博远"]
        var lines = ["credit_code,name,type,registered_capital_10k_cny,established,district,industry"]
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        for i in 0..<2000 {
            let district = ["440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115"][i % 9]
            var body = "91" + district
            for _ in 0..<9 { body.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
            let code = (try? CreditCode.completing(body).value) ?? body + "0"
            let name = "广州\(names[i % names.count])\(names[(i / 12) % names.count])\(industries[i % industries.count].prefix(2))\(kinds[i % kinds.count])"
            let year = 1995 + Int.random(in: 0...30, using: &rng)
            lines.append(
                "\(code),\(name),\(kinds[i % kinds.count]),\(Int.random(in: 10...50_000, using: &rng)),\(year)-\(String(format: "%02d", Int.random(in: 1...12, using: &rng)))-\(String(format: "%02d", Int.random(in: 1...28, using: &rng))),"
                    + "\(district),\(industries[i % industries.count])")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func rideHailing() -> String {
        var rng = SeededRandom(seed: 5)
        var lines: [String] = []
        for day in 0..<14 {
            for hour in 0..<24 {
                for origin in ["Tianhe", "Yuexiu", "Haizhu", "Baiyun", "Panyu", "Huangpu"] {
                    let trips = Int.random(in: hour < 6 ? 20...150 : 300...2400, using: &rng)
                    let object: JSONValue = [
                        "date": .string(ISO8601.formatDate(baseDate.addingTimeInterval(Double(day) * 86_400))), "hour": .number(Double(hour)),
                        "origin_district": .string(origin), "trips": .number(Double(trips)),
                        "avg_distance_km": .number((Double.random(in: 3...14, using: &rng) * 10).rounded() / 10),
                        "avg_fare_cny": .number((Double.random(in: 12...48, using: &rng) * 10).rounded() / 10),
                    ]
                    lines.append(object.encodedString())
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func heatIsland() -> String {
        var rng = SeededRandom(seed: 6)
        let sites = ["珠江新城", "白云山", "大学城", "南沙湿地", "从化温泉", "琶洲", "北京路", "海珠湖", "科学城", "花都湖"]
        var lines = ["site,timestamp,air_temp_c,surface_temp_c,relative_humidity"]
        for hour in 0..<250 {
            for (i, site) in sites.enumerated() {
                let urban = i % 3 == 0 ? 2.5 : 0.0
                let air = 24 + urban + Double.random(in: -3...6, using: &rng)
                lines.append("\(site),\(timestamp(baseDate, plus: hour * 3600)),\(String(format: "%.1f", air)),\(String(format: "%.1f", air + Double.random(in: 1...9, using: &rng))),\(Int.random(in: 55...95, using: &rng))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func sourceApportionment() -> String {
        var rng = SeededRandom(seed: 7)
        var lines = ["sample_id,site,season,vehicle_pct,industry_pct,dust_pct,secondary_pct,biomass_pct"]
        for i in 0..<300 {
            var parts = (0..<5).map { _ in Double.random(in: 5...40, using: &rng) }
            let total = parts.reduce(0, +)
            parts = parts.map { ($0 / total * 1000).rounded() / 10 }
            lines.append("S\(i + 1),\(stations[i % stations.count].1),\(["spring", "summer", "autumn", "winter"][i % 4]),\(parts.map { String($0) }.joined(separator: ","))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
