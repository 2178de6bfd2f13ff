import DataspaceCore

extension ContractService {
    /// Why a peer refused, from its error body, cut to a length fit for a message: a DSP error
    /// (every DSP route, and the check of the caller's token, answer one) gives its `reason` list
    /// and `code`, a management-style problem its `detail`; `otherwise` when it gives neither.
    /// (Aggregation read only `detail`, which DSP errors do not carry, so a refused share said
    /// "no reason given" when the aggregator had given one.)
    static func peerReason(_ body: JSONValue, otherwise: String = "no reason given") -> String {
        if let detail = body["detail"]?.stringValue, !detail.isEmpty { return String(detail.prefix(500)) }
        let reasons = (body["reason"]?.arrayValue ?? []).compactMap(\.stringValue).filter { !$0.isEmpty }
        let code = body["code"]?.stringValue.map { String($0.prefix(100)) }.flatMap { $0.isEmpty ? nil : $0 }
        let text = reasons.isEmpty ? nil : String(reasons.joined(separator: "; ").prefix(500))
        switch (text, code) {
        case let (text?, code?): return "\(text) (\(code))"
        case let (text?, nil): return text
        case let (nil, code?): return code
        case (nil, nil): return otherwise
        }
    }
}
