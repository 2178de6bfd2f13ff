import DataspaceIdentity

/// Which roles may call each management operation with a person's API token. The admin token
/// (bootstrap) may call every one. An operation missing here is for the admin token alone, so a
/// new operation is closed until someone decides who may use it (a test lists every operation).
public enum ManagementAccess {
    public static let everyone = Set(PersonRole.allCases)
    /// People who take part in contracts and those who check them.
    public static let contractReaders: Set<PersonRole> = [.publisher, .analyst, .auditor]

    public static let roles: [String: Set<PersonRole>] = [
        "nodeInfo": everyone,
        "listDatasets": everyone, "showDataset": everyone, "qualityReport": everyone, "search": everyone, "catalogDCAT": everyone,
        "publish": [.publisher], "updateDataset": [.publisher], "withdrawDataset": [.publisher], "decideGrade": [.publisher],
        "traceLeak": [.publisher, .auditor],
        "peerCatalog": [.analyst, .publisher],
        "showMembership": everyone, "applyForMembership": [.administrator], "refreshMembership": [.administrator],
        "listApplications": [.administrator], "approveApplication": [.administrator], "rejectApplication": [.administrator],
        "revokeMembership": [.administrator],
        "negotiate": [.analyst], "acceptOffer": [.analyst], "makeOffer": [.publisher], "terminateNegotiation": [.analyst, .publisher],
        "listNegotiations": contractReaders, "showNegotiation": contractReaders,
        "listAgreements": contractReaders, "showAgreement": contractReaders, "reconcileAgreement": contractReaders,
        "queryAgreement": [.analyst], "intersectAgreement": [.analyst], "aggregate": [.analyst], "agreementBudget": contractReaders,
        "startTransfer": [.analyst], "completeTransfer": [.analyst],
        "suspendTransfer": [.analyst, .publisher], "resumeTransfer": [.analyst, .publisher], "terminateTransfer": [.analyst, .publisher],
        "listTransfers": contractReaders, "showTransfer": contractReaders, "transferReceipts": contractReaders,
        "fetchTransferReceipt": [.analyst, .auditor],
        "listUsage": contractReaders,
        "ledgerStatus": everyone, "ledgerEvents": everyone, "ledgerEvent": everyone,
        "listAccounts": [.administrator], "inviteAccount": [.administrator], "updateAccount": [.administrator],
        "listTokens": everyone, "issueToken": everyone, "revokeToken": everyone,
    ]

    /// Operations anyone may call without a token (they authenticate by other means).
    public static let open: Set<String> = ["tokenLogin"]

    /// The roles that may call `operation` with a person's token (empty: the admin token only).
    public static func roles(for operation: String) -> Set<PersonRole> { roles[operation] ?? [] }
}
