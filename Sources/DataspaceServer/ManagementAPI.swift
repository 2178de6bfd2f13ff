import DataspaceCore
import DataspaceIdentity

/// Every operation of the management API, each defined once here: the server registers its
/// route from the definition (`ManagementRoutes`), the OpenAPI document at `/api/openapi.yaml`
/// is rendered from it (`OpenAPIDocument`), and `ManagementClient` builds its requests from it.
/// An operation's name here is its `operationId`.
public enum ManagementAPI {
    /// The `{id}` of a negotiation, agreement, transfer or application.
    static let idInPath: JSONValue = ["name": "id", "in": "path", "required": true, "schema": ["type": "string"]]
    /// A long poll: answer when the process settles or `wait` seconds have passed.
    static let waitInQuery: JSONValue = ["name": "wait", "in": "query", "schema": ["type": "number", "minimum": 0, "maximum": 120]]
    static let sinceInQuery: JSONValue = [
        "name": "since", "in": "query", "description": "with wait, also return at any change after this revision",
        "schema": ["type": "integer", "minimum": 0],
    ]
    /// A response whose JSON body is the named component schema.
    static func json(_ description: String, schema: String) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/" + schema)]]]]
    }
    /// A required JSON request body of the named component schema.
    static func jsonBody(schema: String) -> JSONValue {
        ["required": true, "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/" + schema)]]]]
    }
    /// A refusal: RFC 9457 problem details naming the field at fault.
    static let problem: JSONValue = ["$ref": "#/components/responses/Problem"]

    public static let nodeInfo = ManagementOperation(
        id: "nodeInfo", .get, "/node",
        summary: "This node's identity and state",
        responses: ["200": ["description": "Node information"], "401": problem])

    public static let listDatasets = ManagementOperation(
        id: "listDatasets", .get, "/datasets",
        summary: "List active products (keyset paging)",
        parameters: [
            ["name": "after", "in": "query", "schema": ["type": "string"]],
            ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 1000]],
        ],
        responses: [
            "200": json("A page", schema: "DatasetPage"),
            "400": problem,
        ])

    public static let publish = ManagementOperation(
        id: "publish", .post, "/datasets",
        summary: "Publish a product; the body is the CSV or JSON-lines file, streamed",
        parameters: [["$ref": "#/components/parameters/metadata"]],
        requestBody: [
            "required": true,
            "content": ["text/csv": ["schema": ["type": "string"]], "application/jsonl": ["schema": ["type": "string"]]],
        ],
        responses: [
            "201": json("Published", schema: "Dataset"),
            "400": problem,
            "413": problem,
        ])

    public static let showDataset = ManagementOperation(
        id: "showDataset", .get, "/datasets/{prefix}/{local}",
        summary: "A product with its versions",
        parameters: [
            ["$ref": "#/components/parameters/prefix"],
            ["$ref": "#/components/parameters/local"],
            ["name": "version", "in": "query", "schema": ["type": "integer"]],
        ],
        responses: [
            "200": json("The product", schema: "Dataset"),
            "404": problem,
        ])

    public static let updateDataset = ManagementOperation(
        id: "updateDataset", .put, "/datasets/{prefix}/{local}",
        summary: "Publish a new version (body optional; without a file the previous one is kept)",
        parameters: [
            ["$ref": "#/components/parameters/prefix"],
            ["$ref": "#/components/parameters/local"],
            ["$ref": "#/components/parameters/metadata"],
        ],
        requestBody: ["content": ["text/csv": ["schema": ["type": "string"]], "application/jsonl": ["schema": ["type": "string"]]]],
        responses: [
            "200": json("The new version", schema: "Dataset"),
            "400": problem,
            "404": problem,
            "410": problem,
        ])

    public static let withdrawDataset = ManagementOperation(
        id: "withdrawDataset", .delete, "/datasets/{prefix}/{local}",
        summary: "Withdraw a product",
        parameters: [["$ref": "#/components/parameters/prefix"], ["$ref": "#/components/parameters/local"]],
        responses: [
            "200": json("The withdrawn version", schema: "Dataset"),
            "404": problem,
            "410": problem,
        ])

    public static let qualityReport = ManagementOperation(
        id: "qualityReport", .get, "/datasets/{prefix}/{local}/quality",
        summary: "The version's signed quality report (profile, scores with formulas, detections, category, grade reasoning) and the node's detached JWS over its RFC 8785 bytes",
        parameters: [
            ["$ref": "#/components/parameters/prefix"],
            ["$ref": "#/components/parameters/local"],
            ["name": "version", "in": "query", "schema": ["type": "integer"]],
        ],
        responses: [
            "200": ["description": "report, signature, reportSha256 and the catalog summary"],
            "404": problem,
        ])

    public static let decideGrade = ManagementOperation(
        id: "decideGrade", .post, "/datasets/{prefix}/{local}/grade",
        summary: "Confirm or override the current version's GB/T 43697 grade; who and why are recorded and logged (product.graded)",
        parameters: [["$ref": "#/components/parameters/prefix"], ["$ref": "#/components/parameters/local"]],
        requestBody: [
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "required": ["grade"],
                        "properties": [
                            "grade": ["type": "string", "example": "important"],
                            "reason": ["type": "string", "description": "required when lower than the assessment's proposal"],
                            "decidedBy": ["type": "string"],
                        ],
                    ],
                ],
            ],
        ],
        responses: [
            "200": json("The product with its new grade and controls", schema: "Dataset"),
            "400": problem,
            "404": problem,
        ])

    public static let traceLeak = ManagementOperation(
        id: "traceLeak", .post, "/quality/trace",
        summary: "Name the agreement a leaked copy of delivered data came from, by its watermark",
        parameters: [["name": "dataset", "in": "query", "description": "only this product's agreements", "schema": ["type": "string"]]],
        requestBody: ["content": ["text/csv": ["schema": ["type": "string"]], "application/jsonl": ["schema": ["type": "string"]]]],
        responses: [
            "200": json("The attributed agreement (or null with an explanation), the top candidates with matches and z-scores", schema: "LeakTrace"),
            "400": problem,
            "413": problem,
            "503": problem,
        ])

    public static let search = ManagementOperation(
        id: "search", .get, "/search",
        summary: "Full-text search with facets (exact CJK substring and word matching, BM25 ranking)",
        parameters: [
            ["name": "q", "in": "query", "schema": ["type": "string"]],
            ["name": "sector", "in": "query", "schema": ["type": "string"]],
            ["name": "region", "in": "query", "schema": ["type": "string", "pattern": "^[0-9]{6}$"]],
            [
                "name": "minScore",
                "in": "query",
                "description": "only products whose quality score is at least this",
                "schema": ["type": "number", "minimum": 0, "maximum": 1],
            ],
            ["name": "grade", "in": "query", "schema": ["type": "string", "enum": ["core", "important", "general"]]],
            ["name": "page", "in": "query", "schema": ["type": "integer", "minimum": 1]],
            ["name": "pageSize", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 200]],
        ],
        responses: [
            "200": json("Results", schema: "SearchResults"),
            "400": problem,
        ])

    public static let catalogDCAT = ManagementOperation(
        id: "catalogDCAT", .get, "/catalog/dcat",
        summary: "The catalog as DCAT-AP 3 JSON-LD",
        responses: ["200": ["description": "JSON-LD graph", "content": ["application/ld+json": ["schema": ["type": "object"]]]]])

    public static let peerCatalog = ManagementOperation(
        id: "peerCatalog", .post, "/peers/catalog",
        summary: "Query another node's DSP catalog as this node",
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "required": ["provider"],
                        "properties": [
                            "provider": ["type": "string"],
                            "q": ["type": "string"],
                            "sector": ["type": "string"],
                            "region": ["type": "string"],
                            "page": ["type": "integer"],
                        ],
                    ],
                ],
            ],
        ],
        responses: [
            "200": ["description": "The provider's DSP Catalog"],
            "400": problem,
            "502": problem,
        ])

    public static let showMembership = ManagementOperation(
        id: "showMembership", .get, "/membership",
        summary: "This node's membership with the authority",
        responses: [
            "200": json("Membership", schema: "Membership"),
            "404": problem,
        ])

    public static let applyForMembership = ManagementOperation(
        id: "applyForMembership", .post, "/membership/apply",
        summary: "Apply to an authority for membership",
        requestBody: [
            "required": true,
            "content": [
                "application/json": ["schema": ["type": "object", "required": ["authorityURL"], "properties": ["authorityURL": ["type": "string"]]]],
            ],
        ],
        responses: [
            "201": ["description": "Approved at once; credential stored"],
            "202": ["description": "Pending the authority's decision"],
            "400": problem,
            "502": problem,
        ])

    public static let refreshMembership = ManagementOperation(
        id: "refreshMembership", .post, "/membership/refresh",
        summary: "Fetch the authority's decision and credential",
        responses: [
            "200": json("Membership", schema: "Membership"),
            "502": problem,
        ])

    public static let listApplications = ManagementOperation(
        id: "listApplications", .get, "/authority/applications",
        summary: "Applications received (authority only)",
        parameters: [["name": "status", "in": "query", "schema": ["type": "string", "enum": ["pending", "approved", "rejected"]]]],
        responses: ["200": ["description": "Applications"], "404": problem])

    public static let approveApplication = ManagementOperation(
        id: "approveApplication", .post, "/authority/applications/{id}/approve",
        summary: "Approve an application and issue a membership credential",
        parameters: [["$ref": "#/components/parameters/applicationId"]],
        responses: [
            "200": json("Approved", schema: "Application"),
            "404": problem,
            "409": problem,
        ])

    public static let rejectApplication = ManagementOperation(
        id: "rejectApplication", .post, "/authority/applications/{id}/reject",
        summary: "Reject an application",
        parameters: [["$ref": "#/components/parameters/applicationId"]],
        requestBody: ["content": ["application/json": ["schema": ["type": "object", "properties": ["reason": ["type": "string"]]]]]],
        responses: [
            "200": ["description": "Rejected"],
            "404": problem,
            "409": problem,
        ])

    public static let revokeMembership = ManagementOperation(
        id: "revokeMembership", .post, "/authority/revocations",
        summary: "Revoke a membership credential (by participant DID or application id)",
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object", "required": ["subject"],
                        "properties": ["subject": ["type": "string"], "reason": ["type": "string", "maxLength": 500]],
                    ]
                ],
            ],
        ],
        responses: [
            "200": ["description": "Revoked"],
            "404": problem,
            "409": problem,
        ])

    public static let negotiate = ManagementOperation(
        id: "negotiate", .post, "/negotiations",
        summary: "Negotiate a contract with a provider (this node as consumer)",
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "required": ["provider", "dataset"],
                        "properties": [
                            "provider": ["type": "string", "description": "the provider's base URL"],
                            "dataset": ["type": "string", "description": "unified identifier"],
                            "purpose": ["type": "string"],
                            "offer": ["type": "string", "description": "offer id (default the first)"],
                        ],
                    ],
                ],
            ],
        ],
        responses: [
            "201": ["description": "Negotiation requested"],
            "400": problem,
            "404": problem,
            "502": problem,
        ])

    public static let listNegotiations = ManagementOperation(
        id: "listNegotiations", .get, "/negotiations",
        summary: "Negotiations in both roles, newest first",
        responses: ["200": ["description": "Negotiations"]])

    public static let showNegotiation = ManagementOperation(
        id: "showNegotiation", .get, "/negotiations/{id}",
        summary: "One negotiation; wait=SECONDS returns when it is final, terminated or holds an offer",
        parameters: [
            idInPath,
            waitInQuery, sinceInQuery,
        ],
        responses: ["200": ["description": "Negotiation"], "404": problem])

    public static let acceptOffer = ManagementOperation(
        id: "acceptOffer", .post, "/negotiations/{id}/accept",
        summary: "Accept the provider's (counter-)offer",
        parameters: [idInPath],
        responses: ["200": ["description": "Accepted"], "409": problem])

    public static let terminateNegotiation = ManagementOperation(
        id: "terminateNegotiation", .post, "/negotiations/{id}/terminate",
        summary: "Terminate a negotiation and tell the other party",
        parameters: [idInPath],
        requestBody: ["content": ["application/json": ["schema": ["type": "object", "properties": ["reason": ["type": "string"]]]]]],
        responses: ["200": ["description": "Terminated"], "409": problem])

    public static let makeOffer = ManagementOperation(
        id: "makeOffer", .post, "/offers",
        summary: "Offer a product to another member (provider-initiated negotiation)",
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "required": ["consumer", "dataset"],
                        "properties": ["consumer": ["type": "string", "description": "the consumer's base URL"], "dataset": ["type": "string"]],
                    ],
                ],
            ],
        ],
        responses: [
            "201": ["description": "Offer sent; the negotiation is OFFERED"],
            "400": problem,
            "404": problem,
        ])

    public static let listAgreements = ManagementOperation(
        id: "listAgreements", .get, "/agreements",
        summary: "Agreements with state, deliveries, remaining uses and both signatures",
        responses: ["200": ["description": "Agreements"]])

    public static let showAgreement = ManagementOperation(
        id: "showAgreement", .get, "/agreements/{id}",
        summary: "One agreement",
        parameters: [idInPath],
        responses: ["200": ["description": "Agreement"], "404": problem])

    public static let reconcileAgreement = ManagementOperation(
        id: "reconcileAgreement", .get, "/agreements/{id}/reconciliation",
        summary: "This node's count of the agreement's deliveries beside the provider's, transfer by transfer (a consumer asks its provider)",
        parameters: [idInPath],
        responses: [
            "200": ["description": "Both counts, whether they agree, and what each difference means"],
            "404": problem,
        ])

    public static let queryAgreement = ManagementOperation(
        id: "queryAgreement", .post, "/agreements/{id}/query",
        summary: "A differentially private query under an agreement that grants compute (this node as consumer; docs/privacy.md): the provider answers with noisy aggregates, their noise and the budget left",
        parameters: [idInPath],
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "required": ["query"],
                        "properties": [
                            "query": ["type": "string", "maxLength": 8192, "description": "SELECT … FROM data (restricted SQL, docs/privacy.md)"],
                            "epsilon": ["type": "number", "exclusiveMinimum": 0, "description": "ε to spend (pure-DP agreements)"],
                            "rho": ["type": "number", "exclusiveMinimum": 0, "description": "ρ to spend (zCDP agreements)"],
                            "delta": ["type": "number", "exclusiveMinimum": 0, "description": "δ for grouping by keys that are not public"],
                        ],
                    ],
                ],
            ],
        ],
        responses: [
            "200": ["description": "columns with their noise, rows, what was spent and the budget left"],
            "400": problem, "403": problem, "404": problem, "409": problem, "422": problem,
        ])

    public static let intersectAgreement = ManagementOperation(
        id: "intersectAgreement", .post, "/agreements/{id}/psi",
        summary: "Private set intersection under an agreement that grants compute with psiSetSize (this node as consumer; docs/privacy.md): identifiers are blinded here, only points reach the provider; answers the intersection's size, or the identifiers that matched when the offer releases them",
        parameters: [idInPath],
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "required": ["identifiers"],
                        "properties": [
                            "identifiers": ["type": "array", "items": ["type": "string", "maxLength": 1024], "description": "this node's identifiers; trimmed, empty ones skipped, duplicates matched once"],
                            "column": ["type": "string", "description": "the product's match column (default: the first it offers)"],
                            "output": ["type": "string", "enum": ["cardinality", "intersection"], "description": "ask for less than the offer releases"],
                        ],
                    ],
                ],
            ],
        ],
        responses: [
            "200": ["description": "run id, output, both set sizes, the intersection's size, the matches when released, runs left"],
            "400": problem, "403": problem, "404": problem, "409": problem, "413": problem, "422": problem,
        ])

    public static let aggregate = ManagementOperation(
        id: "aggregate", .post, "/aggregations",
        summary: "Secure aggregation across providers (this node as consumer; docs/privacy.md): each provider under its agreement (compute with aggregateRounds) splits its count and sum into two additive shares for the two aggregators; this node adds their two sums. Any refusal aborts the round with nothing released",
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "required": ["agreements", "aggregators"],
                        "properties": [
                            "agreements": ["type": "array", "minItems": 3, "maxItems": 100, "items": ["type": "string"], "description": "one agreement per provider, this node as consumer"],
                            "aggregators": ["type": "array", "minItems": 2, "maxItems": 2, "items": ["type": "string"], "description": "the DIDs of two members that are neither this node nor a provider, and do not collude"],
                            "column": ["type": "string", "description": "a bounded column to sum (omit to count rows only)"],
                            "groupBy": ["type": "string", "description": "a public key of the products"],
                            "groups": ["type": "array", "maxItems": 1000, "items": ["type": "string"], "description": "the values of groupBy to report, the same for every provider"],
                            "decimals": ["type": "integer", "minimum": 0, "maximum": 6, "description": "decimals the sum is carried with"],
                        ],
                    ],
                ],
            ],
        ],
        responses: [
            "200": ["description": "round, providers, and for each group its key, count, sum and average"],
            "400": problem, "403": problem, "404": problem, "409": problem, "422": problem, "502": problem,
        ])

    public static let agreementBudget = ManagementOperation(
        id: "agreementBudget", .get, "/agreements/{id}/budget",
        summary: "An agreement's privacy budget: total, spent, remaining, per query and per period (asked of the provider by a consumer)",
        parameters: [idInPath],
        responses: ["200": ["description": "The budget"], "403": problem, "404": problem])

    public static let startTransfer = ManagementOperation(
        id: "startTransfer", .post, "/transfers",
        summary: "Start an HTTP-pull transfer under an agreement (this node as consumer); continueOpen returns the agreement's transfer that is still open, to retry within the same delivery",
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "required": ["agreement"],
                        "properties": ["agreement": ["type": "string"], "continueOpen": ["type": "boolean"]],
                    ],
                ],
            ],
        ],
        responses: [
            "200": ["description": "The open transfer continued (continueOpen)"],
            "201": ["description": "Transfer requested"],
            "400": problem,
            "404": problem,
        ])

    public static let listTransfers = ManagementOperation(
        id: "listTransfers", .get, "/transfers",
        summary: "Transfer processes in both roles",
        parameters: [["name": "agreement", "in": "query", "schema": ["type": "string"]]],
        responses: ["200": ["description": "Transfers"]])

    public static let showTransfer = ManagementOperation(
        id: "showTransfer", .get, "/transfers/{id}",
        summary: "One transfer; wait=SECONDS returns once it left REQUESTED. A consumer's entry carries the data address.",
        parameters: [
            idInPath,
            waitInQuery, sinceInQuery,
        ],
        responses: ["200": ["description": "Transfer"], "404": problem])

    public static let transferReceipts = ManagementOperation(
        id: "transferReceipts", .get, "/transfers/{id}/receipts",
        summary: "The provider receipts (c2sp.org/tlog-proof@v1) this consumer kept for the transfer",
        parameters: [idInPath],
        responses: ["200": ["description": "Receipts"], "404": problem])

    public static let fetchTransferReceipt = ManagementOperation(
        id: "fetchTransferReceipt", .post, "/transfers/{id}/receipts",
        summary: "Fetch the provider's receipt for the latest delivery, verify it against the provider's published log key, and keep it",
        parameters: [idInPath],
        responses: [
            "201": ["description": "Receipt verified and stored"],
            "400": problem,
            "502": problem,
        ])

    public static let ledgerStatus = ManagementOperation(
        id: "ledgerStatus", .get, "/ledger",
        summary: "The evidence log — origin, verifier key, size, published checkpoint, witness answers; on a witness, the logs it cosigned",
        responses: ["200": ["description": "Ledger status"]])

    public static let ledgerEvents = ManagementOperation(
        id: "ledgerEvents", .get, "/ledger/events",
        summary: "Ledger entries for supervisors, oldest first, filtered by type and time",
        parameters: [
            [
                "name": "type",
                "in": "query",
                "schema": [
                    "type": "string",
                    "enum": [
                        "participant.registered",
                        "participant.rejected",
                        "credential.issued",
                        "credential.revoked",
                        "product.published",
                        "product.versioned",
                        "product.withdrawn",
                        "product.graded",
                        "negotiation.agreed",
                        "negotiation.terminated",
                        "transfer.delivered",
                        "compute.query.charged",
                        "compute.query.refunded",
                        "compute.psi.run",
                        "compute.aggregate.contribution",
                        "aggregation.round.opened",
                        "aggregation.share.received",
                        "aggregation.round.released",
                        "aggregation.round.aborted",
                    ],
                ],
            ],
            ["name": "since", "in": "query", "schema": ["type": "string", "format": "date-time"]],
            ["name": "after", "in": "query", "description": "entry index cursor (from `next`)", "schema": ["type": "integer"]],
            ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 1000]],
        ],
        responses: ["200": ["description": "Entries with index, event and leaf hash"], "400": problem])

    public static let ledgerEvent = ManagementOperation(
        id: "ledgerEvent", .get, "/ledger/events/{index}",
        summary: "One entry",
        parameters: [["name": "index", "in": "path", "required": true, "schema": ["type": "integer"]]],
        responses: ["200": ["description": "Entry"], "404": problem])

    public static let completeTransfer = ManagementOperation(
        id: "completeTransfer", .post, "/transfers/{id}/complete",
        summary: "Consumer confirms the data arrived intact",
        parameters: [idInPath],
        responses: ["200": ["description": "Completed"], "409": problem])

    public static let suspendTransfer = ManagementOperation(
        id: "suspendTransfer", .post, "/transfers/{id}/suspend",
        summary: "Suspend a transfer (either role)",
        parameters: [idInPath],
        responses: ["200": ["description": "Suspended"], "409": problem])

    public static let resumeTransfer = ManagementOperation(
        id: "resumeTransfer", .post, "/transfers/{id}/resume",
        summary: "Resume a suspended transfer (either role)",
        parameters: [idInPath],
        responses: ["200": ["description": "Started again"], "409": problem])

    public static let terminateTransfer = ManagementOperation(
        id: "terminateTransfer", .post, "/transfers/{id}/terminate",
        summary: "Terminate a transfer (either role)",
        parameters: [idInPath],
        responses: ["200": ["description": "Terminated"], "409": problem])

    public static let listUsage = ManagementOperation(
        id: "listUsage", .get, "/usage",
        summary: "Deliveries by the data plane (provider) per agreement, for billing",
        parameters: [["name": "agreement", "in": "query", "schema": ["type": "string"]]],
        responses: ["200": ["description": "Usage records and per-agreement totals"]])

    /// A person's roles, as the account operations send and answer them.
    static let personRoles: JSONValue = ["type": "array", "items": ["type": "string", "enum": .array(PersonRole.allCases.map { .string($0.rawValue) })]]

    public static let listAccounts = ManagementOperation(
        id: "listAccounts", .get, "/accounts",
        summary: "People of this node's organisation, their roles and status (never password hashes)",
        responses: ["200": ["description": "Accounts"]])

    public static let inviteAccount = ManagementOperation(
        id: "inviteAccount", .post, "/accounts",
        summary: "Invite a person; the answer's invitationURL (shown once) lets them set a password within 7 days",
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object", "required": ["login", "displayName", "roles"],
                        "properties": [
                            "login": ["type": "string", "pattern": "^[a-z0-9._@-]{3,64}$"],
                            "displayName": ["type": "string", "maxLength": 100],
                            "roles": personRoles,
                        ],
                    ]
                ]
            ],
        ],
        responses: ["201": ["description": "Invited"], "400": problem, "409": problem])

    public static let updateAccount = ManagementOperation(
        id: "updateAccount", .patch, "/accounts/{id}",
        summary: "Change a person's roles or enable/disable them (disabling ends their sessions)",
        parameters: [idInPath],
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object",
                        "properties": [
                            "roles": personRoles,
                            "status": ["type": "string", "enum": ["active", "disabled"]],
                        ],
                    ]
                ]
            ],
        ],
        responses: ["200": ["description": "Updated"], "400": problem, "404": problem, "409": problem])

    /// A person's API token as listed (never its secret).
    static let tokenRequest: JSONValue = [
        "type": "object",
        "properties": [
            "name": ["type": "string", "maxLength": 80, "description": "what the token is for"],
            "scopes": ["type": "array", "items": ["type": "string", "enum": .array(PersonRole.allCases.map { .string($0.rawValue) })],
                "description": "roles the token may use (default: all the person's roles)"],
            "days": ["type": "integer", "minimum": 1, "maximum": 365, "description": "lifetime (default 90)"],
        ],
    ]

    public static let listTokens = ManagementOperation(
        id: "listTokens", .get, "/tokens",
        summary: "Your API tokens (the admin token sees everyone's); never their secrets",
        responses: ["200": ["description": "Tokens"]])

    public static let issueToken = ManagementOperation(
        id: "issueToken", .post, "/tokens",
        summary: "Make another API token for yourself, with some of your roles; its text is shown once",
        requestBody: ["required": true, "content": ["application/json": ["schema": tokenRequest]]],
        responses: ["201": ["description": "The token, with its text"], "400": problem, "403": problem])

    public static let revokeToken = ManagementOperation(
        id: "revokeToken", .delete, "/tokens/{id}",
        summary: "Revoke one of your tokens (an administrator: anyone's); it is refused from then on",
        parameters: [idInPath],
        responses: ["200": ["description": "Revoked"], "404": problem, "409": problem])

    public static let tokenLogin = ManagementOperation(
        id: "tokenLogin", .post, "/login",
        summary: "Sign in with login and password and receive an API token (what 'dataspace login' calls); needs no token",
        requestBody: [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object", "required": ["login", "password"],
                        "properties": [
                            "login": ["type": "string"], "password": ["type": "string", "format": "password"],
                            "name": ["type": "string", "maxLength": 80], "scopes": personRoles,
                            "days": ["type": "integer", "minimum": 1, "maximum": 365],
                        ],
                    ]
                ]
            ],
        ],
        responses: ["201": ["description": "The token, with its text"], "400": problem, "401": problem, "429": problem])

    public static let all: [ManagementOperation] = [
        nodeInfo,
        listDatasets,
        publish,
        showDataset,
        updateDataset,
        withdrawDataset,
        qualityReport,
        decideGrade,
        traceLeak,
        search,
        catalogDCAT,
        peerCatalog,
        showMembership,
        applyForMembership,
        refreshMembership,
        listApplications,
        approveApplication,
        rejectApplication,
        revokeMembership,
        negotiate,
        listNegotiations,
        showNegotiation,
        acceptOffer,
        terminateNegotiation,
        makeOffer,
        listAgreements,
        showAgreement,
        reconcileAgreement,
        queryAgreement,
        intersectAgreement,
        aggregate,
        agreementBudget,
        startTransfer,
        listTransfers,
        showTransfer,
        transferReceipts,
        fetchTransferReceipt,
        ledgerStatus,
        ledgerEvents,
        ledgerEvent,
        completeTransfer,
        suspendTransfer,
        resumeTransfer,
        terminateTransfer,
        listUsage,
        listAccounts,
        inviteAccount,
        updateAccount,
        listTokens,
        issueToken,
        revokeToken,
        tokenLogin,
    ]
}
