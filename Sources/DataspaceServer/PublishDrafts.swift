import DataspaceCore
import DataspaceQuality
import Foundation

/// Files a publisher uploaded in the portal and has not yet confirmed: kept in `DIR/drafts/<id>/`
/// (the data directory replicas share) with what the assessment found, so the review page can
/// show the quality report, the proposed grade and the columns that look personal before
/// anything is published. Confirming publishes the file through the catalog like any upload;
/// drafts nobody confirms are removed after `lifetime` by the periodic sweep.
struct PublishDrafts: Sendable {
    /// A draft as its review page needs it.
    struct Draft: Sendable {
        var id: String
        var owner: String
        var fileName: String
        var format: TabularFormat
        var bytes: Int64
        var created: Date
        /// What the assessment found, or why the file could not be read as a table.
        var summary: JSONValue
        var file: String
        /// The product this file is a new version of; nil for a new product.
        var product: String? = nil
    }

    static let lifetime: TimeInterval = 86_400
    let root: String

    init(root: String) { self.root = root }

    static func isID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    func directory(_ id: String) -> String { root + "/" + id }

    /// Writes an upload to a new draft, up to `limit` bytes; returns the draft's id.
    func store<Body: AsyncSequence>(body: Body, limit: Int64) async throws -> (id: String, file: String, bytes: Int64) where Body.Element == [UInt8] {
        let id = Hex.encode(Data((0..<16).map { _ in UInt8.random(in: 0...255) }))
        let folder = directory(id)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = folder + "/upload"
        guard FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: file)
        else { throw DraftError.storage }
        var written: Int64 = 0
        do {
            defer { try? handle.close() }
            for try await chunk in body {
                written += Int64(chunk.count)
                guard written <= limit else { throw DraftError.tooLarge(limit) }
                try handle.write(contentsOf: chunk)
            }
        } catch {
            remove(id)
            throw error
        }
        return (id, file, written)
    }

    /// Records what is known about a stored upload (its metadata file completes the draft).
    func describe(_ draft: Draft) throws {
        let meta: JSONValue = [
            "owner": .string(draft.owner), "fileName": .string(draft.fileName), "format": .string(draft.format.rawValue),
            "bytes": .number(Double(draft.bytes)), "created": .string(ISO8601.format(draft.created)), "summary": draft.summary,
            "product": draft.product.map { .string($0) } ?? .null,
        ]
        try Data(meta.encodedString(pretty: false).utf8).write(to: URL(fileURLWithPath: directory(draft.id) + "/draft.json"), options: .atomic)
    }

    /// A complete draft by id, or nil (unknown, malformed id, or not finished storing).
    func draft(_ id: String) -> Draft? {
        guard Self.isID(id), let data = FileManager.default.contents(atPath: directory(id) + "/draft.json"),
            let meta = try? JSONValue.parse(data), let owner = meta["owner"]?.stringValue,
            let format = meta["format"]?.stringValue.flatMap(TabularFormat.init(rawValue:)),
            let created = meta["created"]?.stringValue.flatMap(ISO8601.parseDateTime)
        else { return nil }
        return Draft(
            id: id, owner: owner, fileName: meta["fileName"]?.stringValue ?? "", format: format,
            bytes: Int64(meta["bytes"]?.doubleValue ?? 0), created: created, summary: meta["summary"] ?? .null,
            file: directory(id) + "/upload", product: meta["product"]?.stringValue)
    }

    func remove(_ id: String) {
        guard Self.isID(id) else { return }
        try? FileManager.default.removeItem(atPath: directory(id))
    }

    /// Removes drafts (and half-stored uploads) older than `cutoff`; returns how many.
    @discardableResult
    func sweep(before cutoff: Date) -> Int {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else { return 0 }
        var removed = 0
        for name in names where Self.isID(name) {
            let attributes = try? fm.attributesOfItem(atPath: directory(name))
            guard let modified = attributes?[.modificationDate] as? Date, modified < cutoff else { continue }
            remove(name)
            removed += 1
        }
        return removed
    }

    /// Reads a draft's file 1 MiB at a time as the consumer asks (never the whole file in memory).
    static func chunks(of path: String) throws -> AsyncThrowingStream<[UInt8], any Error> {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DraftError.storage }
        let reader = DraftReader(handle: handle)
        return AsyncThrowingStream(unfolding: { try reader.next() })
    }

    enum DraftError: Error, CustomStringConvertible {
        case tooLarge(Int64)
        case storage

        var description: String {
            switch self {
            case .tooLarge(let limit): Bilingual("文件超过 \(limit >> 20) MiB 上限", "The file is larger than this node's limit of \(limit >> 20) MiB").description
            case .storage: Bilingual("文件无法保存，请稍后再试", "The upload could not be stored; try again later").description
            }
        }
    }
}

extension PublishDrafts {
    /// What the review page shows from an assessment: rows, score by dimension, the proposed
    /// grade with its reasons, and per column its type, nulls and any personal data detected with
    /// the masking the node suggests. No values of the file enter it.
    static func summary(_ assessment: QualityAssessment) -> JSONValue {
        let profile = assessment.profile
        let report = assessment.report
        let suggested = assessment.defaultMasking()
        let columns: [JSONValue] = profile.columns.map { column in
            var row: [String: JSONValue] = [
                "name": .string(column.name), "type": .string(column.inferredType.rawValue),
                "nulls": .number(Double(column.nulls)), "values": .number(Double(column.values)),
            ]
            if let top = column.sensitive.filter({ $0.share >= 0.5 }).max(by: { $0.count < $1.count }) {
                row["sensitive"] = .string(top.kind.rawValue)
                row["share"] = .number(top.share)
            }
            if let rule = suggested[column.name] { row["suggested"] = .string(rule.description) }
            return .object(row)
        }
        var dimensions: [JSONValue] = []
        for d in report.dimensions {
            dimensions.append(["dimension": .string(d.dimension.rawValue), "score": d.score.map { .number($0) } ?? .null])
        }
        return [
            "rows": .number(Double(profile.rows)), "duplicateRows": profile.duplicateRows.map { .number(Double($0)) } ?? .null,
            "raggedRows": .number(Double(profile.raggedRows)), "score": report.overall.map { .number($0) } ?? .null,
            "dimensions": .array(dimensions), "grade": .string(assessment.grade.grade.description),
            "reasons": .array(assessment.grade.reasons.map { .string($0) }), "columns": .array(columns),
        ]
    }
}

/// One open draft file, read in order by one consumer (the catalog's upload loop).
final class DraftReader: @unchecked Sendable {
    private let handle: FileHandle
    private var closed = false

    init(handle: FileHandle) { self.handle = handle }

    func next() throws -> [UInt8]? {
        guard !closed else { return nil }
        guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else {
            close()
            return nil
        }
        return Array(data)
    }

    private func close() {
        guard !closed else { return }
        closed = true
        try? handle.close()
    }

    deinit { close() }
}

extension Optional {
    /// `map` for an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
