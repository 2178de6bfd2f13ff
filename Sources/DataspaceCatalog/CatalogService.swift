import Crypto
import DataspaceCore
import DataspaceQuality
import Foundation

/// Publishing, versioning, withdrawal, lookup and search of this node's own data products.
///
/// Publishing is atomic: metadata is checked before any byte is stored, the file is validated
/// while it streams into a temporary blob, and the blob becomes visible and the record is written
/// only when both succeeded; on any failure the temporary blob is removed and no row exists.
public struct CatalogService: Sendable {
    public let store: any CatalogStore
    public let blobs: any BlobStore
    public let index: SearchIndex
    public let addresses: AddressBook
    public let publisher: Publisher
    public let maximumFileBytes: Int64
    /// How versions are assessed and their reports signed; nil publishes without assessment.
    public let assessment: AssessmentSettings?
    /// Appends the evidence each change queued (the node's evidence log); nil in bulk loading.
    public let evidence: (any EvidenceSink)?
    let now: @Sendable () -> Date
    /// Accept a file with a header and no rows (`quality.allowHeaderOnly`); refused by default,
    /// since a product without data is almost always a wrong export.
    public var allowHeaderOnly = false
    /// Builds the query store of each version that declares computation in place, while the
    /// version is assessed (nil: stores are built at a product's first query instead).
    public var computeStores: (any ComputeStorePreparing)?

    /// What the uploader says about its file; anything not given is detected.
    public struct UploadOptions: Sendable, Hashable {
        public var encoding: SourceEncoding?
        public var delimiter: UInt8?
        /// The upload's announced length (Content-Length), when known: the assessment cuts the
        /// upload where it would cut a stored file of that size, and sizes its tables, before
        /// the whole file is there. A hint only: the body is counted as it streams.
        public var expectedBytes: Int64?
        public init(encoding: SourceEncoding? = nil, delimiter: UInt8? = nil, expectedBytes: Int64? = nil) {
            self.encoding = encoding
            self.delimiter = delimiter
            self.expectedBytes = expectedBytes
        }
    }

    /// Quality assessment at publish time: the GB/T 43697 scale for "important", who signs.
    public struct AssessmentSettings: Sendable {
        public var importantScale: Int
        /// The DID named as the report's assessor.
        public var assessor: String
        /// Who a grade decision is recorded as made by when the request names nobody.
        public var defaultDecider: String
        /// Signs the report's canonical bytes (a detached JWS).
        public var sign: @Sendable (Data) throws -> String
        /// Where timestamps without a zone are read (`node.timeZone`).
        public var timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .gmt
        /// The assessor's memory bound in bytes (`quality.memoryMegabytes`, `ProfileOptions.memoryLimit`).
        public var memoryLimit = ProfileOptions().memoryLimit

        public init(importantScale: Int, assessor: String, defaultDecider: String, sign: @escaping @Sendable (Data) throws -> String) {
            self.importantScale = importantScale
            self.assessor = assessor
            self.defaultDecider = defaultDecider
            self.sign = sign
        }

        /// How the profiler reads a file under these settings.
        var profileOptions: ProfileOptions {
            var options = ProfileOptions()
            options.timeZone = timeZone
            options.memoryLimit = memoryLimit
            return options
        }
    }

    public init(
        store: any CatalogStore, blobs: any BlobStore, index: SearchIndex, addresses: AddressBook, publisher: Publisher,
        maximumFileBytes: Int64 = 8 << 30, assessment: AssessmentSettings? = nil, evidence: (any EvidenceSink)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.evidence = evidence
        self.assessment = assessment
        self.store = store
        self.blobs = blobs
        self.index = index
        self.addresses = addresses
        self.publisher = publisher
        self.maximumFileBytes = maximumFileBytes
        self.now = now
    }

    // MARK: publishing

