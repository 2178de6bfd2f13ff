import DataspaceIdentity

/// Who called the management API: the node's admin token (bootstrap: every operation) or a
/// person through one of their API tokens, with the roles that token may use now.
public enum ManagementCaller: Sendable {
    case adminToken
    case person(PersonAccount, token: PersonToken, roles: Set<PersonRole>)

    /// The person, when it is one.
    var account: PersonAccount? {
        if case .person(let account, _, _) = self { return account }
        return nil
    }

    /// What records and evidence name as the actor: the person's account id, or "admin-token".
    var attribution: String { account?.id ?? "admin-token" }

    /// Whether it may call an operation open to `allowed`.
    func may(_ allowed: Set<PersonRole>) -> Bool {
        switch self {
        case .adminToken: true
        case .person(_, _, let roles): !roles.isDisjoint(with: allowed)
        }
    }
}
