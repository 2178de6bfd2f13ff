import Foundation
import DataspaceContracts
import DataspaceCore
import Testing

/// The DSP 2025-1 state machines, exhaustively: every state × event × sender either reaches the
/// state the specification names or is refused.
@Suite struct StateMachineTests {
    static let allowedNegotiation: [String: NegotiationState] = [
        "nil request consumer": .requested, "OFFERED request consumer": .requested,
        "nil offer provider": .offered, "REQUESTED offer provider": .offered,
        "OFFERED accept consumer": .accepted,
        "REQUESTED agree provider": .agreed, "ACCEPTED agree provider": .agreed,
        "AGREED verify consumer": .verified,
        "VERIFIED finalize provider": .finalized,
    ]

    @Test func negotiationTransitionsAreExactlyTheSpecifiedOnes() {
        let states: [NegotiationState?] = [nil] + NegotiationState.allCases.map { $0 }
        let events: [NegotiationEvent] = [.request, .offer, .accept, .agree, .verify, .finalize, .terminate]
        for state in states {
            for event in events {
                for sender in [ContractRole.consumer, .provider] {
                    let key = "\(state?.rawValue ?? "nil") \(event.rawValue) \(sender.rawValue)"
                    var expected = Self.allowedNegotiation[key]
                    if event == .terminate, let s = state, !s.isTerminal { expected = .terminated }
                    let actual = try? NegotiationStateMachine.next(state, on: event, from: sender)
                    #expect(actual == expected, "\(key)")
                }
            }
        }
    }

    @Test func refusalsSayWhy() {
        #expect(throws: TransitionError.self) { try NegotiationStateMachine.next(.finalized, on: .terminate, from: .consumer) }
        do {
            _ = try NegotiationStateMachine.next(.requested, on: .verify, from: .consumer)
        } catch {
            #expect(error.message == "cannot verify a negotiation in state REQUESTED")
        }
        do {
            _ = try NegotiationStateMachine.next(.requested, on: .agree, from: .consumer)
        } catch {
            #expect(error.message == "a consumer cannot send 'agree'")
        }
    }

    @Test func transferTransitions() throws {
        #expect(try TransferStateMachine.next(nil, on: .request, from: .consumer) == .requested)
        #expect((try? TransferStateMachine.next(nil, on: .request, from: .provider)) == nil)
        #expect(try TransferStateMachine.next(.requested, on: .start, from: .provider) == .started)
        #expect((try? TransferStateMachine.next(.requested, on: .start, from: .consumer)) == nil)
        #expect(try TransferStateMachine.next(.started, on: .suspend, from: .consumer) == .suspended)
        #expect(try TransferStateMachine.next(.suspended, on: .start, from: .consumer) == .started)
        #expect(try TransferStateMachine.next(.suspended, on: .start, from: .provider) == .started)
        #expect(try TransferStateMachine.next(.started, on: .complete, from: .consumer) == .completed)
        #expect((try? TransferStateMachine.next(.requested, on: .complete, from: .consumer)) == nil)
        #expect((try? TransferStateMachine.next(.completed, on: .terminate, from: .provider)) == nil)
        #expect(try TransferStateMachine.next(.suspended, on: .terminate, from: .provider) == .terminated)
        for state in TransferState.allCases where state.isTerminal {
            for event in [TransferEvent.request, .start, .suspend, .complete, .terminate] {
                #expect((try? TransferStateMachine.next(state, on: event, from: .consumer)) == nil)
            }
        }
    }

    @Test func termsComparisonFindsTheDeclaredPurpose() throws {
        let offer = try UsagePolicy.parse(
            try JSONValue.parse(#"{"permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "lteq", "rightOperand": "2"}]}]}"#))
        let narrowed = ContractTerms.withPurpose(offer, "research")
        #expect(ContractTerms.compare(requested: narrowed, offered: offer) == .accepted(purpose: "research"))
        #expect(ContractTerms.compare(requested: offer, offered: offer) == .accepted(purpose: nil))
        var changed = narrowed
        changed.prohibitions = [PolicyRule(action: try PolicyAction("distribute"))]
        #expect(ContractTerms.compare(requested: changed, offered: offer) == .changed(purpose: "research"))
        // Narrowing twice is idempotent.
        #expect(ContractTerms.withPurpose(narrowed, "research") == narrowed)
    }
}

@Suite struct OutboxSettlementTests {
    func negotiation() -> ContractNegotiation {
        var n = ContractNegotiation(
            id: "urn:uuid:c", role: .consumer, providerPid: nil, consumerPid: "urn:uuid:c", state: .requested, counterparty: "did:web:p.example",
            counterpartyAddress: "https://p.example/dsp", dataset: "d", purpose: nil, offer: [:])
        n.queue = [OutgoingMessage(url: "https://p.example/dsp/negotiations/request", body: ["n": 1]), OutgoingMessage(url: "u2", body: ["n": 2])]
        return n
    }

    @Test func deliveryRemovesTheMessageAndLearnsTheOtherPid() {
        var n = negotiation()
        let sent = n.queue[0]
        n.settle(sent, .delivered(["providerPid": "urn:uuid:p"]), now: Date())
        #expect(n.queue.count == 1 && n.queue[0].body == ["n": 2])
        #expect(n.providerPid == "urn:uuid:p")
        // A second settlement of the same message (the queue moved on) changes nothing.
        n.settle(sent, .delivered(["providerPid": "urn:uuid:other"]), now: Date())
        #expect(n.queue.count == 1 && n.providerPid == "urn:uuid:p")
    }

    @Test func retriesCountAndRefusalsTerminate() {
        var n = negotiation()
        let sent = n.queue[0]
        n.settle(sent, .retry("connection refused"), now: Date())
        n.settle(sent, .retry("connection refused"), now: Date())
        #expect(n.queue[0].attempts == 2)
        #expect(n.queue[0].backoff == 0.4)
        n.settle(n.queue[0], .refused(["policy.denied: purpose"]), now: Date())
        #expect(n.state == .terminated && n.queue.isEmpty && n.reasons == ["policy.denied: purpose"])
        var finished = negotiation()
        finished.state = .finalized
        finished.settle(finished.queue[0], .refused(["late"]), now: Date())
        #expect(finished.state == .finalized)
    }
}