    /// Publishes a new product from a streamed file; `by` (an account id) is recorded in the evidence.
    public func publish<Body: AsyncSequence>(
        _ request: PublishRequest, format: TabularFormat, body: Body, upload: UploadOptions = UploadOptions(), by: String? = nil
    ) async throws -> DatasetRecord where Body.Element == [UInt8] {
        let metadata: PublishRequest.Validated
        do { metadata = try request.validate() } catch { throw CatalogError(error) }
        let identifier = UnifiedIdentifier.mint(region: publisher.region, creditCode: publisher.creditCode, now: now())
        let stored = try await storeFile(format: format, body: body, upload: upload, rules: metadata.rules)
        let date = timestamp()
        let offerID = "\(identifier.description):offer"
        var record = DatasetRecord(
            identifier: identifier, version: 1, title: metadata.title, description: metadata.description,
            keywords: metadata.keywords, sector: metadata.sector, region: metadata.region ?? publisher.region,
            temporal: metadata.temporal, license: metadata.license, grade: metadata.grade ?? .general, publisher: publisher,
            issued: date, modified: date, distribution: stored.distribution,
            offer: metadata.policy ?? UsagePolicy.defaultOffer(id: offerID), status: .active)
        record.tier = metadata.tier
        record.protection = metadata.protection
        record.profilePublic = metadata.profilePublic ?? false
        record.compute = metadata.compute
        record.rules = request.rules
        record.impacts = request.impacts
        var report: SignedQualityReport?
        try await commit(stored) {
            try Self.checkDeclaredColumns(record, rules: metadata.rules)
            report = try await assessAndPrepare(&record, metadata: metadata, profiling: stored.profiling)
            try await store.insertFirstVersion(record, report: report, evidence: [.product("product.published", record, extra: Self.actor(by))])
        }
        index.upsert(SearchDocument(record))
        addresses.add(identifier)
        await evidence?.flush()
        return record
    }

    /// Publishes a new version of an existing product. Only what `changes` gives changes; the
    /// rest carries over from the current version (a grade a person decided is kept unless the
    /// new assessment is stricter, which is then flagged for review). Without a body the
    /// previous file is kept (and assessed again: the rules, impacts or grade may have changed).
    public func update<Body: AsyncSequence>(
        _ identifier: UnifiedIdentifier, _ changes: ProductChanges, format: TabularFormat?, body: Body?, upload: UploadOptions = UploadOptions(),
        by: String? = nil
    ) async throws -> DatasetRecord where Body.Element == [UInt8] {
        guard let current = try await store.record(identifier, version: nil) else {
            throw CatalogError(.notFound, "no product \(identifier)", field: "identifier")
        }
        guard current.status != .withdrawn else {
            throw CatalogError(.withdrawn, "product \(identifier) was withdrawn and cannot get new versions", field: "identifier")
        }
        let request = changes.request(over: current)
        var metadata: PublishRequest.Validated
        do { metadata = try request.validate() } catch { throw CatalogError(error) }
        if changes.grade == nil, let decision = current.quality?.grade, decision.status != .proposed {
            metadata.keptGrade = (current.grade, decision)
        }
        var stored: StoredFile?
        if let body, let format { stored = try await storeFile(format: format, body: body, upload: upload, rules: metadata.rules) }
        var record = DatasetRecord(
            identifier: identifier, version: current.version + 1, title: metadata.title, description: metadata.description,
            keywords: metadata.keywords, sector: metadata.sector, region: metadata.region ?? current.region,
            temporal: metadata.temporal ?? current.temporal, license: metadata.license, grade: metadata.grade ?? current.grade,
            publisher: current.publisher, issued: current.issued, modified: timestamp(),
            distribution: stored?.distribution ?? current.distribution,
            offer: metadata.policy ?? current.offer, status: .active)
        record.tier = metadata.tier ?? current.tier
        record.protection = metadata.protection
        record.profilePublic = metadata.profilePublic ?? current.profilePublic
        record.compute = metadata.compute
        record.rules = request.rules
        record.impacts = request.impacts
        let write = { [self] (record: inout DatasetRecord) async throws in
            try Self.checkDeclaredColumns(record, rules: metadata.rules)
            let report = try await assessAndPrepare(&record, metadata: metadata, profiling: stored?.profiling)
            try await store.insertNextVersion(record, report: report, evidence: [.product("product.versioned", record, extra: Self.actor(by))])
        }
        if let stored {
            try await commit(stored) { try await write(&record) }
        } else {
            try await write(&record)
        }
        index.upsert(SearchDocument(record))
        await evidence?.flush()
        return record
    }

