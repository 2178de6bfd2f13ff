import Foundation

/// An offer's terms in plain words, in Chinese and English, for people deciding whether to ask
/// for access: "仅限科研用途 research use only", "最多交付 2 次 at most 2 deliveries", "截至 …
/// until …". Every rule of the policy yields a line, so nothing the policy says is hidden; what
/// this summary cannot phrase it states with the operand's own name and value.
public enum PolicySummary {
    /// One statement of the terms in both languages.
    public struct Line: Sendable, Hashable {
        public var chinese: String
        public var english: String
    }

    public static func lines(_ policy: UsagePolicy) -> [Line] {
        var lines: [Line] = []
        for rule in policy.permissions {
            let action = actionName(rule.action.name)
            lines.append(Line(chinese: "允许\(action.chinese)", english: "may \(action.english)"))
            lines += rule.constraints.map(constraint)
            for duty in rule.duties { lines.append(self.duty(duty)) }
        }
        for rule in policy.prohibitions {
            let action = actionName(rule.action.name)
            let conditions = rule.constraints.map(constraint)
            let when = conditions.isEmpty ? ("", "") : ("（" + conditions.map(\.chinese).joined(separator: "；") + "）", " (" + conditions.map(\.english).joined(separator: "; ") + ")")
            lines.append(Line(chinese: "禁止\(action.chinese)\(when.0)", english: "must not \(action.english)\(when.1)"))
        }
        for duty in policy.obligations { lines.append(self.duty(duty)) }
        if policy.permissions.isEmpty { lines.insert(Line(chinese: "未授予任何使用权限", english: "grants no use at all"), at: 0) }
        return lines
    }

    static func actionName(_ name: String) -> (chinese: String, english: String) {
        switch name {
        case "use": ("使用", "use the data")
        case "read": ("读取", "read the data")
        case "download": ("下载", "download the data")
        case "compute": ("在原处计算（数据不出域）", "compute on the data in place (rows never leave)")
        case "distribute": ("再分发", "distribute the data")
        case "aggregate": ("汇总", "aggregate the data")
        case "anonymize": ("匿名化", "anonymise the data")
        default: (name, name)
        }
    }

    static func text(_ value: JSONValue) -> String {
        if let s = value.stringValue { return s }
        if let items = value.arrayValue { return items.map(text).joined(separator: ", ") }
        return value.encodedString(pretty: false)
    }

    static func region(_ value: JSONValue) -> (chinese: String, english: String) {
        let codes = (value.arrayValue ?? [value]).map(text)
        let names = codes.map { code in (try? RegionCode(code)).map { ($0.chineseName, $0.englishName) } ?? (code, code) }
        return (names.map(\.0).joined(separator: "、"), names.map(\.1).joined(separator: ", "))
    }

    /// A time as the publisher wrote it (with its own offset), not converted.
    static func time(_ value: JSONValue) -> String { text(value) }

