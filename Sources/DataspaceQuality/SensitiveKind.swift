import DataspaceCore
import Foundation

/// Kinds of sensitive values a column may hold. Checked kinds verify a check digit or a
/// structure; heuristic kinds (names, addresses) carry a documented precision in docs/quality.md.
public enum SensitiveKind: String, Sendable, CaseIterable, Codable {
    case residentID = "resident-id"
    case mobile
    case landline
    case email
    case bankCard = "bank-card"
    case creditCode = "credit-code"
    case licencePlate = "licence-plate"
    case ipv4
    case ipv6
    case passport
    case coordinates
    case personName = "person-name"
    case address

    /// Personal information under PIPL: raises a dataset's grade when present.
    public var isPersonal: Bool {
        switch self {
        case .creditCode, .ipv4, .ipv6: false
        default: true
        }
    }
}

/// The kinds one value matched, as bits: what the profiler counts for every value it checks,
/// without an array per value.
struct SensitiveMatches: OptionSet, Sendable {
    let rawValue: UInt32
    init(rawValue: UInt32) { self.rawValue = rawValue }
    init(_ kind: SensitiveKind) { rawValue = 1 << kind.bit }

    /// Shaped like a resident ID (province, birth date) with a wrong check character; set only
    /// when no kind matched.
    static let mistypedResidentID = SensitiveMatches(rawValue: 1 << 31)

    /// No detector could match this value or any other of its shape (`ValueClassifier.pattern`):
    /// an ASCII value of at most `ValueScan.patternSymbols` bytes, whose shape then fixes every
    /// count the detectors' preconditions read, failing all of them. Set alone.
    static let noCandidate = SensitiveMatches(rawValue: 1 << 30)

    /// The kinds' bits alone.
    var kindBits: UInt32 { rawValue & ~(Self.mistypedResidentID.rawValue | Self.noCandidate.rawValue) }

    /// The kinds matched, in `SensitiveKind.allCases` order.
    var kinds: [SensitiveKind] { SensitiveKind.allCases.filter { contains(SensitiveMatches($0)) } }
}

extension SensitiveKind {
    /// The kind's bit in `SensitiveMatches` (and its slot in a column's counts).
    var bit: Int {
        switch self {
        case .residentID: 0
        case .mobile: 1
        case .landline: 2
        case .email: 3
        case .bankCard: 4
        case .creditCode: 5
        case .licencePlate: 6
        case .ipv4: 7
        case .ipv6: 8
        case .passport: 9
        case .coordinates: 10
        case .personName: 11
        case .address: 12
        }
    }
}

/// Recognises one value. Pure functions over the value's text; no value is ever stored or
/// reported, only which kinds matched.
public enum SensitiveDetector {
    /// The kinds `value` is an instance of (usually zero or one).
    public static func kinds(of value: Substring) -> [SensitiveKind] {
        var bytes = Array(value.utf8)
        return bytes.withUnsafeMutableBufferPointer { kinds(of: UnsafeBufferPointer($0)) }
    }

    /// The same over UTF-8 bytes.
    public static func kinds(of raw: UnsafeBufferPointer<UInt8>) -> [SensitiveKind] { matches(in: raw).kinds }

    /// The kinds `raw` matched, and whether it is a mistyped resident ID. One pass gathers cheap
    /// features (length, digits, ASCII, a few marker characters) and only detectors whose
    /// preconditions hold run, over the bytes in place: ordinary values (numbers, codes, words)
    /// and the common kinds (resident IDs, mobiles, bank cards, e-mail addresses) cost no
    /// allocation.
    ///
    /// With `shapes` false, a value that could answer `.noCandidate` is run through the
    /// detectors all the same (the tests' reference).
    static func matches(in raw: UnsafeBufferPointer<UInt8>, shapes: Bool = true) -> SensitiveMatches {
        matchesTellingShape(in: raw, shapes: shapes).found
    }

