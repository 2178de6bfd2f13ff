import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import Foundation
import Hummingbird

/// The public evidence page: the log's key and signed checkpoint, its newest entries, and a form
/// that checks a receipt — against this node's log, or any member's log found from the origin.
extension Portal {
    static let ledgerTemplate = """
        <section class="ledger">
          <h1>[[存证账本|Evidence log]]</h1>
          <table class="meta">
            <tr><th>[[日志|Origin]]</th><td><code>{{origin}}</code></td></tr>
            <tr><th>[[验证公钥|Verifier key]]</th><td><code>{{verifierKey}}</code></td></tr>
            <tr><th>[[条目|Entries]]</th><td>{{size}}</td></tr>
          </table>
          <h2>[[签名检查点|Signed checkpoint]]</h2>
          <pre class="policy">{{checkpoint}}</pre>
          <p class="links"><a href="/ledger/checkpoint">[[检查点|checkpoint]]</a> · [[瓦片位于|tiles at]] <code>/ledger/tile/…</code> (C2SP tlog-tiles)</p>
          <h2 id="check">[[校验回执|Check a receipt]]</h2>
          {{#result}}
          <div class="{{class}}" id="verdict" role="status">
            <p><strong>{{verdict}}</strong> {{detail}}</p>
            {{#entry}}<pre class="policy">{{entry}}</pre>{{/entry}}
          </div>
          {{/result}}
          <form method="post" action="/ledger#check" enctype="multipart/form-data" class="stack">
            <label for="receipt-file">[[回执文件|Receipt file]]</label>
            <input id="receipt-file" name="file" type="file" accept=".txt,text/plain">
            <label for="receipt">[[或粘贴回执|or paste the receipt]] (c2sp.org/tlog-proof@v1)</label>
            <textarea id="receipt" name="receipt" rows="12" cols="90">{{receipt}}</textarea>
            <button type="submit" id="verify-button">[[校验|Verify]]</button>
          </form>
          <h2>[[最新条目|Newest entries]]</h2>
          <table class="versions">
            <tr><th>[[序号|Index]]</th><th>[[时间|Time]]</th><th>[[类型|Type]]</th><th>[[对象|Subject]]</th><th>[[叶哈希|Leaf hash]]</th><th></th></tr>
            {{#entries}}<tr><td>{{index}}</td><td>{{time}}</td><td>{{type}}</td><td><code>{{subject}}</code></td><td><code>{{leaf}}</code></td><td><a href="/ledger/receipt/{{index}}">[[回执|receipt]]</a></td></tr>{{/entries}}
          </table>
          <nav class="pages">{{#older}}<a href="/ledger?before={{older}}">[[更早|Older]] →</a>{{/older}}</nav>
        </section>
        """

