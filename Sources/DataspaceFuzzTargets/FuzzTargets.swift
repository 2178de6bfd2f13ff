import Crypto
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceProtocol
import DataspaceQuality
import Foundation

/// Every parser and decoder that input from outside reaches, as fuzz targets: each takes
/// arbitrary bytes and must return (throwing is fine; trapping, hanging or growing without bound
/// is a finding). The same functions run under libFuzzer (`Scripts/fuzz.sh`) and, in
/// `swift test`, over the seed corpora and every crash found so far (`Fuzz/`).
public enum FuzzTargets {
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "json": json, "dsp": dsp, "odrl": odrl, "jws": jws, "identifier": identifier, "codes": codes, "did": did,
        "signed-note": signedNote, "receipt": receipt, "tile-path": tilePath, "profile": profile, "transformer": transformer,
        "quality-rules": qualityRules, "masking": masking, "time": time, "records": records, "normalizer": normalizer,
        "trace": trace,
    ]

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The JSON parser, and the writer on what it parsed (a round trip must parse again).
    @Sendable static func json(_ bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes) else { return }
        let again = try? JSONValue.parse(value.encodedBytes())
        precondition(again != nil, "the writer produced JSON the parser refuses")
        _ = value.canonicalBytes
        _ = value.intValue
    }

    /// DSP messages as the endpoints read them.
    @Sendable static func dsp(_ bytes: [UInt8]) {
        guard let json = try? JSONValue.parse(bytes) else { return }
        _ = try? CatalogRequestMessage.parse(json)
        _ = try? DatasetRequestMessage.parse(json)
        for type in ["ContractRequestMessage", "ContractAgreementMessage", "TransferRequestMessage", "TransferStartMessage"] {
            guard let m = try? DSPMessage(json, type: type) else { continue }
            _ = try? m.string("consumerPid")
            _ = try? m.optionalString("providerPid")
            _ = try? m.objectMember("offer")
            _ = m.reasons
        }
        if let address = json["dataAddress"] { _ = try? DSPTransferMessages.parseDataAddress(address) }
    }

    /// ODRL policies: parse, compile, and evaluate against a fixed request.
    @Sendable static func odrl(_ bytes: [UInt8]) {
        guard let json = try? JSONValue.parse(bytes) else { return }
        _ = try? UsagePolicy.parse(json, path: "policy")
        guard let compiled = try? CompiledPolicy.parse(json, path: "policy") else { return }
        let request = PolicyRequest(
            action: "download", purpose: "research.medical", recipient: PolicyRequest.Recipient(did: "did:web:a.cn", sector: .healthcare, region: try? RegionCode("440104"), role: "member"),
            now: Date(timeIntervalSince1970: 1_800_000_000), agreedAt: Date(timeIntervalSince1970: 1_790_000_000), uses: 3)
        _ = compiled.evaluate(request).explanation
        _ = compiled.remainingUses(action: "download", uses: Int.max - 1)
        _ = compiled.compensation
    }

    /// Compact JWS, ID tokens and credentials: parsing and every claim accessor.
    @Sendable static func jws(_ bytes: [UInt8]) {
        guard let token = try? CompactJWS(parsing: text(bytes)) else { return }
        for claim in ["exp", "iat", "nbf"] { if let d = token.date(claim) { _ = ISO8601.format(d) } }
        _ = token.string("iss")
        _ = token.kid
        _ = try? token.verify(with: fuzzKey)
    }

    @Sendable static func identifier(_ bytes: [UInt8]) {
        guard let id = try? UnifiedIdentifier(parsing: text(bytes)) else { return }
        if let prefix = fuzzPrefix { _ = id.ipv6Address(in: prefix).description }
        _ = id.description
    }

    @Sendable static func codes(_ bytes: [UInt8]) {
        let s = text(bytes)
        _ = try? CreditCode(s)
        _ = try? CreditCode.completing(s)
        if let r = try? RegionCode(s) { _ = r.chineseName + r.englishName }
        _ = try? IPv6Address(s)
        _ = try? IPv6Prefix(s)
        _ = try? DataGrade(s)
        _ = try? Sector(slug: s)
    }

    @Sendable static func did(_ bytes: [UInt8]) {
        let s = text(bytes)
        if let d = try? WebDID(s) { _ = try? OutboundPolicy(allowLoopback: true).check(d.documentURL) }
        _ = try? OutboundPolicy().check(s)
        _ = WebDID(baseURL: s)
        _ = HostKind.classify(s)
        _ = LedgerNames.did(forLogOrigin: s)
    }

    /// Signed notes, checkpoints, cosignatures, verifier keys and witness requests.
    @Sendable static func signedNote(_ bytes: [UInt8]) {
        let s = text(bytes)
        if let note = try? SignedNote(parsing: s) { _ = note.signatures.count }
        if let checkpoint = try? Checkpoint(body: s) { _ = checkpoint.size }
        _ = try? NoteVerifier(s)
        _ = try? CosignatureVerifier(s)
        _ = try? Witness.Request(parsing: s)
    }

    @Sendable static func receipt(_ bytes: [UInt8]) {
        guard let receipt = try? LedgerReceipt(parsing: text(bytes)) else { return }
        _ = try? LedgerEvent(entry: receipt.entry)
    }

    @Sendable static func tilePath(_ bytes: [UInt8]) {
        guard let parsed = TilePath.parse(text(bytes)) else { return }
        _ = parsed.level.map { TilePath.tile(level: $0, index: parsed.index, width: parsed.width) }
        _ = TilePath.entries(index: parsed.index, width: parsed.width)
        _ = try? TransparencyLog.parseBundle(bytes)
    }

    /// The profiler over CSV (first byte even) or JSON lines, with duplicate rows on.
    @Sendable static func profile(_ bytes: [UInt8]) {
        let format: TabularFormat = (bytes.first ?? 0) % 2 == 0 ? .csv : .jsonLines
        var profiler = TabularProfiler(format: format)
        let input = Array(bytes.dropFirst())
        do {
            try input.withUnsafeBytes { try profiler.consume($0) }
            _ = try profiler.finish().json
        } catch {}
    }

    /// Hands `input` to `body` in pieces of `size` bytes (the last may be shorter).
    static func inChunks(_ input: [UInt8], of size: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        var i = 0
        while i < input.count {
            let end = min(input.count, i + size)
            input[i..<end].withUnsafeBytes(body)
            i = end
        }
    }

    /// A leaked file to trace, as POST /api/v1/quality/trace reads it: sampled in chunks the
    /// first byte sizes (the sample must not depend on them, nor hold a value twice by its text
    /// before the last digit), then scored against two agreements' keys.
    @Sendable static func trace(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let format: TabularFormat = first % 2 == 0 ? .csv : .jsonLines
        let input = Array(bytes.dropFirst())
        func sample(chunk: Int) -> WatermarkSample {
            var sample = WatermarkSample(format: format, limit: Int(first % 64) + 1)
            inChunks(input, of: chunk) { sample.feed($0) }
            sample.finish()
            return sample
        }
        let whole = sample(chunk: max(1, input.count)), chunked = sample(chunk: Int(first % 13) + 1)
        let values = whole.values
        precondition(
            values == chunked.values && whole.columns == chunked.columns && whole.columnNames == chunked.columnNames,
            "the trace sample depends on chunk boundaries")
        precondition(Set(values.map { $0.dropLast() }).count == values.count, "the trace sample holds a trial twice")
        precondition(
            whole.columns.count == values.count && whole.columns.allSatisfy { ($0 ?? 0) >= 0 && ($0 ?? 0) < WatermarkSample.maxColumns }
                && whole.columnNames.count <= WatermarkSample.maxColumns, "a value's column is outside the columns told apart")
        let secret = SymmetricKey(data: Data(repeating: 2, count: 32))
        let verdict = Watermark.trace(whole, candidates: ["a", "b"].map { (id: $0, key: Watermark.key(secret: secret, agreement: $0)) })
        precondition(verdict.evidence.allSatisfy { $0.matches <= $0.values && $0.values <= values.count }, "a trace scored more than it read")
        precondition(verdict.threshold >= Watermark.Trace.baseThreshold, "a trace lowered its bar")
    }

    /// The delivery transformer: masking and watermarking a CSV or JSON-lines stream, fed in
    /// chunks whose size the first byte chooses; output must be the same whatever the chunks.
    @Sendable static func transformer(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let format: TabularFormat = first % 2 == 0 ? .csv : .jsonLines
        let protection = DeliveryProtection(
            masking: ["id": .partial(keepStart: 3, keepEnd: 4), "name": .hide, "date": .generalizeDate(.month), "amount": .round(decimals: 1), "phone": .hash],
            watermark: true)
        let plan = DeliveryPlan.forAgreement("fuzz", format: format, protection: protection, secret: SymmetricKey(data: Data(repeating: 1, count: 32)))
        let input = Array(bytes.dropFirst())
        func run(chunk: Int) -> [UInt8] {
            var transformer = DeliveryTransformer(plan: plan)
            var out: [UInt8] = []
            inChunks(input, of: chunk) { transformer.consume($0, into: &out) }
            transformer.finish(into: &out)
            return out
        }
        let whole = run(chunk: max(1, input.count))
        let pieces = run(chunk: Int(first % 17) + 1)
        precondition(whole == pieces, "the transformer's output depends on chunk boundaries")
    }

    /// Upload normalization (encoding and delimiter detection, iconv, delimiter rewriting) fed in
    /// chunks whose size the first byte chooses: the same output, or the same refusal, whatever
    /// the chunks; zone-less timestamps parsed from the same bytes.
    @Sendable static func normalizer(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let input = Array(bytes.dropFirst())
        let delimiter: UInt8? = first & 0x80 == 0 ? nil : SourceForm.delimiters[Int(first >> 5) & 3]
        func run(chunk: Int) -> [UInt8]? {
            var normalizer = TabularNormalizer(format: first & 0x40 == 0 ? .csv : .jsonLines, delimiter: delimiter)
            var out: [UInt8] = []
            var i = 0
            do {
                while i < input.count {
                    let end = min(input.count, i + chunk)
                    out += try normalizer.feed(Array(input[i..<end]))
                    i = end
                }
                out += try normalizer.finish()
            } catch {
                return nil
            }
            return out
        }
        let whole = run(chunk: max(1, input.count))
        let pieces = run(chunk: Int(first % 31) + 1)
        precondition(whole == pieces, "the normalizer's output depends on chunk boundaries")
        if let shanghai = TimeZone(identifier: "Asia/Shanghai") { _ = LocalTimestamp.parse(text(input), zone: shanghai) }
    }

    @Sendable static func qualityRules(_ bytes: [UInt8]) {
        _ = try? MiniYAML.parse(text(bytes))
        guard let rules = try? QualityRules.parse(yaml: text(bytes)) else { return }
        var profiler = TabularProfiler(format: .csv, rules: rules)
        let sample = Array("id,name,amount,date\n1,张三,3.5,2026-11-01\n2,,x,2026-13-01\n".utf8)
        do {
            try sample.withUnsafeBytes { try profiler.consume($0) }
            _ = try profiler.finish().json
        } catch {}
    }

    @Sendable static func masking(_ bytes: [UInt8]) {
        let s = text(bytes)
        if let rule = try? MaskingRule(parsing: s) {
            let masker = ValueMasker(hashKey: SymmetricKey(data: Data(repeating: 2, count: 32)))
            for sample in ["440111195603112415", "张三", "2026-11-01", "3213.52", "", "x", s] { _ = masker.apply(rule, to: sample) }
        }
        if let json = try? JSONValue.parse(bytes) { _ = try? DeliveryProtection(json: json) }
        _ = try? DeclaredImpact(parsing: s)
    }

    @Sendable static func time(_ bytes: [UInt8]) {
        let s = text(bytes)
        if let d = ISO8601.parseDateTime(s) { _ = ISO8601.format(d) }
        if let d = ISO8601.parseDate(s) { _ = ISO8601.formatDate(d) }
        if let t = ISO8601.parseDuration(s) { _ = ISO8601.formatDuration(t) }
        if bytes.count >= 8 {
            let raw = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            let seconds = Double(bitPattern: raw)
            _ = ISO8601.format(Date(timeIntervalSince1970: seconds))
            _ = ISO8601.formatDuration(seconds)
        }
    }

    /// Stored and exchanged records: datasets, negotiations, transfers, agreements, DID documents.
    @Sendable static func records(_ bytes: [UInt8]) {
        guard let json = try? JSONValue.parse(bytes) else { return }
        _ = try? DatasetRecord(json: json)
        _ = try? ContractNegotiation(json: json)
        _ = try? TransferProcess(json: json)
        _ = try? ContractAgreement(json: json)
        _ = try? QualitySummary(json: json)
        if let did = try? WebDID("did:web:a.cn") { _ = try? DIDDocument.parse(json, expected: did) }
    }

    static let fuzzKey = Curve25519.Signing.PrivateKey().publicKey
    static let fuzzPrefix = try? IPv6Prefix("fd86::/64")
}
