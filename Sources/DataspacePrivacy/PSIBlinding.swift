import Dispatch

/// One party's secret exponent in ECDH private set intersection: X25519 (RFC 7748) with a key
/// drawn from the system CSPRNG. Blinding is commutative — k_a·(k_b·P) = k_b·(k_a·P) — which is
/// the whole protocol (docs/privacy.md): each side blinds its own hashed identifiers, the
/// other side blinds them again, and doubly blinded values are equal exactly when the
/// identifiers are.
public struct PSIBlinding: Sendable {
    /// The clamped scalar.
    let scalar: [UInt8]

    /// A fresh key; keys are never stored or reused beyond what their owner decides.
    public init() {
        var random = SystemRandomNumberGenerator()
        self.init(unclamped: (0..<4).flatMap { _ in withUnsafeBytes(of: random.next().littleEndian, Array.init) })
    }

    /// A key from 32 bytes (clamped as X25519 does).
    public init(rawRepresentation bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw InvalidPoint(index: 0) }
        self.init(unclamped: bytes)
    }

    private init(unclamped: [UInt8]) { scalar = MontgomeryLadder.clamp(unclamped) }

    /// Size of one point on the wire: an X25519 u-coordinate.
    public static let pointSize = 32

    /// A point that is not usable: blinding gives the zero point only for inputs of small
    /// order, which an honest peer never sends.
    public struct InvalidPoint: Error, Sendable, Equatable {
        public let index: Int
    }

    /// Blinds one 32-byte point.
    public func blind(_ point: [UInt8]) throws -> [UInt8] {
        guard point.count == Self.pointSize else { throw InvalidPoint(index: 0) }
        let out = MontgomeryLadder.multiply(scalar, points: [Field25519(littleEndian: point)])
        guard out.contains(where: { $0 != 0 }) else { throw InvalidPoint(index: 0) }
        return out
    }

    /// Blinds `count` points packed 32 bytes each, on every core, off the cooperative
    /// threads (this is the protocol's whole cost).
    public func blind(packed points: [UInt8]) async throws -> [UInt8] {
        let count = points.count / Self.pointSize
        guard points.count % Self.pointSize == 0 else { throw InvalidPoint(index: count) }
        guard count > 0 else { return [] }
        let scalar = self.scalar
        return try await Self.parallel(count: count) { range in
            MontgomeryLadder.multiply(scalar, points: range.map { Field25519(littleEndian: points[$0 * Self.pointSize..<($0 + 1) * Self.pointSize]) })
        }
    }

    /// Hashes identifiers to the curve and blinds them, on every core.
    public func hashAndBlind(_ identifiers: [[UInt8]], hasher: HashToCurve25519 = .identifiers) async throws -> [UInt8] {
        guard !identifiers.isEmpty else { return [] }
        let scalar = self.scalar
        return try await Self.parallel(count: identifiers.count) { range in
            MontgomeryLadder.multiply(scalar, points: hasher.hashBatchElements(Array(identifiers[range])))
        }
    }

    /// Runs `work` over slices of about 1,024 points on every core, off the cooperative
    /// threads, and joins the 32-byte results in order; a zero result (a small-order input)
    /// throws with its index.
    static func parallel(count: Int, _ work: @escaping @Sendable (Range<Int>) -> [UInt8]) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                let slices = stride(from: 0, to: count, by: 1_024).map { $0..<min($0 + 1_024, count) }
                let output = OutputBuffer(count: count * pointSize)
                DispatchQueue.concurrentPerform(iterations: slices.count) { s in
                    output.write(work(slices[s]), at: slices[s].lowerBound * pointSize)
                }
                let bytes = output.bytes
                for index in 0..<count {
                    var any: UInt8 = 0
                    for b in bytes[index * pointSize..<(index + 1) * pointSize] { any |= b }
                    if any == 0 {
                        continuation.resume(throwing: InvalidPoint(index: index))
                        return
                    }
                }
                continuation.resume(returning: bytes)
            }
        }
    }
}

/// A fixed buffer that disjoint slices write into concurrently.
final class OutputBuffer: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    let count: Int

    init(count: Int) {
        storage = .allocate(byteCount: max(count, 1), alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        self.count = count
    }

    deinit { storage.deallocate() }

    /// Callers write disjoint ranges only.
    func write(_ bytes: [UInt8], at offset: Int) {
        bytes.withUnsafeBytes { source in
            guard let from = source.baseAddress, let to = storage.baseAddress else { return }
            (to + offset).copyMemory(from: from, byteCount: min(source.count, count - offset))
        }
    }

    var bytes: [UInt8] { Array(storage.prefix(count)) }
}