    func registerLedger(on router: Router<NodeRequestContext>) {
        router.get("/ledger") { request, _ in
            await ledgerPage(before: request.query("before").flatMap { UInt64($0) }, receipt: nil)
        }
        router.post("/ledger") { request, _ in
            guard let buffer = try? await request.body.collect(upTo: Self.receiptFormBytes) else {
                return await ledgerPage(before: nil, receipt: nil, refusal: Bilingual("回执文件过大", "A receipt is at most \(Self.receiptFormBytes >> 10) KiB"))
            }
            let receipt: String
            if let boundary = MultipartForm.boundary(contentType: request.headers[.contentType] ?? "") {
                // The form with a file input: the chosen file, else the text pasted beside it.
                do throws(MultipartForm.Refusal) {
                    let form = try MultipartForm(body: Array(buffer.readableBytesView), boundary: boundary)
                    let file = form.part("file").map(\.body) ?? []
                    let bytes = file.isEmpty ? (form.part("receipt")?.body ?? []) : file
                    guard let text = String(validating: bytes, as: UTF8.self) else {
                        return await ledgerPage(before: nil, receipt: nil, refusal: Bilingual("回执应为 UTF-8 文本", "A receipt is UTF-8 text; this file is not"))
                    }
                    receipt = text
                } catch {
                    return await ledgerPage(before: nil, receipt: nil, refusal: Bilingual("表单无法读取：", "The form could not be read:") + error.message)
                }
            } else {
                let body = String(buffer: buffer)
                receipt = body.split(separator: "&").compactMap { field -> String? in
                    let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2, kv[0] == "receipt" else { return nil }
                    return kv[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
                }.first ?? ""
            }
            return await ledgerPage(before: nil, receipt: receipt.replacingOccurrences(of: "\r\n", with: "\n"))
        }
    }

    /// A receipt is a few KiB; the form with it (pasted or as a file) is bounded well above that.
    static let receiptFormBytes = 256 << 10

    func ledgerPage(before: UInt64?, receipt: String?, refusal: (any CustomStringConvertible & Sendable)? = nil) async -> Response {
        let ledger = services.ledger
        let tiles = ledger.log.tiles
        let end = min(before ?? tiles.size, tiles.size)
        let start = end > 50 ? end - 50 : 0
        var rows: [[String: Any]] = []
        var index = end
        while index > start {
            index -= 1
            guard let entry = try? tiles.entry(index) else { break }
            let event = try? LedgerEvent(entry: entry)
            rows.append([
                "index": index, "type": event?.kind.rawValue ?? "?",
                "time": event.map { ISO8601.format(Date(timeIntervalSince1970: Double($0.time))) } ?? "",
                "subject": event.flatMap { e in ["transfer", "negotiation", "product", "participant"].lazy.compactMap { e.fields[$0]?.stringValue }.first } ?? "",
                "leaf": String(MerkleHash.leaf(entry).base64.prefix(16)) + "…",
            ])
        }
        var context: [String: Any] = [
            "origin": ledger.origin, "verifierKey": ledger.log.verifier.text, "size": tiles.size,
            "checkpoint": ledger.publishedCheckpoint, "entries": rows, "receipt": receipt ?? "",
        ]
        if start > 0 { context["older"] = start }
        var status: HTTPResponse.Status = .ok
        if let refusal {
            context["result"] = ["class": "error", "verdict": Bilingual("无效：", "Invalid:"), "detail": refusal]
            status = .badRequest
        } else if let receipt, !receipt.isEmpty {
            let outcome = await checkReceipt(receipt)
            context["result"] = outcome.context
            if !outcome.valid { status = .unprocessableContent }
        }
        return page(title: Bilingual("存证账本", "Evidence log"), template: "ledger", context: context, status: status)
    }

    /// Verifies a receipt against the log its checkpoint names: this node's, or a member's whose
    /// key its DID document publishes. Cosignatures by witnesses this node knows are reported.
    func checkReceipt(_ text: String) async -> (valid: Bool, context: [String: Any]) {
        do {
            let receipt = try LedgerReceipt(parsing: text)
            let origin = receipt.checkpoint.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            let verifier: NoteVerifier
            if origin == services.ledger.origin {
                verifier = services.ledger.log.verifier
            } else {
                guard let did = LedgerNames.did(forLogOrigin: origin) else { throw LogError("the log \(origin) is not a data space node's log") }
                let document = try await services.resolver.resolve(did)
                guard let key = document.verifierKey(ofServiceType: DIDDocument.logServiceType) else { throw LogError("\(did.value) publishes no log key") }
                verifier = try NoteVerifier(key)
            }
            var witnesses = services.ledger.configuredWitnesses.map(\.verifier)
            if let authority = services.trust.authority, let document = try? await services.resolver.resolve(authority),
                let key = document.verifierKey(ofServiceType: DIDDocument.witnessServiceType), let w = try? CosignatureVerifier(key)
            {
                witnesses.append(w)
            }
            let checkpoint = try receipt.verify(log: verifier, witnesses: witnesses)
            let cosigners = try SignedNote(parsing: receipt.checkpoint).cosignatures(witnesses).map(\.witness.name)
            let entry = (try? JSONValue.parse(receipt.entry).encodedString(pretty: true)) ?? Data(receipt.entry).base64EncodedString()
            let witnessed = cosigners.isEmpty ? "no known witness cosigned it" : "cosigned by \(cosigners.joined(separator: ", "))"
            return (true, [
                "class": "ok", "verdict": Bilingual("有效：", "Valid:"),
                "detail": "entry \(receipt.index) is in \(checkpoint.origin) at tree size \(checkpoint.size); \(witnessed).", "entry": entry,
            ])
        } catch {
            return (false, ["class": "error", "verdict": Bilingual("无效：", "Invalid:"), "detail": "\(error)"])
        }
    }
}
