import Foundation

/// The OpenAPI 3.1 description of the management API, served at `/api/openapi.yaml`.
/// `OpenAPIContractTests` fails when a route in `ManagementRoutes.routes` is missing here.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Dataspace node management API
          version: "1.0.0"
          description: |
            Management API of a Dataspace node. Every operation requires the node's admin token
            (`Authorization: Bearer <DIR/admin.token>`). Errors are RFC 9457 problem details
            (`application/problem+json`) whose `field` names the input at fault.
        servers:
          - url: /api/v1
        security:
          - adminToken: []
        components:
          securitySchemes:
            adminToken:
              type: http
              scheme: bearer
          parameters:
            prefix:
              name: prefix
              in: path
              required: true
              description: Identifier prefix `86.<region>.<creditCode>`.
              schema: { type: string, example: "86.440100.11440100MB2C92190H" }
            local:
              name: local
              in: path
              required: true
              description: Identifier local part (14 time-ordered characters and an ISO 7064 check character).
              schema: { type: string }
            applicationId:
              name: id
              in: path
              required: true
              schema: { type: string }
            metadata:
              name: Dataspace-Metadata
              in: header
              required: true
              description: base64url-encoded UTF-8 JSON `PublishMetadata`.
              schema: { type: string }
          responses:
            Problem:
              description: The request was refused; `detail` says why and `field` names the input at fault.
              content:
                application/problem+json:
                  schema: { $ref: "#/components/schemas/Problem" }
          schemas:
            Problem:
              type: object
              required: [type, title, status, code, detail]
              properties:
                type: { type: string }
                title: { type: string }
                status: { type: integer }
                code: { type: string }
                detail: { type: string }
                field: { type: string }
            PublishMetadata:
              type: object
              required: [title, description, sector]
              properties:
                title: { type: string, maxLength: 300 }
                description: { type: string, maxLength: 10000 }
                keywords: { type: array, items: { type: string } }
                sector: { type: string, description: "Sector slug, e.g. urban-governance" }
                region: { type: string, pattern: "^[0-9]{6}$" }
                license: { type: string, format: iri }
                grade: { type: string, enum: [core, important, general, general-1, general-2, general-3, general-4] }
                temporalStart: { type: string, format: date }
                temporalEnd: { type: string, format: date }
                policy: { $ref: "#/components/schemas/OdrlPolicy" }
                tier: { type: string, enum: [general-knowledge, industry-general-knowledge, industry-professional-knowledge] }
                impacts: { type: array, items: { type: string }, description: "Declared impacts OBJECT:DEGREE (GB/T 43697-2024 §6.4)" }
                rules: { type: string, description: "quality.yaml text (docs/quality.md)" }
                protection: { type: object, description: "{masking: {column: rule}, watermark: bool}" }
                gradeReason: { type: string, maxLength: 2000 }
                decidedBy: { type: string }
                profilePublic: { type: boolean, description: "Show the profile's values (min/max, top values, patterns) on the public quality page" }
            OdrlPolicy:
              type: object
              description: ODRL 2.2 offer in DSP compacted form (see docs/policies.md).
              properties:
                permission: { type: array, items: { type: object } }
                prohibition: { type: array, items: { type: object } }
                obligation: { type: array, items: { type: object } }
            Dataset:
              type: object
              required: [identifier, version, status, title, description, sector, region, publisher, distribution, offer]
              properties:
                identifier: { type: string }
                version: { type: integer }
                previousVersion: { type: integer }
                status: { type: string, enum: [active, superseded, withdrawn] }
                title: { type: string }
                description: { type: string }
                keywords: { type: array, items: { type: string } }
                sector: { type: string }
                region: { type: string }
                license: { type: string }
                grade: { type: string }
                temporal: { type: object, properties: { start: { type: string }, end: { type: string } } }
                issued: { type: string, format: date-time }
                modified: { type: string, format: date-time }
                publisher:
                  type: object
                  properties: { name: { type: string }, did: { type: string }, creditCode: { type: string }, region: { type: string } }
                distribution:
                  type: object
                  properties:
                    mediaType: { type: string }
                    format: { type: string, enum: [csv, jsonl] }
                    byteSize: { type: integer }
                    sha256: { type: string }
                    rowCount: { type: integer }
                    columns: { type: array, items: { type: string } }
                offer: { $ref: "#/components/schemas/OdrlPolicy" }
            DatasetPage:
              type: object
              properties:
                items: { type: array, items: { $ref: "#/components/schemas/Dataset" } }
                next: { type: string, description: "Pass as `after` for the next page." }
            Facet:
              type: object
              properties: { value: { type: string }, count: { type: integer } }
            SearchResults:
              type: object
              properties:
                total: { type: integer }
                page: { type: integer }
                pageSize: { type: integer }
                items: { type: array, items: { $ref: "#/components/schemas/Dataset" } }
                facets:
                  type: object
                  properties:
                    sector: { type: array, items: { $ref: "#/components/schemas/Facet" } }
                    region: { type: array, items: { $ref: "#/components/schemas/Facet" } }
                    grade: { type: array, items: { $ref: "#/components/schemas/Facet" } }
            Membership:
              type: object
              properties:
                authorityURL: { type: string }
                authorityDID: { type: string }
                applicationId: { type: string }
                status: { type: string, enum: [pending, approved, rejected] }
                updatedAt: { type: string, format: date-time }
                credential: { type: object }
            Application:
              type: object
              properties:
                id: { type: string }
                status: { type: string, enum: [pending, approved, rejected] }
                did: { type: string }
                name: { type: string }
                creditCode: { type: string }
                region: { type: string }
                sector: { type: string }
                submittedAt: { type: string, format: date-time }
                decidedAt: { type: string, format: date-time }
                reason: { type: string }
                credentialId: { type: string }
                revokedAt: { type: string, format: date-time }
        paths:
          /node:
            get:
              summary: This node's identity and state
              responses:
                "200": { description: Node information }
                "401": { $ref: "#/components/responses/Problem" }
          /datasets:
            get:
              summary: List active products (keyset paging)
              parameters:
                - { name: after, in: query, schema: { type: string } }
                - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 1000 } }
              responses:
                "200": { description: A page, content: { application/json: { schema: { $ref: "#/components/schemas/DatasetPage" } } } }
                "400": { $ref: "#/components/responses/Problem" }
            post:
              summary: Publish a product; the body is the CSV or JSON-lines file, streamed
              parameters:
                - $ref: "#/components/parameters/metadata"
              requestBody:
                required: true
                content:
                  text/csv: { schema: { type: string } }
                  application/jsonl: { schema: { type: string } }
              responses:
                "201": { description: Published, content: { application/json: { schema: { $ref: "#/components/schemas/Dataset" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
          /datasets/{prefix}/{local}:
            parameters:
              - $ref: "#/components/parameters/prefix"
              - $ref: "#/components/parameters/local"
            get:
              summary: A product with its versions
              parameters:
                - { name: version, in: query, schema: { type: integer } }
              responses:
                "200": { description: The product, content: { application/json: { schema: { $ref: "#/components/schemas/Dataset" } } } }
                "404": { $ref: "#/components/responses/Problem" }
            put:
              summary: Publish a new version (body optional; without a file the previous one is kept)
              parameters:
                - $ref: "#/components/parameters/metadata"
              requestBody:
                content:
                  text/csv: { schema: { type: string } }
                  application/jsonl: { schema: { type: string } }
              responses:
                "200": { description: The new version, content: { application/json: { schema: { $ref: "#/components/schemas/Dataset" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
                "410": { $ref: "#/components/responses/Problem" }
            delete:
              summary: Withdraw a product
              responses:
                "200": { description: The withdrawn version, content: { application/json: { schema: { $ref: "#/components/schemas/Dataset" } } } }
                "404": { $ref: "#/components/responses/Problem" }
                "410": { $ref: "#/components/responses/Problem" }
          /datasets/{prefix}/{local}/quality:
            parameters:
              - $ref: "#/components/parameters/prefix"
              - $ref: "#/components/parameters/local"
            get:
              summary: The version's signed quality report (profile, scores with formulas, detections, category, grade reasoning) and the node's detached JWS over its RFC 8785 bytes
              parameters:
                - { name: version, in: query, schema: { type: integer } }
              responses:
                "200": { description: "report, signature, reportSha256 and the catalog summary" }
                "404": { $ref: "#/components/responses/Problem" }
          /datasets/{prefix}/{local}/grade:
            parameters:
              - $ref: "#/components/parameters/prefix"
              - $ref: "#/components/parameters/local"
            post:
              summary: Confirm or override the current version's GB/T 43697 grade; who and why are recorded and logged (product.graded)
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [grade]
                      properties:
                        grade: { type: string, example: important }
                        reason: { type: string, description: required when lower than the assessment's proposal }
                        decidedBy: { type: string }
              responses:
                "200": { description: The product with its new grade and controls, content: { application/json: { schema: { $ref: "#/components/schemas/Dataset" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
          /quality/trace:
            post:
              summary: Name the agreement a leaked copy of delivered data came from, by its watermark
              parameters:
                - { name: dataset, in: query, description: only this product's agreements, schema: { type: string } }
              requestBody:
                content:
                  text/csv: { schema: { type: string } }
                  application/jsonl: { schema: { type: string } }
              responses:
                "200": { description: "attributed agreement (or null with an explanation), the top candidates with matches and z-scores" }
                "400": { $ref: "#/components/responses/Problem" }
          /search:
            get:
              summary: Full-text search with facets (exact CJK substring and word matching, BM25 ranking)
              parameters:
                - { name: q, in: query, schema: { type: string } }
                - { name: sector, in: query, schema: { type: string } }
                - { name: region, in: query, schema: { type: string, pattern: "^[0-9]{6}$" } }
                - { name: minScore, in: query, description: only products whose quality score is at least this, schema: { type: number, minimum: 0, maximum: 1 } }
                - { name: grade, in: query, schema: { type: string, enum: [core, important, general] } }
                - { name: page, in: query, schema: { type: integer, minimum: 1 } }
                - { name: pageSize, in: query, schema: { type: integer, minimum: 1, maximum: 200 } }
              responses:
                "200": { description: Results, content: { application/json: { schema: { $ref: "#/components/schemas/SearchResults" } } } }
                "400": { $ref: "#/components/responses/Problem" }
          /catalog/dcat:
            get:
              summary: The catalog as DCAT-AP 3 JSON-LD
              responses:
                "200": { description: JSON-LD graph, content: { application/ld+json: { schema: { type: object } } } }
          /peers/catalog:
            post:
              summary: Query another node's DSP catalog as this node
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [provider]
                      properties:
                        provider: { type: string }
                        q: { type: string }
                        sector: { type: string }
                        region: { type: string }
                        page: { type: integer }
              responses:
                "200": { description: The provider's DSP Catalog }
                "400": { $ref: "#/components/responses/Problem" }
                "502": { $ref: "#/components/responses/Problem" }
          /membership:
            get:
              summary: This node's membership with the authority
              responses:
                "200": { description: Membership, content: { application/json: { schema: { $ref: "#/components/schemas/Membership" } } } }
                "404": { $ref: "#/components/responses/Problem" }
          /membership/apply:
            post:
              summary: Apply to an authority for membership
              requestBody:
                required: true
                content:
                  application/json:
                    schema: { type: object, required: [authorityURL], properties: { authorityURL: { type: string } } }
              responses:
                "201": { description: Approved at once; credential stored }
                "202": { description: Pending the authority's decision }
                "400": { $ref: "#/components/responses/Problem" }
                "502": { $ref: "#/components/responses/Problem" }
          /membership/refresh:
            post:
              summary: Fetch the authority's decision and credential
              responses:
                "200": { description: Membership, content: { application/json: { schema: { $ref: "#/components/schemas/Membership" } } } }
                "502": { $ref: "#/components/responses/Problem" }
          /authority/applications:
            get:
              summary: Applications received (authority only)
              parameters:
                - { name: status, in: query, schema: { type: string, enum: [pending, approved, rejected] } }
              responses:
                "200": { description: Applications }
                "404": { $ref: "#/components/responses/Problem" }
          /authority/applications/{id}/approve:
            post:
              summary: Approve an application and issue a membership credential
              parameters: [{ $ref: "#/components/parameters/applicationId" }]
              responses:
                "200": { description: Approved, content: { application/json: { schema: { $ref: "#/components/schemas/Application" } } } }
                "404": { $ref: "#/components/responses/Problem" }
                "409": { $ref: "#/components/responses/Problem" }
          /authority/applications/{id}/reject:
            post:
              summary: Reject an application
              parameters: [{ $ref: "#/components/parameters/applicationId" }]
              requestBody:
                content:
                  application/json:
                    schema: { type: object, properties: { reason: { type: string } } }
              responses:
                "200": { description: Rejected }
                "404": { $ref: "#/components/responses/Problem" }
                "409": { $ref: "#/components/responses/Problem" }
          /authority/revocations:
            post:
              summary: Revoke a membership credential (by participant DID or application id)
              requestBody:
                required: true
                content:
                  application/json:
                    schema: { type: object, required: [subject], properties: { subject: { type: string } } }
              responses:
                "200": { description: Revoked }
                "404": { $ref: "#/components/responses/Problem" }
                "409": { $ref: "#/components/responses/Problem" }
          /negotiations:
            post:
              summary: Negotiate a contract with a provider (this node as consumer)
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [provider, dataset]
                      properties:
                        provider: { type: string, description: the provider's base URL }
                        dataset: { type: string, description: unified identifier }
                        purpose: { type: string }
                        offer: { type: string, description: offer id (default the first) }
              responses:
                "201": { description: Negotiation requested }
                "400": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
                "502": { $ref: "#/components/responses/Problem" }
            get:
              summary: Negotiations in both roles, newest first
              responses:
                "200": { description: Negotiations }
          /negotiations/{id}:
            get:
              summary: One negotiation; wait=SECONDS returns when it is final, terminated or holds an offer
              parameters:
                - { name: id, in: path, required: true, schema: { type: string } }
                - { name: wait, in: query, schema: { type: number, minimum: 0, maximum: 120 } }
                - { name: since, in: query, description: with wait, also return at any change after this revision, schema: { type: integer, minimum: 0 } }
              responses:
                "200": { description: Negotiation }
                "404": { $ref: "#/components/responses/Problem" }
          /negotiations/{id}/accept:
            post:
              summary: Accept the provider's (counter-)offer
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "200": { description: Accepted }
                "409": { $ref: "#/components/responses/Problem" }
          /negotiations/{id}/terminate:
            post:
              summary: Terminate a negotiation and tell the other party
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              requestBody:
                content: { application/json: { schema: { type: object, properties: { reason: { type: string } } } } }
              responses:
                "200": { description: Terminated }
                "409": { $ref: "#/components/responses/Problem" }
          /offers:
            post:
              summary: Offer a product to another member (provider-initiated negotiation)
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [consumer, dataset]
                      properties:
                        consumer: { type: string, description: the consumer's base URL }
                        dataset: { type: string }
              responses:
                "201": { description: Offer sent; the negotiation is OFFERED }
                "400": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
          /agreements:
            get:
              summary: Agreements with state, deliveries, remaining uses and both signatures
              responses:
                "200": { description: Agreements }
          /agreements/{id}:
            get:
              summary: One agreement
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "200": { description: Agreement }
                "404": { $ref: "#/components/responses/Problem" }
          /agreements/{id}/reconciliation:
            get:
              summary: This node's count of the agreement's deliveries beside the provider's, transfer by transfer (a consumer asks its provider)
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "200": { description: Both counts, whether they agree, and what each difference means }
                "404": { $ref: "#/components/responses/Problem" }
          /transfers:
            post:
              summary: Start an HTTP-pull transfer under an agreement (this node as consumer); continueOpen returns the agreement's transfer that is still open, to retry within the same delivery
              requestBody:
                required: true
                content: { application/json: { schema: { type: object, required: [agreement], properties: { agreement: { type: string }, continueOpen: { type: boolean } } } } }
              responses:
                "200": { description: The open transfer continued (continueOpen) }
                "201": { description: Transfer requested }
                "400": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
            get:
              summary: Transfer processes in both roles
              parameters: [{ name: agreement, in: query, schema: { type: string } }]
              responses:
                "200": { description: Transfers }
          /transfers/{id}:
            get:
              summary: One transfer; wait=SECONDS returns once it left REQUESTED. A consumer's entry carries the data address.
              parameters:
                - { name: id, in: path, required: true, schema: { type: string } }
                - { name: wait, in: query, schema: { type: number, minimum: 0, maximum: 120 } }
                - { name: since, in: query, description: with wait, also return at any change after this revision, schema: { type: integer, minimum: 0 } }
              responses:
                "200": { description: Transfer }
                "404": { $ref: "#/components/responses/Problem" }
          /transfers/{id}/receipts:
            get:
              summary: The provider receipts (c2sp.org/tlog-proof@v1) this consumer kept for the transfer
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "200": { description: Receipts }
                "404": { $ref: "#/components/responses/Problem" }
            post:
              summary: Fetch the provider's receipt for the latest delivery, verify it against the provider's published log key, and keep it
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "201": { description: Receipt verified and stored }
                "400": { $ref: "#/components/responses/Problem" }
                "502": { $ref: "#/components/responses/Problem" }
          /ledger:
            get:
              summary: The evidence log — origin, verifier key, size, published checkpoint, witness answers; on a witness, the logs it cosigned
              responses:
                "200": { description: Ledger status }
          /ledger/events:
            get:
              summary: Ledger entries for supervisors, oldest first, filtered by type and time
              parameters:
                - { name: type, in: query, schema: { type: string, enum: [participant.registered, credential.issued, credential.revoked, product.published, product.versioned, product.withdrawn, product.graded, negotiation.agreed, negotiation.terminated, transfer.delivered] } }
                - { name: since, in: query, schema: { type: string, format: date-time } }
                - { name: after, in: query, description: entry index cursor (from `next`), schema: { type: integer } }
                - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 1000 } }
              responses:
                "200": { description: Entries with index, event and leaf hash }
                "400": { $ref: "#/components/responses/Problem" }
          /ledger/events/{index}:
            get:
              summary: One entry
              parameters: [{ name: index, in: path, required: true, schema: { type: integer } }]
              responses:
                "200": { description: Entry }
                "404": { $ref: "#/components/responses/Problem" }
          /transfers/{id}/complete:
            post:
              summary: Consumer confirms the data arrived intact
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "200": { description: Completed }
                "409": { $ref: "#/components/responses/Problem" }
          /transfers/{id}/suspend:
            post:
              summary: Suspend a transfer (either role)
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "200": { description: Suspended }
                "409": { $ref: "#/components/responses/Problem" }
          /transfers/{id}/resume:
            post:
              summary: Resume a suspended transfer (either role)
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "200": { description: Started again }
                "409": { $ref: "#/components/responses/Problem" }
          /transfers/{id}/terminate:
            post:
              summary: Terminate a transfer (either role)
              parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
              responses:
                "200": { description: Terminated }
                "409": { $ref: "#/components/responses/Problem" }
          /usage:
            get:
              summary: Deliveries by the data plane (provider) per agreement, for billing
              parameters: [{ name: agreement, in: query, schema: { type: string } }]
              responses:
                "200": { description: Usage records and per-agreement totals }
        """#
}

/// Read-only views for the contract test, which must compare the routes with the document.
public enum DataspaceServerTestHooks {
    public static func openAPIDocument() -> Data { Data(OpenAPIDocument.yaml.utf8) }

    public static func managementRoutes() -> [(method: String, path: String)] {
        ManagementRoutes.routes.map { ($0.method.rawValue, $0.path) }
    }
}