    /// Every column that masking or the quality rules name must be in the file — a mask on a
    /// misspelt or renamed column would otherwise let the real one leave unmasked.
    static func checkDeclaredColumns(_ record: DatasetRecord, rules: QualityRules?) throws {
        let columns = record.distribution.columns
        let known = Set(columns)
        let list = columns.isEmpty ? "(none found)" : columns.joined(separator: ", ")
        for name in record.protection.masking.keys.sorted() where !known.contains(name) {
            throw CatalogError(
                .invalidInput, "masking names the column '\(name)', which the file does not have; its columns are: \(list). If it was renamed or removed, give the masking anew (--mask, or protection.masking)",
                field: "protection.masking.\(name)")
        }
        if let compute = record.compute {
            guard record.distribution.format == .csv else {
                throw CatalogError(.invalidInput, "computation in place reads CSV products; publish the file as CSV to offer compute", field: "compute")
            }
            do { try compute.check(header: columns) } catch { throw CatalogError(error) }
        }
        for (name, field) in rules?.referencedColumns ?? [] where !known.contains(name) {
            throw CatalogError(
                .invalidInput, "the quality rules name the column '\(name)' (\(field)), which the file does not have; its columns are: \(list)",
                field: "rules.\(field)")
        }
    }

    /// What publishing a file would find — profile, scores, the proposed grade, personal data —
    /// without publishing it: the portal shows it on a draft before the person confirms. Nil when
    /// the service runs without assessment.
    public func assessDraft(path: String, format: TabularFormat) async throws -> QualityAssessment? {
        guard let assessment else { return nil }
        return try await profile(path: path, format: format, rules: nil, impacts: [], settings: assessment)
    }

    /// Profiles a file off the cooperative threads (it is long, synchronous work); a file that is
    /// not a table is an `invalidFile` error naming the line.
    func profile(
        path: String, format: TabularFormat, rules: QualityRules?, impacts: [DeclaredImpact], settings: AssessmentSettings
    ) async throws -> QualityAssessment {
        try await offCooperativeThreads(qos: .utility) {
            do {
                return try QualityAssessment.assess(
                    path: path, format: format, rules: rules, declared: impacts, importantScale: settings.importantScale,
                    options: settings.profileOptions)
            } catch let error as ProfileError {
                throw Self.unreadable(error)
            }
        }
    }

    /// A file the profiler could not read as a table: `invalidFile`, naming the line.
    static func unreadable(_ error: ProfileError) -> CatalogError {
        CatalogError(.invalidFile, error.description, field: error.line.map { "file:line \($0)" } ?? "file")
    }

    /// The service's clock, for checks made on a person's input (an offer's end date).
    public var currentTime: Date { now() }

    /// Assesses the version and, when it declares computation in place, builds its query store
    /// at the same time (both read the stored file; on two cores they overlap).
    func assessAndPrepare(
        _ record: inout DatasetRecord, metadata: PublishRequest.Validated, profiling: GrowingFileProfiler? = nil
    ) async throws -> SignedQualityReport? {
        guard let computeStores, let schema = record.compute else { return try await assess(&record, metadata: metadata, profiling: profiling) }
        let sha256 = record.distribution.sha256
        guard let path = blobs.localPath(sha256) else { throw CatalogError(.storage, "the stored file \(sha256) is missing") }
        async let prepared: Void = computeStores.prepare(sha256: sha256, path: path, schema: schema)
        let report = try await assess(&record, metadata: metadata, profiling: profiling)
        try await prepared
        return report
    }

