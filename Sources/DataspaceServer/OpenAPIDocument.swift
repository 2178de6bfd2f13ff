import DataspaceCore
import DataspaceIdentity
import Foundation
import Yams

/// The OpenAPI 3.1 description of the management API, served at `/api/openapi.yaml` (and as JSON
/// at `/api/openapi.json`). Nothing in it is kept by hand apart from the operations' own
/// definitions: its paths are rendered from `ManagementAPI.all`, the list the server registers
/// its routes from, and its reusable parts from `ManagementAPIComponents`.
enum OpenAPIDocument {
    static let description = """
        Management API of a Dataspace node. Every operation but `/login` requires
        `Authorization: Bearer <token>`: a person's API token (from `/login`, `dataspace login` or
        the portal), which may call the operations whose `x-dataspace-roles` include one of its
        roles, or the node's admin token (`DIR/admin.token`, for bootstrap), which may call all.
        Errors are RFC 9457 problem details (`application/problem+json`) whose `field` names the
        input at fault.
        """

    /// The document as a JSON value.
    static let document: JSONValue = {
        var paths: [String: JSONValue] = [:]
        for operation in ManagementAPI.all {
            var item = paths[operation.path]?.objectValue ?? [:]
            var described = operation.openAPI.objectValue ?? [:]
            if ManagementAccess.open.contains(operation.id) {
                described["security"] = []
            } else {
                described["x-dataspace-roles"] = .array(ManagementAccess.roles(for: operation.id).sorted().map { .string($0.rawValue) })
            }
            item[operation.method.rawValue.lowercased()] = .object(described)
            paths[operation.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Dataspace node management API", "version": "1.0.0", "description": .string(description)],
            "servers": [["url": "/api/v1"]],
            "security": [["adminToken": []]],
            "components": ManagementAPIComponents.all,
            "paths": .object(paths),
        ]
    }()

    /// The document as YAML, its keys in the order a reader expects: `openapi` and `info`
    /// first, paths in the order the operations are defined, an operation's id and summary
    /// before its details, everything else sorted.
    static let yaml: String = {
        let pathOrder = ManagementAPI.all.map(\.path)
        let topOrder = ["openapi", "info", "servers", "security", "components", "paths"]
        let leading = ["operationId", "summary", "name", "in", "required", "description", "parameters", "requestBody", "type"]
        func rank(_ key: String) -> Int { leading.firstIndex(of: key) ?? leading.count }
        func node(_ value: JSONValue, key: String?) -> Node {
            switch value {
            case .object(let o):
                let keys: [String]
                switch key {
                case nil: keys = topOrder.filter { o[$0] != nil }
                case "paths": keys = pathOrder.reduce(into: []) { seen, p in if !seen.contains(p) { seen.append(p) } }.filter { o[$0] != nil }
                default: keys = o.keys.sorted { (rank($0), $0) < (rank($1), $1) }
                }
                // Keys are strings even when they look like numbers (response codes).
                return .mapping(Node.Mapping(keys.compactMap { k in o[k].map { (.scalar(k.represented()), node($0, key: k)) } }))
            case .array(let a):
                return .sequence(Node.Sequence(a.map { node($0, key: "") }))
            case .string(let s):
                // Quoted where a plain scalar would read as another type ("200", "true").
                return s.contains("\n") ? Node(s, Tag(.str), .literal) : .scalar(s.represented())
            case .number(let d):
                if d.rounded() == d, abs(d) < 1e15 { return Node(String(Int64(d)), Tag(.int)) }
                return Node(String(d), Tag(.float))
            case .bool(let b):
                return Node(b ? "true" : "false", Tag(.bool))
            case .null:
                return Node("null", Tag(.null))
            }
        }
        // Serializing a tree of scalars, sequences and mappings built above cannot fail; if
        // Yams ever refused, JSON (a subset of YAML 1.2) is still a correct document.
        return (try? Yams.serialize(node: node(document, key: nil), width: 120, allowUnicode: true)) ?? document.encodedString()
    }()
}

/// Read-only views for the contract test, which must compare the routes with the document.
public enum DataspaceServerTestHooks {
    public static func openAPIDocument() -> Data { Data(OpenAPIDocument.yaml.utf8) }
    public static func openAPIJSON() -> JSONValue { OpenAPIDocument.document }

    /// Every route under `/api/v1`: those behind authentication and the open login.
    public static func managementRoutes() -> [(method: String, path: String)] {
        ManagementRoutes.routes.map { ($0.method.rawValue, $0.path) }
            + [(ManagementAPI.tokenLogin.method.server.rawValue, ManagementAPI.tokenLogin.path)]
    }
}
