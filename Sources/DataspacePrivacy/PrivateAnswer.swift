import DataspaceCore
/// A released answer: the table, how noisy each number is, and what it cost. It holds no row of
/// the product, only noisy aggregates and the values of keys that were either public or released
/// by thresholded selection.
public struct PrivateAnswer: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable {
            case key, count, sum, average
        }

        public var name: String
        public var kind: Kind
        /// How noisy the column's numbers are; nil for keys and for averages (a ratio of two
        /// noisy numbers, whose interval depends on the count).
        public var noise: NoiseReport?
    }

    public struct NoiseReport: Sendable, Equatable {
        /// `discrete Laplace` or `discrete Gaussian`.
        public var mechanism: String
        /// The Laplace scale b, or the Gaussian σ, in the column's own units.
        public var scale: Double
        /// Half-width of an interval that holds the noise with probability at least 95 %.
        public var halfWidth95: Double
        /// The privacy loss this column's measurement spent.
        public var loss: PrivacyLoss
    }

    public var columns: [Column]
    /// One row per released group; numbers as exact decimal text, an empty string for an average
    /// whose noisy count was below one.
    public var rows: [[String]]
    /// What the query spent in all.
    public var loss: PrivacyLoss
    /// δ spent on choosing which groups to release (zero when grouped by public keys only).
    public var delta: PrivacyAmount
    /// The noisy row count a group needed to be released, when groups were chosen by threshold.
    public var releaseThreshold: Int?
}
