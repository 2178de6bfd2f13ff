import DataspaceCatalog
import DataspaceCore
import DataspaceIdentity
import DataspaceSQLite
import Foundation
import Logging
import Synchronization

/// Which authority's credentials this node accepts: configured, or learned when it registered.
public final class TrustAnchor: Sendable {
    private let value: Mutex<WebDID?>
    public init(_ did: WebDID?) { value = Mutex(did) }
    public var authority: WebDID? { value.withLock { $0 } }
    public func set(_ did: WebDID) { value.withLock { $0 = did } }
}

/// Every long-lived part of a running node, wired in one place (`open`), top to bottom.
public struct NodeServices: Sendable {
    public let configuration: NodeConfiguration
    public let directory: NodeDirectory
    public let did: WebDID
    public let key: NodeKey
    public let didDocument: DIDDocument
    public let adminToken: String
    public let store: SQLiteStore
    public let catalog: CatalogService
    public let authority: AuthorityService?
    public let peers: PeerClient
    public let resolver: HTTPDIDResolver
    public let revocations: RevocationCache
    public let trust: TrustAnchor
    public let contracts: ContractService
    public let logger: Logger

    /// Opens a node directory: configuration, keys, database, blob store, search index.
    public static func open(directory: NodeDirectory, overrides: [String: String] = [:], logger: Logger) async throws -> NodeServices {
        guard directory.exists else {
            throw ConfigurationError(key: "dir", message: "\(directory.path) is not a node directory; run 'dataspace init --dir \(directory.path) …' first")
        }
        let configuration = try await NodeConfiguration.load(directory: directory.path, overrides: overrides)
        let key = try directory.loadKey()
        let adminToken = try directory.loadAdminToken()
        let did = configuration.did
        let document = DIDDocument.forNode(did: did, key: key, baseURL: configuration.publicURL)
        let store = try SQLiteStore(path: directory.databasePath)
        let blobs = try FileBlobStore(root: URL(fileURLWithPath: directory.blobsPath))
        try blobs.removeTemporaryFiles()
        let publisher = Publisher(name: configuration.name, did: did, creditCode: configuration.creditCode, region: configuration.region)
        let catalog = CatalogService(
            store: store, blobs: blobs, index: SearchIndex(), addresses: AddressBook(prefix: configuration.ipv6Prefix),
            publisher: publisher, maximumFileBytes: configuration.maxUploadBytes)
        let authority: AuthorityService? =
            configuration.isAuthority
            ? AuthorityService(
                did: did, key: key, store: store, autoApprove: configuration.autoApprove,
                revocationListURL: configuration.publicURL + "/identity/revocations")
            : nil
        let peers = PeerClient()
        let resolver = HTTPDIDResolver(client: peers, own: document)
        var localRevocations: (@Sendable () async throws -> Set<String>)?
        if configuration.isAuthority {
            localRevocations = { try await store.revokedCredentialIDs() }
        }
        let revocations = RevocationCache(
            client: peers, resolver: resolver, ttl: configuration.revocationCacheSeconds,
            localIssuer: configuration.isAuthority ? did : nil, local: localRevocations)
        var trusted = configuration.trustedAuthority
        if trusted == nil, let membership = try await store.membership() { trusted = try? WebDID(membership.authorityDID) }
        // Tokens for outgoing protocol messages carry this node's current credential.
        let credential: @Sendable () async throws -> String? = {
            if let authority { return try await selfCredential(authority: authority, store: store, configuration: configuration, did: did, key: key) }
            return try await store.membership()?.credential
        }
        let contracts = ContractService(
            store: store, catalog: catalog, did: did, key: key, publicURL: configuration.publicURL, peers: peers, resolver: resolver,
            accessTokenLifetime: configuration.accessTokenSeconds, logger: logger
        ) { audience in
            try SelfIssuedToken.make(issuer: did, key: key, audience: audience, credential: try await credential())
        }
        let services = NodeServices(
            configuration: configuration, directory: directory, did: did, key: key, didDocument: document, adminToken: adminToken,
            store: store, catalog: catalog, authority: authority, peers: peers, resolver: resolver, revocations: revocations,
            trust: TrustAnchor(trusted), contracts: contracts, logger: logger)
        // Orphan blobs can only exist after a crash mid-publish; nothing is publishing yet.
        let removed = try await catalog.collectGarbage()
        if removed > 0 { logger.notice("removed orphan blobs left by an interrupted publish", metadata: ["count": "\(removed)"]) }
        return services
    }

    /// A verifier for tokens addressed to this node, trusting the current authority.
    public var verifier: TokenVerifier {
        TokenVerifier(audience: did, trustedAuthority: trust.authority, resolver: resolver, replayGuard: store, revocations: revocations)
    }

    /// This node's membership credential, if it has one.
    public func credential() async throws -> String? {
        if let authority {
            return try await Self.selfCredential(authority: authority, store: store, configuration: configuration, did: did, key: key)
        }
        return try await store.membership()?.credential
    }

    /// The authority holds a credential issued to itself, so it can call peers like any member.
    static func selfCredential(
        authority: AuthorityService, store: SQLiteStore, configuration: NodeConfiguration, did: WebDID, key: NodeKey
    ) async throws -> String? {
        if let m = try await store.membership(), let c = m.credential { return c }
        let profile = ParticipantProfile(
            name: configuration.name, creditCode: configuration.creditCode, region: configuration.region, sector: configuration.sector, did: did)
        let now = Date()
        let credential = MembershipCredential(
            id: "urn:uuid:\(UUID().uuidString.lowercased())", issuer: did, subject: profile, role: "authority", issuedAt: now,
            expiresAt: now.addingTimeInterval(authority.credentialLifetime), revocationListURL: authority.revocationListURL)
        let token = try credential.sign(with: key)
        try await store.saveMembership(
            Membership(authorityURL: configuration.publicURL, authorityDID: did.value, applicationID: "self", status: .approved, credential: token, updatedAt: now))
        return token
    }

    /// A fresh self-issued token for calling `audience`.
    public func token(for audience: WebDID) async throws -> String {
        try SelfIssuedToken.make(issuer: did, key: key, audience: audience, credential: try await credential())
    }
}