    /// As `matches(in:shapes:)`, also telling whether every value of this one's shape gets the
    /// same answer: an ASCII value of at most `ValueScan.patternSymbols` bytes with an '@' can
    /// only be an e-mail address (every other detector refuses an '@'), and whether it is one
    /// reads only what the shape keeps — the symbols, which characters are letters or digits,
    /// where the dots and the '@' are. An e-mail column's values then skip the detectors after
    /// the first of each shape (`DetectorSample`).
    static func matchesTellingShape(in raw: UnsafeBufferPointer<UInt8>, shapes: Bool = true) -> (found: SensitiveMatches, shapeDecides: Bool) {
        var start = 0
        var end = raw.count
        while start < end, raw[start] == 0x20 || raw[start] == 0x09 { start += 1 }
        while end > start, raw[end - 1] == 0x20 || raw[end - 1] == 0x09 { end -= 1 }
        let n = end - start
        guard n >= 4, n <= 600 else { return ([], false) }
        var digits = 0, letters = 0, nonASCII = 0, at = 0, dots = 0, colons = 0, commas = 0, spaces = 0, dashes = 0, plus = 0
        for i in start..<end {
            let c = raw[i]
            switch c {
            case 48...57: digits += 1
            case 65...90, 97...122: letters += 1
            case 0x40: at += 1
            case 0x2E: dots += 1
            case 0x3A: colons += 1
            case 0x2C: commas += 1
            case 0x20: spaces += 1
            case 0x2D: dashes += 1
            case 0x2B: plus += 1
            case 0x80...: nonASCII += 1
            default: break
            }
        }
        let b = UnsafeBufferPointer(rebasing: raw[start..<end])
        var found: SensitiveMatches = []
        if shapes, nonASCII == 0, raw.count <= ValueScan.patternSymbols, !mayMatch(b, n: n, digits: digits, letters: letters, at: at, dots: dots, colons: colons, commas: commas, spaces: spaces) {
            return (.noCandidate, false)
        }
        if nonASCII == 0 {
            if n == 18, digits >= 17, hasResidentIDShape(b) {
                // A wrong check character: a validity failure of its column, not a bank card or
                // another kind of identifier.
                found.insert(hasResidentIDCheck(b) ? SensitiveMatches(.residentID) : .mistypedResidentID)
            } else if (15...23).contains(n), (15...19).contains(digits), letters == 0, isBankCard(b) {
                found.insert(SensitiveMatches(.bankCard))
            }
            if (11...17).contains(n), digits == 11 || digits == 13, letters == 0, isMobile(b) { found.insert(SensitiveMatches(.mobile)) }
            if b[0] == 48, (10...13).contains(n), letters == 0, isLandline(String(decoding: b, as: UTF8.self)) { found.insert(SensitiveMatches(.landline)) }
            if at == 1, dots >= 1, isEmail(b) { found.insert(SensitiveMatches(.email)) }
            if n == 18, letters > 0, digits + letters == 18, isCreditCode(String(decoding: b, as: UTF8.self)) { found.insert(SensitiveMatches(.creditCode)) }
            if dots == 3, digits + 3 == n, isIPv4(b) { found.insert(SensitiveMatches(.ipv4)) }
            if colons >= 2, b.allSatisfy({ isHex($0) || $0 == 0x3A || $0 == 0x2E }), isIPv6(String(decoding: b, as: UTF8.self)) {
                found.insert(SensitiveMatches(.ipv6))
            }
            if n == 8 || n == 9, letters >= 1, letters <= 2, digits + letters == n, isAlpha(b[0]), isPassport(b) { found.insert(SensitiveMatches(.passport)) }
            if dots == 2, commas + spaces >= 1, n >= 13, isCoordinatePair(String(decoding: b, as: UTF8.self)) { found.insert(SensitiveMatches(.coordinates)) }
            if found != .mistypedResidentID { found.remove(.mistypedResidentID) }
            return (found, shapes && at >= 1 && raw.count <= ValueScan.patternSymbols)
        }
        if at == 1, dots >= 1, isEmail(b) { found.insert(SensitiveMatches(.email)) }
        let plate = nonASCII >= 3 && n <= 14, name = digits == 0 && letters == 0 && n >= 6 && n <= 12, address = n >= 24
        guard plate || name || address else { return (found, false) }
        let text = String(decoding: b, as: UTF8.self)
        if plate, isLicencePlate(text) { found.insert(SensitiveMatches(.licencePlate)) }
        if name, isPersonName(text) { found.insert(SensitiveMatches(.personName)) }
        if address, isAddress(text) { found.insert(SensitiveMatches(.address)) }
        return (found, false)
    }