    /// Profiles the version's stored file, scores it, proposes a grade, settles the grade the
    /// publisher asked for (or the proposal), adds the controls the grade requires, and signs the
    /// report. Nil when the service runs without assessment (bulk loading).
    func assess(
        _ record: inout DatasetRecord, metadata: PublishRequest.Validated, profiling: GrowingFileProfiler? = nil
    ) async throws -> SignedQualityReport? {
        guard let assessment else { return nil }
        let result: QualityAssessment
        if let profiling {
            // Profiled while the upload streamed in (`storeFile`).
            do {
                result = QualityAssessment(profile: try await profiling.profile(), declared: metadata.impacts, importantScale: assessment.importantScale)
            } catch let error as ProfileError {
                throw Self.unreadable(error)
            }
        } else {
            guard let path = blobs.localPath(record.distribution.sha256) else {
                throw CatalogError(.storage, "the stored file \(record.distribution.sha256) is missing")
            }
            result = try await profile(path: path, format: record.distribution.format, rules: metadata.rules, impacts: metadata.impacts, settings: assessment)
        }
        let proposed = result.grade.grade
        var decision = GradeDecisionRecord(status: .proposed, proposed: proposed)
        var applied = proposed
        if metadata.grade == nil, let kept = metadata.keptGrade {
            if GradeAssessment.rank(proposed) > GradeAssessment.rank(kept.grade) {
                // Stricter data than the person decided on: the stricter grade applies, flagged.
                decision.review =
                    "the new file assesses as \(proposed), stricter than \(kept.grade) decided by \(kept.decision.by ?? "the publisher"); "
                    + "\(proposed) applies until someone reviews it (dataspace grade)"
            } else {
                decision = GradeDecisionRecord(
                    status: kept.grade == proposed ? .confirmed : .overridden, proposed: proposed, by: kept.decision.by,
                    reason: kept.decision.reason, at: kept.decision.at)
                applied = kept.grade
            }
        } else if let asked = metadata.grade {
            let by = metadata.decidedBy ?? assessment.defaultDecider
            if asked == proposed {
                decision = GradeDecisionRecord(status: .confirmed, proposed: proposed, by: by, reason: metadata.gradeReason, at: record.modified)
            } else {
                if GradeAssessment.rank(asked) < GradeAssessment.rank(proposed) && metadata.gradeReason == nil {
                    throw CatalogError(
                        .invalidInput,
                        "grade \(asked) is lower than the assessed \(proposed) (\(result.grade.reasons.dropLast().joined(separator: "; "))); lowering it needs gradeReason",
                        field: "gradeReason")
                }
                decision = GradeDecisionRecord(
                    status: .overridden, proposed: proposed, by: by, reason: metadata.gradeReason ?? "set by the publisher above the proposal",
                    at: record.modified)
            }
            applied = asked
        }
        record.grade = applied
        record.protection = Self.controls(for: applied, declared: record.protection, suggested: result.defaultMasking())
        let document = result.document(
            dataset: record.identifier.description, version: record.version, sha256: record.distribution.sha256,
            assessor: assessment.assessor, at: record.modified, sector: record.sector, tier: record.tier, decision: decision,
            grade: applied, protection: record.protection)
        let bytes = document.canonicalBytes
        let report = SignedQualityReport(json: String(decoding: bytes, as: UTF8.self), signature: try assessment.sign(Data(bytes)))
        let quality = result.report
        record.quality = QualitySummary(
            score: quality.overall,
            dimensions: Dictionary(uniqueKeysWithValues: quality.dimensions.compactMap { d in d.score.map { (d.dimension.rawValue, $0) } }),
            sensitive: result.sensitiveCounts(), grade: decision, reportSHA256: Hex.encode(SHA256.hash(data: bytes)))
        return report
    }

    /// The delivery controls a grade implies on top of what the publisher declared: important
    /// data always leaves watermarked, with every detected sensitive column masked at least as
    /// strictly as the assessment suggests — a declared rule that reveals more (say
    /// `partial:18,0` on an identity number) is replaced by the suggested one.
    public static func controls(for grade: DataGrade, declared: DeliveryProtection, suggested: [String: MaskingRule]) -> DeliveryProtection {
        guard grade.level != .general else { return declared }
        var protection = declared
        for (column, rule) in suggested {
            if let mine = protection.masking[column], !mine.revealsMore(than: rule) { continue }
            protection.masking[column] = rule
        }
        protection.watermark = true
        return protection
    }

