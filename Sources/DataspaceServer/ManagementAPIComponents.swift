import DataspaceCore

/// The reusable parts of the management API's OpenAPI document: the admin-token scheme, shared
/// parameters and the request and response schemas the operations in `ManagementAPI` refer to.
enum ManagementAPIComponents {
    static let securitySchemes: JSONValue = ["adminToken": ["type": "http", "scheme": "bearer"]]

    static let parameters: JSONValue = [
        "prefix": [
            "name": "prefix",
            "in": "path",
            "required": true,
            "description": "Identifier prefix `86.<region>.<creditCode>`.",
            "schema": ["type": "string", "example": "86.440100.11440100MB2C92190H"],
        ],
        "local": [
            "name": "local",
            "in": "path",
            "required": true,
            "description": "Identifier local part (14 time-ordered characters and an ISO 7064 check character).",
            "schema": ["type": "string"],
        ],
        "applicationId": ["name": "id", "in": "path", "required": true, "schema": ["type": "string"]],
        "metadata": [
            "name": "Dataspace-Metadata",
            "in": "header",
            "required": true,
            "description": "base64url-encoded UTF-8 JSON `PublishMetadata`.",
            "schema": ["type": "string"],
        ],
    ]

    static let responses: JSONValue = [
        "Problem": [
            "description": "The request was refused; `detail` says why and `field` names the input at fault.",
            "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
        ],
    ]