    /// Whether any ASCII detector's precondition can hold for a value of this shape: the
    /// preconditions below, each widened to what the shape alone decides (any digit first for a
    /// landline's 0, any letter for a hexadecimal one).
    static func mayMatch(
        _ b: UnsafeBufferPointer<UInt8>, n: Int, digits: Int, letters: Int, at: Int, dots: Int, colons: Int, commas: Int, spaces: Int
    ) -> Bool {
        (n == 18 && digits >= 17)
            || ((15...23).contains(n) && (15...19).contains(digits) && letters == 0)
            || ((11...17).contains(n) && (digits == 11 || digits == 13) && letters == 0)
            || (isDigit(b[0]) && (10...13).contains(n) && letters == 0)
            || (at == 1 && dots >= 1)
            || (n == 18 && letters > 0 && digits + letters == 18)
            || (dots == 3 && digits + 3 == n)
            || (colons >= 2 && b.allSatisfy { isAlnum($0) || $0 == 0x3A || $0 == 0x2E })
            || ((n == 8 || n == 9) && letters >= 1 && letters <= 2 && digits + letters == n && isAlpha(b[0]))
            || (dots == 2 && commas + spaces >= 1 && n >= 13)
    }

    // MARK: checked kinds

    /// 18 characters: 6-digit region (valid province prefix), birth date YYYYMMDD (a real date,
    /// 1900 to today), 3-digit sequence, ISO 7064 MOD 11-2 check character (0-9 or X).
    public static func isResidentID(_ b: UnsafeBufferPointer<UInt8>) -> Bool { hasResidentIDShape(b) && hasResidentIDCheck(b) }

    /// The 18th character is the ISO 7064 MOD 11-2 check of the first 17 (x read as X).
    static func hasResidentIDCheck(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count == 18, let check = ISO7064.mod11_2CheckByte(for: b[0..<17]) else { return false }
        return (b[17] == UInt8(ascii: "x") ? UInt8(ascii: "X") : b[17]) == check
    }

    /// 17 digits then a digit or X, a valid province prefix and a real birth date (1900–2100):
    /// everything of a resident ID but its check character.
    static func hasResidentIDShape(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count == 18, b[0..<17].allSatisfy(isDigit), isDigit(b[17]) || b[17] == UInt8(ascii: "X") || b[17] == UInt8(ascii: "x") else {
            return false
        }
        let province = Int(b[0] - 48) * 10 + Int(b[1] - 48)
        guard provinceCodes.contains(province) else { return false }
        let year = number(b[6..<10]), month = number(b[10..<12]), day = number(b[12..<14])
        return (1900...2100).contains(year) && (1...12).contains(month) && day >= 1 && day <= daysIn(month, year)
    }

    /// Shaped like a resident ID — 17 digits then a digit or X, a province prefix and a real
    /// birth date — but with a check character that does not match: a mistyped or invented one.
    public static func isMistypedResidentID(_ b: UnsafeBufferPointer<UInt8>) -> Bool { hasResidentIDShape(b) && !hasResidentIDCheck(b) }