    /// The publisher confirms or overrides the current version's grade; who and why are kept on
    /// the record and in its report's summary. Lowering below the proposal needs a reason.
    public func decideGrade(_ identifier: UnifiedIdentifier, grade: DataGrade, reason: String?, by: String) async throws -> DatasetRecord {
        guard var record = try await store.record(identifier, version: nil), record.status == .active else {
            throw CatalogError(.notFound, "no active product \(identifier)", field: "identifier")
        }
        guard var quality = record.quality else {
            throw CatalogError(.conflict, "version \(record.version) of \(identifier) has no quality report to decide on", field: "identifier")
        }
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        let proposed = quality.grade.proposed
        if GradeAssessment.rank(grade) < GradeAssessment.rank(proposed) && reason == nil {
            throw CatalogError(.invalidInput, "grade \(grade) is lower than the assessed \(proposed); lowering it needs a reason", field: "reason")
        }
        quality.grade = GradeDecisionRecord(
            status: grade == proposed ? .confirmed : .overridden, proposed: proposed, by: by, reason: reason, at: timestamp())
        var suggested: [String: MaskingRule] = [:]
        if let report = try await store.qualityReport(identifier, version: record.version),
            let masking = (try? JSONValue.parse(report.json))?["suggestedMasking"]?.objectValue
        {
            for (column, rule) in masking { if let text = rule.stringValue, let r = try? MaskingRule(parsing: text) { suggested[column] = r } }
        }
        record.grade = grade
        record.quality = quality
        record.protection = Self.controls(for: grade, declared: record.protection, suggested: suggested)
        let graded = EvidenceEvent.product(
            "product.graded", record,
            extra: ["status": .string(quality.grade.status.rawValue), "proposed": .string(quality.grade.proposed.description)])
        try await store.replaceVersion(record, evidence: [graded])
        await evidence?.flush()
        index.upsert(SearchDocument(record))
        return record
    }

    /// Withdraws a product: it leaves the catalog and search; its versions stay on record.
    public func withdraw(_ identifier: UnifiedIdentifier, by: String? = nil) async throws -> DatasetRecord {
        guard let record = try await store.withdraw(identifier, at: timestamp(), evidence: { [.product("product.withdrawn", $0, extra: Self.actor(by))] }) else {
            throw CatalogError(.notFound, "no product \(identifier)", field: "identifier")
        }
        index.remove(identifier)
        await evidence?.flush()
        return record
    }

    /// The evidence field naming who acted (an account id, or `admin-token`), when known.
    static func actor(_ by: String?) -> [String: JSONValue] { by.map { ["by": .string($0)] } ?? [:] }

