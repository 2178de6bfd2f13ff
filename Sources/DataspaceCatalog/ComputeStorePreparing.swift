import DataspaceCore
import Foundation

/// What publishing a product that offers computation in place must leave ready before its
/// version is committed: the product's query store, built from the stored file while the
/// file is assessed, so the first query does not wait for it and a file the declaration does
/// not fit is refused at publish instead of at a consumer's first query (docs/privacy.md).
/// The catalog knows only this shape; the privacy module's store behind it is wired in by
/// the node.
public protocol ComputeStorePreparing: Sendable {
    /// Builds and keeps the store of the stored file `sha256` (at `path`) for `schema`, unless
    /// it is kept already; a `CatalogError` naming the field when the file does not fit.
    func prepare(sha256: String, path: String, schema: ComputeSchema) async throws
    /// Removes kept stores of files not in `referenced` — only those written before `cutoff`
    /// when given (a replica may be publishing right now); the number removed.
    func removeStores(except referenced: Set<String>, writtenBefore cutoff: Date?) throws -> Int
    /// Removes the kept stores of the stored file `sha256`: the publish that built one was
    /// refused and its file removed (a later query of the same file builds the store again).
    func removeStores(of sha256: String)
}
