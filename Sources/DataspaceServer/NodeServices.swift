import Crypto
import DataspaceCatalog
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceSQLite
import Foundation
import Logging
import Synchronization

/// Which authority's credentials this node accepts: configured, or learned when it registered.
public final class TrustAnchor: Sendable {
    private let value: Mutex<WebDID?>
    /// When the store was last asked for an authority another replica learned.
    private let lastLookup = Mutex<ContinuousClock.Instant?>(nil)
    public init(_ did: WebDID?) { value = Mutex(did) }
    public var authority: WebDID? { value.withLock { $0 } }
    public func set(_ did: WebDID) { value.withLock { $0 = did } }

    /// Whether to look in the store now: at most once a second, so requests flooding a node
    /// that has no authority yet do not each cost a database read.
    func lookupDue() -> Bool {
        let now = ContinuousClock.now
        return lastLookup.withLock { last in
            if let last, now - last < .seconds(1) { return false }
            last = now
            return true
        }
    }
}

/// Every long-lived part of a running node, wired in one place (`open`), top to bottom.
public struct NodeServices: Sendable {
    public let configuration: NodeConfiguration
    public let directory: NodeDirectory
    public let did: WebDID
    public let key: NodeKey
    public let didDocument: DIDDocument
    public let adminToken: String
    public let store: any NodeStore
    public let catalog: CatalogService
    public let authority: AuthorityService?
    public let peers: PeerClient
    public let resolver: HTTPDIDResolver
    public let revocations: RevocationCache
    public let trust: TrustAnchor
    public let contracts: ContractService
    /// Computation in place under agreements: DP queries, set intersection, aggregation shares (docs/privacy.md).
    public let compute: ComputeService
    /// Secure-aggregation rounds this node aggregates for other members (docs/privacy.md).
    public let aggregation: AggregationService
    /// People of the organisation: invitations, sign-in, portal sessions.
    public let accounts: AccountService
    /// Password hashing (scrypt, tens of MiB each) running at once; more wait, the rest get 503.
    public let signIns: WorkLimiter
    public let ledger: LedgerService
    public let logger: Logger
    /// Per-client request rates on the public face (`limits.requestsPerSecond`, `limits.burst`).
    public let rateLimiter: RateLimiter
    /// Publishing and profiling running at once (`limits.concurrentPublishes`).
    public let publishing: WorkLimiter
    /// Deliveries people fetch from the portal, into `DIR/received/`.
    public let downloads: PortalDownloads
    /// Leak traces running at once: each keeps a sample of up to 250,000 values (some 45 MB at
    /// its peak) and scores on every core; a few more wait, the rest get 503.
    public let tracing = WorkLimiter(name: "leak traces", limit: 2, queue: 2)

    /// The secret that per-agreement masking and watermark keys derive from: fixed for the node's
    /// key, so a leaked copy can be traced for as long as the node keeps its identity.
    public var deliverySecret: SymmetricKey { Self.deliverySecret(key: key) }