    /// Whole seconds: records store ISO 8601 date-times without fractions, so what a call returns
    /// equals what a later read returns.
    func timestamp() -> Date { Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down)) }

    struct StoredFile {
        var distribution: DistributionInfo
        var created: Bool
        /// The assessment, started on the upload as it streamed in; nil when the stored file is
        /// profiled afterwards (no assessment, or a blob store without a local file).
        var profiling: GrowingFileProfiler?
    }

    /// Streams the body into a temporary blob while validating it; commits only valid files.
    /// The file is stored as UTF-8 and (CSV) comma-separated: another encoding or delimiter,
    /// detected or given, is converted on the way and recorded on the distribution. When the
    /// service assesses, the profiler reads the temporary file as it grows (against `rules`), so
    /// the upload is read once and its profiling overlaps the transfer and the fsync. A CSV
    /// profiled that way is validated by its profile (`ProfileOptions.refuseProblems`: the same
    /// refusals as `TabularValidator`, at the same lines), so its bytes are tokenized once.
    func storeFile<Body: AsyncSequence>(
        format: TabularFormat, body: Body, upload: UploadOptions = UploadOptions(), rules: QualityRules? = nil
    ) async throws -> StoredFile where Body.Element == [UInt8] {
        let writer = try blobs.beginWrite()
        var normalizer = TabularNormalizer(format: format, encoding: upload.encoding, delimiter: upload.delimiter)
        var validator = TabularValidator(format: format)
        var profiling: GrowingFileProfiler?
        if let assessment, let path = writer.pendingPath {
            var options = assessment.profileOptions
            options.refuseProblems = format == .csv
            profiling = try? GrowingFileProfiler(
                path: path, format: format, options: options, rules: rules,
                expectedBytes: upload.expectedBytes.map { min(max(0, $0), maximumFileBytes) }, readsAroundCache: writer.writesAroundCache)
            if let profiling { writer.observeLanding { total in profiling.wrote(total: total) } }
        }
        // JSON lines keep the validator: its columns are the keys of the first thousand objects.
        let validating = profiling == nil || format != .csv
        var total: Int64 = 0
        var written: Int64 = 0
        func keep(_ bytes: [UInt8]) async throws {
            guard !bytes.isEmpty else { return }
            // A piece at a time, each once the writer has room for it: a disk slower than the
            // network suspends this task instead of blocking its thread.
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + BlobWriterRoom.largestWrite)
                try await writer.room(for: end - start)
                try bytes.withUnsafeBytes { all in
                    let raw = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    if validating { try validator.consume(raw) }
                    try writer.write(raw)
                }
                start = end
            }
            written += Int64(bytes.count)
            if !validating, let failure = profiling?.failure { throw Self.unreadable(failure) }
        }
        do {
            do {
                for try await chunk in body {
                    total += Int64(chunk.count)
                    if total > maximumFileBytes {
                        throw CatalogError(.tooLarge, "file exceeds the \(maximumFileBytes)-byte limit", field: "file")
                    }
                    try await keep(try normalizer.feed(chunk))
                }
                try await keep(try normalizer.finish())
            } catch let error as SourceFormError {
                throw CatalogError(.invalidFile, error.message, field: "file")
            }
            var validated: TabularSummary?
            if validating {
                let summary = try validator.finish()
                try refuseHeaderOnly(summary)
                validated = summary
            } else if written == 0 {
                throw CatalogError(.invalidFile, "file is empty", field: "file")
            }
            // Handed to one dispatch thread at a time and awaited: no other code touches the
            // writer meanwhile.
            nonisolated(unsafe) let committing = writer
            // The last bytes go to the disk (waiting for its writes), then the rest of the
            // profile runs on its own threads while the blob is made durable.
            try await offCooperativeThreads { try committing.flush() }
            profiling?.finish(size: written)
            let summary: TabularSummary
            if let validated {
                summary = validated
            } else {
                // The profile decides whether the file is kept: synced meanwhile, it is moved
                // into the store only once the profile has accepted it.
                async let sealed: Void = offCooperativeThreads { try committing.seal() }
                do {
                    summary = try await profiledSummary(profiling)
                    try refuseHeaderOnly(summary)
                } catch {
                    try? await sealed
                    throw error
                }
                try await sealed
            }
            let (sha, size, created) = try await offCooperativeThreads { try committing.commit() }
            var distribution = DistributionInfo(format: format, byteSize: size, sha256: sha, rowCount: summary.rowCount, columns: summary.columns)
            if let form = normalizer.form, !form.isCanonical {
                if form.encoding != .utf8 { distribution.sourceEncoding = form.encoding.rawValue }
                if format == .csv && form.delimiter != UInt8(ascii: ",") { distribution.sourceDelimiter = form.delimiterName }
            }
            return StoredFile(distribution: distribution, created: created, profiling: profiling)
        } catch {
            profiling?.cancel()
            writer.abort()
            throw error
        }
    }

    /// The rows and header of a file its profile validated; the profile's refusal as the
    /// upload's.
    private func profiledSummary(_ profiling: GrowingFileProfiler?) async throws -> TabularSummary {
        guard let profiling else { throw CatalogError(.storage, "the upload was not profiled") }
        do {
            let profile = try await profiling.profile()
            return TabularSummary(rowCount: Int64(profile.rows), columns: profile.columns.map(\.name))
        } catch let error as ProfileError {
            throw Self.unreadable(error)
        }
    }

    /// A header without rows is refused unless the node allows it.
    private func refuseHeaderOnly(_ summary: TabularSummary) throws {
        if summary.rowCount == 0 && !allowHeaderOnly {
            throw CatalogError(
                .invalidFile, "the file has a header (\(summary.columns.joined(separator: ", "))) and no rows; export the data with its rows, or set quality.allowHeaderOnly",
                field: "file")
        }
    }

    /// Runs the store write; if it fails, removes a blob this publish created and the query
    /// stores built from it (they would otherwise stay until garbage collection).
    func commit(_ stored: StoredFile, _ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch {
            stored.profiling?.cancel()
            let digest = stored.distribution.sha256
            if stored.created, (try? await store.isBlobReferenced(digest)) == false {
                try? blobs.remove(digest)
                computeStores?.removeStores(of: digest)
            }
            throw error
        }
    }

    // MARK: reading

    public func record(_ identifier: UnifiedIdentifier, version: Int? = nil) async throws -> DatasetRecord? {
        try await store.record(identifier, version: version)
    }

    public func versions(_ identifier: UnifiedIdentifier) async throws -> [DatasetRecord] {
        try await store.versions(identifier)
    }

    public func qualityReport(_ identifier: UnifiedIdentifier, version: Int) async throws -> SignedQualityReport? {
        try await store.qualityReport(identifier, version: version)
    }

    /// Runs a search and loads the page's records.
    public func search(_ query: SearchQuery) async throws -> (results: SearchResults, records: [DatasetRecord]) {
        let results = index.search(query)
        return (results, try await store.activeRecords(results.hits.map(\.identifier)))
    }

    // MARK: maintenance

    /// Loads every active product into the search index (at start-up).
    public func rebuildIndex() async throws {
        try await store.forEachActive { page in
            index.upsert(contentsOf: page.map(SearchDocument.init))
        }
        for identifier in try await store.allIdentifiers() { addresses.add(identifier) }
    }

    /// Brings the index up to date after changes may have been missed (a replica's change feed
    /// reconnected): every active product is (re)loaded and the ones that are no longer active
    /// leave it. Searches keep answering meanwhile.
    public func resynchronizeIndex() async throws {
        var active = Set<UnifiedIdentifier>()
        try await store.forEachActive { page in
            index.upsert(contentsOf: page.map(SearchDocument.init))
            for record in page { active.insert(record.identifier) }
        }
        for identifier in index.identifiers.subtracting(active) { index.remove(identifier) }
        for identifier in try await store.allIdentifiers() { addresses.add(identifier) }
    }

    /// Brings the search index and address book up to date with a product another replica
    /// changed (the store's change feed names it): its current version is searchable if active,
    /// gone if withdrawn.
    public func follow(_ identifier: UnifiedIdentifier) async throws {
        guard let record = try await store.record(identifier, version: nil) else { return }
        addresses.add(identifier)
        if record.status == .active { index.upsert(SearchDocument(record)) } else { index.remove(identifier) }
    }

    /// Removes blobs no record refers to, left by a crash between storing a file and its record
    /// — only those written before `cutoff` when given: a replica sharing the blobs may have
    /// stored a file whose record it is about to commit — and the query stores built from them.
    @discardableResult
    public func collectGarbage(writtenBefore cutoff: Date? = nil) async throws -> Int {
        let referenced = try await store.referencedBlobs()
        var removed = 0
        for digest in try blobs.allDigests() where !referenced.contains(digest) {
            if let cutoff, let written = blobs.modified(digest), written >= cutoff { continue }
            try blobs.remove(digest)
            removed += 1
        }
        if let computeStores { removed += try computeStores.removeStores(except: referenced, writtenBefore: cutoff) }
        return removed
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
