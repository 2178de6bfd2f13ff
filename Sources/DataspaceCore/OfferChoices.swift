import Foundation

/// The plain choices a publisher makes in the portal's offer builder — purposes, a region,
/// an end date, a number of deliveries, a price — and the ODRL offer they stand for. People
/// never write ODRL; the builder writes exactly the constraints `PolicySummary` reads back as
/// "research use only, within Guangdong, at most 2 deliveries, until 2027-06-30".
public struct OfferChoices: Sendable, Hashable {
    /// Purposes from the taxonomy (`Purpose.all`); empty means any purpose.
    public var purposes: [String] = []
    /// Recipients must be registered within this region (province, city or county code).
    public var region: String?
    /// The last day the offer's permission holds (`YYYY-MM-DD`, inclusive, China time).
    public var until: String?
    /// At most this many deliveries per agreement.
    public var maxDeliveries: String?
    /// A price per delivery in yuan (`123.45`); nil or empty is free.
    public var price: String?

    public init(purposes: [String] = [], region: String? = nil, until: String? = nil, maxDeliveries: String? = nil, price: String? = nil) {
        self.purposes = purposes
        self.region = region
        self.until = until
        self.maxDeliveries = maxDeliveries
        self.price = price
    }

    /// The most deliveries an offer built here may allow.
    public static let deliveryLimit = 1_000_000
    /// The highest price accepted, in yuan (prices are decimals with at most two places).
    public static let priceLimit = 100_000_000

    /// The ODRL offer, checked choice by choice against `now`; the error names the field
    /// (`offer.purpose`, `offer.region`, `offer.until`, `offer.maxDeliveries`, `offer.price`).
    public func policy(now: Date) throws(ValidationError) -> JSONValue {
        var constraints: [JSONValue] = []
        let purposes = Array(Set(purposes.filter { !$0.isEmpty })).sorted()
        for purpose in purposes where !Purpose.isKnown(purpose) {
            throw ValidationError(
                code: "offer.purpose", field: "offer.purpose",
                message: "unknown purpose '\(purpose.prefix(60))'; known: \(Purpose.all.joined(separator: ", "))")
        }
        if purposes.count == 1, let only = purposes.first {
            constraints.append(["leftOperand": "purpose", "operator": "isA", "rightOperand": .string(only)])
        } else if purposes.count > 1 {
            constraints.append(["leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": .array(purposes.map { .string($0) })])
        }
        if let text = Self.given(region) {
            let code: RegionCode
            do { code = try RegionCode(text) } catch {
                throw ValidationError(code: "offer.region", field: "offer.region", message: "the region is a six-digit GB/T 2260 code, e.g. 440000 for Guangdong")
            }
            constraints.append(["leftOperand": "spatial", "operator": "isPartOf", "rightOperand": .string(code.value)])
        }
        if let text = Self.given(until) {
            guard text.utf8.count == 10, let day = ISO8601.parseDate(text) else {
                throw ValidationError(code: "offer.until", field: "offer.until", message: "the end date is a date like 2027-06-30")
            }
            // The whole day counts, in China time (UTC+8): the end is the next midnight there.
            let end = day.addingTimeInterval(86_400 - 8 * 3_600)
            guard end > now else {
                throw ValidationError(code: "offer.until", field: "offer.until", message: "the end date \(text) has passed; choose a later day")
            }
            constraints.append(["leftOperand": "dateTime", "operator": "lteq", "rightOperand": .string(text + "T23:59:59+08:00")])
        }
        if let text = Self.given(maxDeliveries) {
            guard text.utf8.count <= 7, text.allSatisfy(\.isASCII), let count = Int(text), (1...Self.deliveryLimit).contains(count) else {
                throw ValidationError(
                    code: "offer.max_deliveries", field: "offer.maxDeliveries",
                    message: "the number of deliveries is a whole number from 1 to \(Self.deliveryLimit)")
            }
            constraints.append(["leftOperand": "count", "operator": "lteq", "rightOperand": .string(String(count))])
        }
        var duties: [JSONValue] = []
        if let text = Self.given(price) {
            guard let amount = Self.amount(text) else {
                throw ValidationError(
                    code: "offer.price", field: "offer.price",
                    message: "the price is an amount in yuan with at most two decimals, e.g. 9.90, below \(Self.priceLimit)")
            }
            if amount != "0.00" {
                duties.append([
                    "action": "compensate",
                    "constraint": [
                        ["leftOperand": "payAmount", "operator": "eq", "rightOperand": .string(amount)],
                        ["leftOperand": "unit", "operator": "eq", "rightOperand": "CNY"],
                    ],
                ])
            }
        }
        var permission: [String: JSONValue] = ["action": "use"]
        if !constraints.isEmpty { permission["constraint"] = .array(constraints) }
        if !duties.isEmpty { permission["duty"] = .array(duties) }
        return ["permission": [.object(permission)]]
    }

    static func given(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespaces), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// `12`, `12.3`, `12.30` → `12.30`; nil for anything else (signs, exponents, three places).
    static func amount(_ text: String) -> String? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, (1...9).contains(whole.utf8.count),
            whole.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let yuan = Int(whole), yuan < priceLimit
        else { return nil }
        var cents = parts.count == 2 ? String(parts[1]) : ""
        guard cents.utf8.count <= 2, cents.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), parts.count == 1 || !cents.isEmpty else { return nil }
        while cents.utf8.count < 2 { cents += "0" }
        return "\(yuan).\(cents)"
    }
}