    static let schemas: JSONValue = [
        "Problem": [
            "type": "object",
            "required": ["type", "title", "status", "code", "detail"],
            "properties": [
                "type": ["type": "string"],
                "title": ["type": "string"],
                "status": ["type": "integer"],
                "code": ["type": "string"],
                "detail": ["type": "string"],
                "field": ["type": "string"],
            ],
        ],
        "PublishMetadata": [
            "type": "object",
            "required": ["title", "description", "sector"],
            "properties": [
                "title": ["type": "string", "maxLength": 300],
                "description": ["type": "string", "maxLength": 10000],
                "keywords": ["type": "array", "items": ["type": "string"]],
                "sector": ["type": "string", "description": "Sector slug, e.g. urban-governance"],
                "region": ["type": "string", "pattern": "^[0-9]{6}$"],
                "license": ["type": "string", "format": "iri"],
                "grade": ["type": "string", "enum": ["core", "important", "general", "general-1", "general-2", "general-3", "general-4"]],
                "temporalStart": ["type": "string", "format": "date"],
                "temporalEnd": ["type": "string", "format": "date"],
                "policy": ["$ref": "#/components/schemas/OdrlPolicy"],
                "tier": [
                    "type": "string",
                    "enum": ["general-knowledge", "industry-general-knowledge", "industry-professional-knowledge"],
                ],
                "impacts": [
                    "type": "array",
                    "items": ["type": "string"],
                    "description": "Declared impacts OBJECT:DEGREE (GB/T 43697-2024 §6.4)",
                ],
                "rules": ["type": "string", "description": "quality.yaml text (docs/quality.md)"],
                "protection": ["type": "object", "description": "{masking: {column: rule}, watermark: bool}"],
                "compute": [
                    "type": "object",
                    "description": "Computation in place (docs/privacy.md): the privacy unit, bounds of summable columns, public grouping keys, contribution limits",
                    "properties": [
                        "privacyUnit": ["type": "string"],
                        "bounds": ["type": "object", "additionalProperties": ["type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?:-?[0-9]+(\\.[0-9]+)?$"]],
                        "publicKeys": ["type": "array", "items": ["type": "string"], "maxItems": 64],
                        "maxRowsPerUnit": ["type": "integer", "minimum": 1, "maximum": 10000],
                        "maxGroupsPerUnit": ["type": "integer", "minimum": 1, "maximum": 64],
                        "matchColumns": [
                            "type": "array", "items": ["type": "string"], "maxItems": 16,
                            "description": "Identifier columns consumers may match by private set intersection",
                        ],
                    ],
                ],
                "gradeReason": ["type": "string", "maxLength": 2000],
                "decidedBy": ["type": "string"],
                "profilePublic": [
                    "type": "boolean",
                    "description": "Show the profile's values (min/max, top values, patterns) on the public quality page",
                ],
            ],
        ],
        "OdrlPolicy": [
            "type": "object",
            "description": "ODRL 2.2 offer in DSP compacted form (see docs/policies.md).",
            "properties": [
                "permission": ["type": "array", "items": ["type": "object"]],
                "prohibition": ["type": "array", "items": ["type": "object"]],
                "obligation": ["type": "array", "items": ["type": "object"]],
            ],
        ],
        "Dataset": [
            "type": "object",
            "required": ["identifier", "version", "status", "title", "description", "sector", "region", "publisher", "distribution", "offer"],
            "properties": [
                "identifier": ["type": "string"],
                "version": ["type": "integer"],
                "previousVersion": ["type": "integer"],
                "status": ["type": "string", "enum": ["active", "superseded", "withdrawn"]],
                "title": ["type": "string"],
                "description": ["type": "string"],
                "keywords": ["type": "array", "items": ["type": "string"]],
                "sector": ["type": "string"],
                "region": ["type": "string"],
                "license": ["type": "string"],
                "grade": ["type": "string"],
                "temporal": ["type": "object", "properties": ["start": ["type": "string"], "end": ["type": "string"]]],
                "issued": ["type": "string", "format": "date-time"],
                "modified": ["type": "string", "format": "date-time"],
                "publisher": [
                    "type": "object",
                    "properties": [
                        "name": ["type": "string"],
                        "did": ["type": "string"],
                        "creditCode": ["type": "string"],
                        "region": ["type": "string"],
                    ],
                ],
                "distribution": [
                    "type": "object",
                    "properties": [
                        "mediaType": ["type": "string"],
                        "format": ["type": "string", "enum": ["csv", "jsonl"]],
                        "byteSize": ["type": "integer"],
                        "sha256": ["type": "string"],
                        "rowCount": ["type": "integer"],
                        "columns": ["type": "array", "items": ["type": "string"]],
                    ],
                ],
                "offer": ["$ref": "#/components/schemas/OdrlPolicy"],
            ],
        ],
        "DatasetPage": [
            "type": "object",
            "properties": [
                "items": ["type": "array", "items": ["$ref": "#/components/schemas/Dataset"]],
                "next": ["type": "string", "description": "Pass as `after` for the next page."],
            ],
        ],
        "Facet": ["type": "object", "properties": ["value": ["type": "string"], "count": ["type": "integer"]]],
        "SearchResults": [
            "type": "object",
            "properties": [
                "total": ["type": "integer"],
                "page": ["type": "integer"],
                "pageSize": ["type": "integer"],
                "items": ["type": "array", "items": ["$ref": "#/components/schemas/Dataset"]],
                "facets": [
                    "type": "object",
                    "properties": [
                        "sector": ["type": "array", "items": ["$ref": "#/components/schemas/Facet"]],
                        "region": ["type": "array", "items": ["$ref": "#/components/schemas/Facet"]],
                        "grade": ["type": "array", "items": ["$ref": "#/components/schemas/Facet"]],
                    ],
                ],
            ],
        ],
        "Membership": [
            "type": "object",
            "properties": [
                "authorityURL": ["type": "string"],
                "authorityDID": ["type": "string"],
                "applicationId": ["type": "string"],
                "status": ["type": "string", "enum": ["pending", "approved", "rejected"]],
                "updatedAt": ["type": "string", "format": "date-time"],
                "credential": ["type": "object"],
            ],
        ],
        "Application": [
            "type": "object",
            "properties": [
                "id": ["type": "string"],
                "status": ["type": "string", "enum": ["pending", "approved", "rejected"]],
                "did": ["type": "string"],
                "name": ["type": "string"],
                "creditCode": ["type": "string"],
                "region": ["type": "string"],
                "sector": ["type": "string"],
                "submittedAt": ["type": "string", "format": "date-time"],
                "decidedAt": ["type": "string", "format": "date-time"],
                "reason": ["type": "string"],
                "credentialId": ["type": "string"],
                "revokedAt": ["type": "string", "format": "date-time"],
            ],
        ],
        "LeakTrace": [
            "type": "object",
            "description": "What a leaked file's watermark points to (docs/quality.md, Watermark).",
            "required": ["candidates", "markedValues", "threshold", "top", "attributed"],
            "additionalProperties": false,
            "properties": [
                "candidates": ["type": "integer", "minimum": 0, "description": "Provider agreements compared: those that delivered data."],
                "markedValues": ["type": "integer", "minimum": 0, "description": "Distinct values scored (one trial each), 20,000–250,000 at most."],
                "threshold": ["type": "number", "minimum": 6, "description": "The z attribution needed: 6, higher when columns were scored one by one too."],
                "top": ["type": "array", "maxItems": 5, "items": ["$ref": "#/components/schemas/LeakTraceCandidate"]],
                "attributed": ["anyOf": [["$ref": "#/components/schemas/LeakTraceCandidate"], ["type": "null"]]],
                "column": [
                    "type": "string",
                    "description": "The column whose values `top` counts: the one that named the agreement or, with none named, whose match was not clear of its runner-up.",
                ],
                "explanation": ["type": "string", "description": "Why nothing was attributed."],
            ],
        ],
        "LeakTraceCandidate": [
            "type": "object",
            "required": ["agreement", "matches", "values", "z"],
            "additionalProperties": false,
            "properties": [
                "agreement": ["type": "string"],
                "matches": ["type": "integer", "minimum": 0],
                "values": ["type": "integer", "minimum": 0],
                "z": ["type": "number"],
                "consumer": ["type": "string"],
                "dataset": ["type": "string"],
                "agreedAt": ["type": "string", "format": "date-time"],
            ],
        ],
    ]

    static let all: JSONValue = [
        "securitySchemes": securitySchemes, "parameters": parameters, "responses": responses, "schemas": schemas,
    ]
}
