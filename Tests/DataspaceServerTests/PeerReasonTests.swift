import DataspaceCore
import DataspaceProtocol
import Testing

@testable import DataspaceApplication
@testable import DataspaceServer

/// A node calling another node's aggregation endpoints reads why it was refused from the error
/// body the other node actually sends, so a refused share names the reason instead of "no
/// reason given".
@Suite("Peer refusal reasons")
struct PeerReasonTests {
    @Test("a DSP error from an aggregation route (as the token check answers it) gives its reason and code")
    func dspError() {
        let refusal = ProtocolError(.unauthorized, code: "token_expired", "the token expired at 2026-12-06T16:05:00Z")
        let body = DSPFamily(path: "/dsp/aggregation/rounds/r1/shares").body(refusal)
        #expect(ContractService.peerReason(body) == "the token expired at 2026-12-06T16:05:00Z (token_expired)")
    }

    @Test("several reasons are joined; a management problem gives its detail; nothing at all says so")
    func otherForms() throws {
        let two = DSPFamily(path: "/dsp/aggregation/rounds/r1/abort").body(ProtocolError(.conflict, code: "round.closed", reasons: ["closed", "released"]))
        #expect(ContractService.peerReason(two) == "closed; released (round.closed)")
        let problem = try JSONValue.parse(#"{"code": "bad_token", "detail": "the admin token is not valid for this node"}"#)
        #expect(ContractService.peerReason(problem) == "the admin token is not valid for this node")
        #expect(ContractService.peerReason(.null) == "no reason given")
        #expect(ContractService.peerReason(.null, otherwise: "answered 502") == "answered 502")
        #expect(ContractService.peerReason(try JSONValue.parse(#"{"code": "x", "reason": [""]}"#)) == "x")
    }

    @Test("a peer's long or odd reason is cut, not echoed whole")
    func hostile() throws {
        let long = String(repeating: "é", count: 10_000)
        let body = try JSONValue.parse(#"{"reason": ["\#(long)", 7, null], "code": "c"}"#)
        let text = ContractService.peerReason(body)
        #expect(text.count == 500 + " (c)".count)
        #expect(ContractService.peerReason(try JSONValue.parse(#"{"detail": 42}"#)) == "no reason given")
        let longCode = try JSONValue.parse(#"{"code": "\#(String(repeating: "x", count: 5_000))"}"#)
        #expect(ContractService.peerReason(longCode).count == 100)
    }
}
