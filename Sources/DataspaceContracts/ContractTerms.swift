import DataspaceCore
import Foundation

/// How a consumer's request relates to the provider's offer, and how an agreement is drawn up.
///
/// A consumer declares its purpose the ODRL way: by narrowing the offer with a trailing
/// `purpose eq P` constraint on every permission. The agreement keeps that constraint, so the
/// purpose is enforced at every delivery like any other term.
public enum ContractTerms {
    /// The offer narrowed to `purpose` (unchanged when nil or already narrowed).
    public static func withPurpose(_ policy: UsagePolicy, _ purpose: String?) -> UsagePolicy {
        guard let purpose else { return policy }
        var copy = policy
        let constraint = PolicyConstraint.atomic(.purpose, .eq, .string(purpose))
        copy.permissions = policy.permissions.map { rule in
            var r = rule
            if r.constraints.last != constraint { r.constraints.append(constraint) }
            return r
        }
        return copy
    }

    /// Compares a requested offer with the provider's own: `.accepted(purpose)` when the request
    /// is the offer, possibly narrowed by a declared purpose; `.changed` when other terms differ.
    public enum Comparison: Sendable, Hashable {
        case accepted(purpose: String?)
        case changed(purpose: String?)
    }

    public static func compare(requested: UsagePolicy, offered: UsagePolicy) -> Comparison {
        let purpose = declaredPurpose(requested)
        var stripped = requested
        if requested.permissions.count == offered.permissions.count, purpose != nil {
            stripped.permissions = zip(requested.permissions, offered.permissions).map { asked, offer in
                var r = asked
                if r.constraints.count == offer.constraints.count + 1 { r.constraints.removeLast() }
                return r
            }
        }
        let same =
            stripped.permissions == offered.permissions && stripped.prohibitions == offered.prohibitions
            && stripped.obligations == offered.obligations
        return same ? .accepted(purpose: purpose) : .changed(purpose: purpose)
    }

    /// The purpose a request declares: the same trailing `purpose eq P` on every permission.
    public static func declaredPurpose(_ requested: UsagePolicy) -> String? {
        var purpose: String?
        for rule in requested.permissions {
            guard case .atomic(.purpose, .eq, let value)? = rule.constraints.last, let p = value.stringValue, purpose == nil || purpose == p else {
                return nil
            }
            purpose = p
        }
        return purpose
    }

    /// The `Agreement` object for an offer: the offer's rules narrowed to the purpose, with
    /// target, parties and timestamp as the DSP schema requires.
    public static func agreement(
        id: String, offer: UsagePolicy, purpose: String?, target: String, provider: String, consumer: String, at date: Date
    ) -> JSONValue {
        var policy = withPurpose(offer, purpose)
        policy.id = id
        policy.kind = .agreement
        policy.target = target
        policy.assigner = provider
        policy.assignee = consumer
        var object = policy.json.objectValue ?? [:]
        object["timestamp"] = .string(ISO8601.format(date))
        return .object(object)
    }

    /// An offer as sent in a negotiation message: the catalog offer plus its target.
    public static func messageOffer(_ offer: UsagePolicy, target: String) -> JSONValue {
        var policy = offer
        policy.kind = .offer
        policy.target = target
        return policy.json
    }
}