    /// 11 digits starting 13–19 (optionally +86 / 86 prefixed): PRC mobile numbers.
    public static func isMobile(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        withoutSeparators(b) { kept in
            var digits = kept[...]
            if digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
            if digits.count == 13, digits.first == UInt8(ascii: "8"), digits.dropFirst().first == UInt8(ascii: "6") { digits = digits.dropFirst(2) }
            guard digits.count == 11, digits.allSatisfy(isDigit), digits.first == UInt8(ascii: "1") else { return false }
            return (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(digits[digits.startIndex + 1])
        }
    }

    /// Calls `body` with `b` less its spaces and dashes, in a buffer on the stack.
    static func withoutSeparators(_ b: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: b.count) { buffer in
            var kept = 0
            for byte in b where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") {
                buffer[kept] = byte
                kept += 1
            }
            return body(UnsafeBufferPointer(rebasing: buffer[0..<kept]))
        }
    }

    /// Area code 0 + 2–3 digits, then a 7–8 digit number not starting with 0 or 1, separated by
    /// '-' or a space or written together (010-12345678, 020 87654321, 075512345678).
    public static func isLandline(_ text: String) -> Bool {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " }).map(String.init)
        let joined = parts.joined()
        guard joined.utf8.allSatisfy({ isDigit($0) }), joined.first == "0" else { return false }
        if parts.count == 2 {
            let (area, number) = (parts[0], parts[1])
            return (3...4).contains(area.count) && (7...8).contains(number.count) && !number.hasPrefix("0") && !number.hasPrefix("1")
        }
        guard parts.count == 1 else { return false }
        // Together: 3-digit area codes (010, 02x) take 8 digits; 4-digit ones 7 or 8.
        let twoDigitArea = joined.hasPrefix("010") || (joined.hasPrefix("02") && joined.count == 11)
        if twoDigitArea { return joined.count == 11 && !["0", "1"].contains(joined.dropFirst(3).first.map(String.init) ?? "0") }
        return (11...12).contains(joined.count) && !["0", "1"].contains(joined.dropFirst(4).first.map(String.init) ?? "0")
    }

    /// local@domain.tld with the characters RFC 5321 allows unquoted and a dotted domain.
    public static func isEmail(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        // One pass (it was four: the first and last '@', the local part, the domain): every
        // value of an email column is checked.
        let n = b.count
        var at = 0
        while at < n && b[at] != UInt8(ascii: "@") {
            guard isAlnum(b[at]) || isLocalSymbol(b[at]) else { return false }
            at += 1
        }
        guard at > 0, at < n - 4 else { return false }
        // The domain: two or more non-empty labels of letters, digits and '-', the last (the
        // top-level domain) of two or more letters. A second '@' is none of these.
        var labels = 0
        var labelStart = at + 1
        var lettersOnly = true
        var i = at + 1
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: ".") {
                guard i > labelStart else { return false }
                labels += 1
                labelStart = i + 1
                lettersOnly = true
            } else {
                guard isAlnum(c) || c == UInt8(ascii: "-") else { return false }
                if !isAlpha(c) { lettersOnly = false }
            }
            i += 1
        }
        return n - labelStart >= 2 && lettersOnly && labels >= 1
    }

    /// The symbols besides letters and digits an unquoted local part may hold
    /// (`._%+-!#$&'*/=?^`{|}~`).
    static func isLocalSymbol(_ c: UInt8) -> Bool {
        switch c {
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x2F, 0x3D, 0x3F, 0x5E, 0x5F, 0x60, 0x7B, 0x7C, 0x7D, 0x7E: true
        default: false
        }
    }

    /// 16–19 digits (spaces allowed in groups of 4) passing the Luhn check, with an issuer
    /// prefix of a card scheme in use in China (UnionPay 62, Visa 4, Mastercard 51–55/2221–2720,
    /// JCB 35, Amex 34/37 at 15).
    public static func isBankCard(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        withoutSeparators(b) { isBankCardNumber($0) }
    }

    static func isBankCardNumber(_ digits: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (15...19).contains(digits.count), digits.allSatisfy(isDigit) else { return false }
        let prefix2 = number(digits[0..<2])
        let schemeOK: Bool
        switch digits[0] {
        case UInt8(ascii: "4"): schemeOK = digits.count != 15
        case UInt8(ascii: "6"): schemeOK = prefix2 == 62 && digits.count >= 16
        case UInt8(ascii: "5"): schemeOK = (51...55).contains(prefix2) && digits.count == 16
        case UInt8(ascii: "2"): schemeOK = (2221...2720).contains(number(digits[0..<4])) && digits.count == 16
        case UInt8(ascii: "3"): schemeOK = (prefix2 == 35 && digits.count == 16) || ((prefix2 == 34 || prefix2 == 37) && digits.count == 15)
        default: schemeOK = false
        }
        return schemeOK && luhn(digits)
    }

    /// The Luhn (ISO/IEC 7812-1) check over ASCII digits.
    public static func luhn(_ digits: UnsafeBufferPointer<UInt8>) -> Bool {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            var v = Int(d - 48)
            if i % 2 == 1 {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
        }
        return sum % 10 == 0
    }

    /// GB 32100 unified social credit code with a valid check character.
    public static func isCreditCode(_ text: String) -> Bool {
        text.count == 18 && (try? CreditCode(text)) != nil
    }

    static let plateProvinces = Set("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领")

    /// Province abbreviation, an issuing-authority letter, then 5 characters (6 for new-energy
    /// plates) of letters (not I or O) and digits, or 4 and a final 学/警/挂/港/澳.
    public static func isLicencePlate(_ text: String) -> Bool {
        let chars = Array(text.replacingOccurrences(of: "·", with: "").replacingOccurrences(of: " ", with: ""))
        guard chars.count == 7 || chars.count == 8, let first = chars.first, plateProvinces.contains(first),
            let authority = chars[1].asciiValue, (65...90).contains(authority)
        else { return false }
        var rest = Array(chars.dropFirst(2))
        if let last = rest.last, "学警挂港澳".contains(last), chars.count == 7 {
            rest.removeLast()
            guard rest.count == 4 else { return false }
        } else {
            guard rest.count == 5 || rest.count == 6 else { return false }
        }
        return rest.allSatisfy { c in
            guard let a = c.asciiValue else { return false }
            return (48...57).contains(a) || ((65...90).contains(a) && a != 73 && a != 79)
        }
    }

    /// Dotted quad, each part 0–255 without leading zeros.
    public static func isIPv4(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let parts = b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { p in
            guard (1...3).contains(p.count), p.allSatisfy(isDigit), p.count == 1 || p.first != UInt8(ascii: "0") else { return false }
            return number(p) <= 255
        }
    }

    public static func isIPv6(_ text: String) -> Bool {
        text.contains(":") && text.count >= 3 && (try? IPv6Address(text)) != nil
    }

    /// PRC passports: E or G followed by 8 digits, or E + letter + 7 digits (2012 series);
    /// 商务/公务 passports P/S/D + 7 digits.
    public static func isPassport(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count == 9 || b.count == 8 else { return false }
        func upper(_ c: UInt8) -> UInt8 { c >= 97 && c <= 122 ? c - 32 : c }
        let first = upper(b[0]), second = upper(b[1])
        if b.count == 9, first == UInt8(ascii: "E") || first == UInt8(ascii: "G") {
            if b[1...].allSatisfy(isDigit) { return true }
            return first == UInt8(ascii: "E") && isAlpha(second) && second != UInt8(ascii: "I") && second != UInt8(ascii: "O")
                && b[2...].allSatisfy(isDigit)
        }
        if b.count == 8, first == UInt8(ascii: "P") || first == UInt8(ascii: "S") || first == UInt8(ascii: "D") { return b[1...].allSatisfy(isDigit) }
        return false
    }

    /// "lat,lon" (or "lon,lat") with both parts in range and at least 4 decimals (≈ 11 m): a
    /// position precise enough to locate a person or building.
    public static func isCoordinatePair(_ text: String) -> Bool {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), decimals(parts[0]) >= 4, decimals(parts[1]) >= 4 else { return false }
        return (abs(a) <= 90 && abs(b) <= 180) || (abs(b) <= 90 && abs(a) <= 180)
    }

    /// Decimal places written in a number's text.
    public static func decimals(_ text: some StringProtocol) -> Int {
        guard let dot = text.firstIndex(of: ".") else { return 0 }
        return text[text.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }.count
    }

    // MARK: heuristic kinds

    /// The most common Chinese surnames (covering ~85 % of the population) and compound ones.
    static let surnames = Set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let compoundSurnames: Set<String> = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯"]
    /// Words that look like name-shaped strings but are not names (organisations, places).
    static let nonNameEndings = Set("省市区县镇村路街局所院校司厂店馆站队部处室组会社团中")

    /// 2–4 Han characters beginning with a common surname and not ending like an organisation or
    /// place; or a romanised "Surname Given" pair whose surname is on the list in pinyin.
    public static func isPersonName(_ text: String) -> Bool {
        let chars = Array(text)
        if (2...4).contains(chars.count), chars.allSatisfy(isHan) {
            guard let last = chars.last, !nonNameEndings.contains(last) else { return false }
            return surnames.contains(chars[0]) || (chars.count >= 3 && compoundSurnames.contains(String(chars[0...1])))
        }
        return false
    }

    /// Han text naming at least three administrative or street levels, ending in a house-level
    /// part (号/栋/室/弄 or a number): "广东省广州市天河区体育西路191号".
    public static func isAddress(_ text: String) -> Bool {
        let chars = Array(text)
        guard chars.count >= 8, chars.count <= 80, chars.filter(isHan).count >= 5 else { return false }
        let levels = chars.filter { "省市区县镇乡路街巷村".contains($0) }.count
        let houseLevel = chars.contains { "号栋室弄".contains($0) } || (chars.last?.isNumber ?? false)
        return levels >= 2 && houseLevel
    }

    // MARK: helpers

    static let provinceCodes: Set<Int> = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isAlpha(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
    static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }
    static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102) }
    static func isHan(_ c: Character) -> Bool {
        guard let scalar = c.unicodeScalars.first, c.unicodeScalars.count == 1 else { return false }
        return (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value)
    }
    static func number(_ digits: some Collection<UInt8>) -> Int { digits.reduce(0) { $0 * 10 + Int($1 - 48) } }
    @inline(__always)
    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