    static func deliverySecret(key: NodeKey) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data("dataspace-delivery-secret-v1".utf8), using: SymmetricKey(data: key.rawRepresentation)))
    }

    /// Opens a node directory: configuration, keys, database, blob store, search index.
    /// `now` is the clock contract policies are judged by (tests move it instead of waiting).
    public static func open(
        directory: NodeDirectory, overrides: [String: String] = [:], logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> NodeServices {
        guard directory.exists else {
            throw ConfigurationError(key: "dir", message: "\(directory.path) is not a node directory; run 'dataspace init --dir \(directory.path) …' first")
        }
        let configuration = try await NodeConfiguration.load(directory: directory.path, overrides: overrides)
        let key = try directory.loadKey()
        let adminToken = try directory.loadAdminToken()
        let did = configuration.did
        let logSigner = try LedgerService.signer(did: did, key: key)
        let isWitness = configuration.isAuthority || configuration.ledger.witness
        let witnessKey = isWitness ? try CosignatureVerifier(name: LedgerNames.witnessName(for: did), publicKey: key.publicKey).text : nil
        let document = DIDDocument.forNode(did: did, key: key, baseURL: configuration.publicURL, logKey: logSigner.verifier.text, witnessKey: witnessKey)
        let store = try await NodeStoreFactory.open(configuration, directory: directory, logger: logger)
        // A node's events are small and integrated every few hundred milliseconds: a 16 MiB
        // journal holds hours of them between wraps (the benchmark uses the 64 MiB default).
        // Over a shared database, replicas elect the log's sequencer; alone, this process is it.
        let sequencer = store as? any LogSequencerStore
        let log = try EvidenceLog(
            directory: URL(fileURLWithPath: directory.ledgerPath), signer: logSigner, journalBytes: 16 << 20,
            integrationInterval: .milliseconds(configuration.ledger.integrationMilliseconds), writing: sequencer == nil)
        let blobs = try FileBlobStore(root: URL(fileURLWithPath: directory.blobsPath))
        // Replicas over one database share the blobs: another may be writing one right now, so
        // only what a crash left a day ago is cleaned up.
        let cleanupCutoff = configuration.database == nil ? nil : Date().addingTimeInterval(-86_400)
        try blobs.removeTemporaryFiles(writtenBefore: cleanupCutoff)
        let queryStores = try QueryStoreFiles(root: URL(fileURLWithPath: directory.blobsPath).appendingPathComponent("querystores"))
        queryStores.removeTemporaryFiles(writtenBefore: cleanupCutoff)
        let peers = PeerClient(timeout: .seconds(Int64(configuration.peerTimeoutSeconds)), policy: configuration.outboundPolicy)
        let resolver = HTTPDIDResolver(client: peers, own: document)
        let ledger = try LedgerService(
            log: log, sequencer: sequencer, node: did, key: key, isWitness: isWitness, store: store, peers: peers, resolver: resolver,
            witnesses: try configuration.ledger.witnesses.map { w in
                do { return LedgerService.WitnessEndpoint(url: w.url, verifier: try CosignatureVerifier(w.key)) } catch {
                    throw ConfigurationError(key: "ledger.witnesses", message: "\(w.key): \(error)")
                }
            },
            trustedLogs: try configuration.ledger.trustedLogs.map { k in
                do { return try NoteVerifier(k) } catch { throw ConfigurationError(key: "ledger.trustedLogs", message: "\(k): \(error)") }
            },
            authorityWitness: { await authorityWitness(configuration: configuration, store: store, resolver: resolver) },
            logger: logger)
        let publisher = Publisher(name: configuration.name, did: did, creditCode: configuration.creditCode, region: configuration.region)
        var assessment = CatalogService.AssessmentSettings(
            importantScale: configuration.importantScale, assessor: did.value, defaultDecider: "administrator of \(did.value)",
            sign: { bytes in try DetachedSignature.sign(bytes, kid: "\(did.value)#\(DIDDocument.keyFragment)", key: key) })
        assessment.timeZone = TimeZone(identifier: configuration.timeZone) ?? assessment.timeZone
        assessment.memoryLimit = configuration.assessorMemoryMegabytes * 1_000_000
        var catalog = CatalogService(
            store: store, blobs: blobs, index: SearchIndex(), addresses: AddressBook(prefix: configuration.ipv6Prefix),
            publisher: publisher, maximumFileBytes: configuration.maxUploadBytes, assessment: assessment, evidence: ledger)
        catalog.allowHeaderOnly = configuration.allowHeaderOnly
        catalog.computeStores = queryStores
        let authority: AuthorityService? =
            configuration.isAuthority
            ? AuthorityService(
                did: did, key: key, store: store, autoApprove: configuration.autoApprove,
                revocationListURL: configuration.publicURL + "/identity/revocations", evidence: ledger)
            : nil
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
            accessTokenLifetime: configuration.accessTokenSeconds, transferTimeout: configuration.transferTimeoutSeconds, ledger: ledger,
            revocations: revocations, deliverySecret: Self.deliverySecret(key: key), logger: logger, now: now
        ) { audience in
            try SelfIssuedToken.make(issuer: did, key: key, audience: audience, credential: try await credential())
        }
        let services = NodeServices(
            configuration: configuration, directory: directory, did: did, key: key, didDocument: document, adminToken: adminToken,
            store: store, catalog: catalog, authority: authority, peers: peers, resolver: resolver, revocations: revocations,
            trust: TrustAnchor(trusted), contracts: contracts, compute: ComputeService(
                contracts: store, budgets: store, catalog: catalog, queryStores: queryStores, shareDelivery: contracts, now: now),
            aggregation: AggregationService(store: store, evidence: ledger, did: did.value, now: now),
            accounts: try AccountService(store: store, cost: PasswordHash.Cost(log2N: configuration.passwordCost, r: 8, p: 3), now: now),
            signIns: WorkLimiter(name: "sign-ins", limit: 2, queue: 32), ledger: ledger, logger: logger,
            rateLimiter: RateLimiter(rate: Double(configuration.requestsPerSecond), burst: Double(configuration.burst)),
            publishing: WorkLimiter(name: "publishing", limit: configuration.concurrentPublishes, queue: 16),
            downloads: PortalDownloads(root: directory.path + "/received", policy: configuration.outboundPolicy))
        // Orphan blobs can only exist after a crash mid-publish; nothing here is publishing yet.
        let removed = try await catalog.collectGarbage(writtenBefore: cleanupCutoff)
        if removed > 0 { logger.notice("removed orphan blobs left by an interrupted publish", metadata: ["count": "\(removed)"]) }
        return services
    }

    /// The authority's witness, for a member whose authority publishes one in its DID document.
    static func authorityWitness(configuration: NodeConfiguration, store: any NodeStore, resolver: any DIDResolver) async -> LedgerService.WitnessEndpoint? {
        guard configuration.ledger.useAuthorityWitness, !configuration.isAuthority else { return nil }
        let membership = try? await store.membership()
        guard let authorityDID = configuration.authorityDID ?? membership.flatMap({ try? WebDID($0.authorityDID) }),
            let document = try? await resolver.resolve(authorityDID),
            let service = document.services.first(where: { $0.type == DIDDocument.witnessServiceType }),
            let key = service.verifierKey, let verifier = try? CosignatureVerifier(key)
        else { return nil }
        return LedgerService.WitnessEndpoint(url: service.endpoint, verifier: verifier)
    }

    /// A verifier trusting the current authority — learned from the store if this process does
    /// not know it yet (another replica registered the node).
    public func currentVerifier() async -> TokenVerifier {
        if trust.authority == nil, trust.lookupDue(), let membership = try? await store.membership(), membership.status == .approved,
            let authority = try? WebDID(membership.authorityDID)
        {
            trust.set(authority)
        }
        return verifier
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
        authority: AuthorityService, store: any NodeStore, configuration: NodeConfiguration, did: WebDID, key: NodeKey
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
