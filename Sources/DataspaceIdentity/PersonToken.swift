import Foundation

/// An API token a person makes for their scripts. It acts as that person, with at most the roles
/// in `scopes` — and never more than the person holds now: a role taken from the person is taken
/// from their tokens too. The text (`dst_<id>_<secret>`) is shown once; the store keeps only the
/// SHA-256 digest of the secret, looked up by the id and compared in constant time.
public struct PersonToken: Sendable, Hashable, Codable {
    public var id: String
    public var accountID: String
    /// What the person called it ("nightly export"), to tell their tokens apart.
    public var name: String
    public var scopes: Set<PersonRole>
    public var secretDigest: String
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    /// Who revoked it: the owner's or an administrator's account id, or "admin-token".
    public var revokedBy: String?

    public init(
        id: String, accountID: String, name: String, scopes: Set<PersonRole>, secretDigest: String, createdAt: Date, expiresAt: Date,
        revokedAt: Date? = nil, revokedBy: String? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.scopes = scopes
        self.secretDigest = secretDigest
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }

    public static let prefix = "dst_"
    /// Lifetimes a person may choose, in days.
    public static let lifetimes: ClosedRange<Int> = 1...365
    public static let defaultLifetime = 90

    /// The token text a client sends as `Authorization: Bearer …`.
    public static func text(id: String, secret: String) -> String { prefix + id + "_" + secret }

    /// Splits a presented token into its id and secret; nil for anything not shaped like one
    /// (the admin token, a typo, hostile bytes), without touching the store.
    public static func parse(_ text: String) -> (id: String, secret: String)? {
        guard text.utf8.count <= 200, text.hasPrefix(prefix) else { return nil }
        let rest = text.dropFirst(prefix.count)
        guard let separator = rest.firstIndex(of: "_") else { return nil }
        let id = rest[..<separator], secret = rest[rest.index(after: separator)...]
        let hex: (Character) -> Bool = { $0.isHexDigit && $0.isASCII }
        guard id.count == 32, id.allSatisfy(hex), (16...100).contains(secret.count) else { return nil }
        return (String(id), String(secret))
    }

    /// Whether it can be used at `time`.
    public func isLive(at time: Date) -> Bool { revokedAt == nil && expiresAt > time }

    /// Checks a token's name as typed: 1–80 characters, no control characters.
    public static func checkedName(_ text: String, field: String = "name") throws -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...80).contains(name.count) else { throw AccountError(.invalid, "a token's name has 1 to 80 characters", field: field) }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw AccountError(.invalid, "a token's name may not contain control characters", field: field)
        }
        return name
    }
}