    static func constraint(_ c: PolicyConstraint) -> Line {
        switch c {
        case .logical(let logic, let items):
            let parts = items.map(constraint)
            let (zh, en) = logic == .and ? ("并且", "and") : logic == .or ? ("或者", "or") : ("仅其一", "exactly one of")
            return Line(
                chinese: "满足：" + parts.map(\.chinese).joined(separator: " \(zh) "),
                english: "when " + parts.map(\.english).joined(separator: " \(en) "))
        case .atomic(let operand, let op, let value):
            let v = text(value)
            switch (operand, op) {
            case (.purpose, .eq), (.purpose, .isA):
                return Line(chinese: "仅限用途：\(v)", english: "for \(v) use only")
            case (.purpose, .isAnyOf):
                return Line(chinese: "仅限用途：\(v)（任一）", english: "for any of these uses only: \(v)")
            case (.purpose, .neq), (.purpose, .isNoneOf):
                return Line(chinese: "不得用于：\(v)", english: "not for: \(v)")
            case (.dateTime, .lt), (.dateTime, .lteq):
                return Line(chinese: "有效期至 \(time(value))", english: "until \(time(value))")
            case (.dateTime, .gt), (.dateTime, .gteq):
                return Line(chinese: "自 \(time(value)) 起", english: "from \(time(value))")
            case (.elapsedTime, .lt), (.elapsedTime, .lteq):
                return Line(chinese: "签约后 \(v) 内有效", english: "within \(v) of agreeing")
            case (.count, .lteq):
                return Line(chinese: "最多交付 \(v) 次", english: "at most \(v) deliveries")
            case (.count, .lt):
                let n = Int(v).flatMap { n in n.subtractingReportingOverflow(1).overflow ? nil : String(n - 1) } ?? "< \(v)"
                return Line(chinese: "最多交付 \(n) 次", english: "at most \(n) deliveries")
            case (.spatial, .isPartOf), (.spatial, .eq), (.spatial, .isAnyOf):
                let r = region(value)
                return Line(chinese: "仅限\(r.chinese)境内的接收方", english: "only for recipients within \(r.english)")
            case (.spatial, .neq), (.spatial, .isNoneOf):
                let r = region(value)
                return Line(chinese: "不向\(r.chinese)的接收方提供", english: "not for recipients in \(r.english)")
            case (.recipient, _):
                if let claims = value.objectValue {
                    var zh: [String] = [], en: [String] = []
                    for key in claims.keys.sorted() {
                        let claim = text(claims[key] ?? .null)
                        if key == "sector", let sector = Sector(rawValue: claim) {
                            zh.append("行业为\(sector.chineseLabel)")
                            en.append("in the \(sector.englishLabel) sector")
                        } else if key == "region" {
                            let r = region(claims[key] ?? .null)
                            zh.append("位于\(r.chinese)")
                            en.append("located in \(r.english)")
                        } else {
                            zh.append("\(key) 为 \(claim)")
                            en.append("\(key) \(claim)")
                        }
                    }
                    return Line(chinese: "接收方须" + zh.joined(separator: "、"), english: "the recipient must be " + en.joined(separator: ", "))
                }
                return Line(chinese: "接收方：\(op.rawValue) \(v)", english: "recipient \(op.rawValue) \(v)")
            case (.epsilon, _), (.rho, _), (.queryEpsilon, _), (.queryRho, _), (.periodEpsilon, _), (.periodRho, _), (.delta, _):
                return budget(operand, RightOperandCheck.privacyAmount(value)?.description ?? v)
            case (.psiSetSize, _):
                return Line(chinese: "隐私求交：每次至多匹配 \(v) 个标识", english: "private set intersection of at most \(v) identifiers a run")
            case (.psiRuns, _):
                return Line(chinese: "隐私求交至多 \(v) 次", english: "at most \(v) set-intersection runs")
            case (.aggregateRounds, _):
                return Line(chinese: "可参与安全聚合至多 \(v) 轮（仅交出加性秘密份额）", english: "may contribute to at most \(v) secure-aggregation rounds (as secret shares only)")
            case (.psiOutput, _):
                return v == "intersection"
                    ? Line(chinese: "求交结果：交集中的标识", english: "a run releases which identifiers matched")
                    : Line(chinese: "求交结果：仅交集大小", english: "a run releases only the size of the intersection")
            case (.budgetPeriod, _):
                return Line(chinese: "预算周期 \(v)（自签约起计）", english: "budget period \(v) (counted from the agreement)")
            default:
                return Line(chinese: "条件：\(operand.rawValue) \(op.rawValue) \(v)", english: "condition: \(operand.rawValue) \(op.rawValue) \(v)")
            }
        }
    }

    /// A privacy budget term in words (docs/policies.md, "Privacy budgets").
    static func budget(_ operand: LeftOperand, _ amount: String) -> Line {
        switch operand {
        case .epsilon:
            return Line(chinese: "隐私预算 ε 共 \(amount)（差分隐私，离散拉普拉斯噪声）", english: "privacy budget ε \(amount) in all (differential privacy, discrete Laplace noise)")
        case .rho:
            return Line(chinese: "隐私预算 ρ 共 \(amount)（零集中差分隐私，离散高斯噪声）", english: "privacy budget ρ \(amount) in all (zero-concentrated DP, discrete Gaussian noise)")
        case .queryEpsilon: return Line(chinese: "每次查询至多 ε \(amount)", english: "at most ε \(amount) a query")
        case .queryRho: return Line(chinese: "每次查询至多 ρ \(amount)", english: "at most ρ \(amount) a query")
        case .periodEpsilon: return Line(chinese: "每个预算周期至多 ε \(amount)", english: "at most ε \(amount) a budget period")
        case .periodRho: return Line(chinese: "每个预算周期至多 ρ \(amount)", english: "at most ρ \(amount) a budget period")
        default:
            return Line(chinese: "按非公开键分组共可用 δ \(amount)", english: "δ \(amount) in all for grouping by keys that are not public")
        }
    }

    static func duty(_ rule: PolicyRule) -> Line {
        var values: [String: String] = [:]
        for case .atomic(let operand, _, let value) in rule.constraints { values[operand.rawValue] = text(value) }
        switch rule.action.name {
        case "compensate":
            let amount = values["payAmount"] ?? "?"
            let unit = values["unit"] ?? "CNY"
            return Line(chinese: "每次交付付费 \(amount) \(unit)", english: "pay \(amount) \(unit) per delivery")
        case "delete":
            let within = values["deleteAfter"] ?? "?"
            return Line(chinese: "交付后 \(within) 内删除数据", english: "delete the data within \(within) of delivery")
        default:
            return Line(chinese: "须履行：\(rule.action.name)", english: "must \(rule.action.name)")
        }
    }
}
