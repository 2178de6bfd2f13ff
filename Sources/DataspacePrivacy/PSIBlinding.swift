import Crypto
import Dispatch

/// One party's secret exponent in ECDH private set intersection: X25519 (RFC 7748) with a key
/// drawn from the system CSPRNG. Blinding is commutative — k_a·(k_b·P) = k_b·(k_a·P) — which is
/// the whole protocol (docs/privacy.md): each side blinds its own hashed identifiers, the
/// other side blinds them again, and doubly blinded values are equal exactly when the
/// identifiers are.
///
/// Two implementations of X25519 blind, both always compiled and tested against each other:
/// swift-crypto's (BoringSSL's, with the processor's 64-bit carry instructions where it has
/// them; twice the rate of the other here) in optimised builds, and this module's own ladder
/// (`MontgomeryLadder`) in debug builds, where SwiftPM compiles the vendored C library without
/// optimisation — eight times slower — while this module is optimised in every build, so
/// `swift run dataspace demo` and the tests do not crawl (docs/privacy.md).
public struct PSIBlinding: Sendable {
    let key: Curve25519.KeyAgreement.PrivateKey
    /// The same key clamped, for the ladder.
    let scalar: [UInt8]

    /// Which implementation multiplies.
    enum Engine: Sendable, CaseIterable {
        case swiftCrypto, ladder
    }

    #if DEBUG
    static let engine = Engine.ladder
    #else
    static let engine = Engine.swiftCrypto
    #endif

    /// A fresh key; keys are never stored or reused beyond what their owner decides.
    public init() { self.init(key: Curve25519.KeyAgreement.PrivateKey()) }

    /// A key from 32 bytes (clamped as X25519 does).
    public init(rawRepresentation bytes: [UInt8]) throws {
        guard bytes.count == 32, let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes) else {
            throw InvalidPoint(index: 0)
        }
        self.init(key: key)
    }

    private init(key: Curve25519.KeyAgreement.PrivateKey) {
        self.key = key
        scalar = MontgomeryLadder.clamp(Array(key.rawRepresentation))
    }

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
        let out = multiply(packed: point[...])
        guard out.reduce(0, |) != 0 else { throw InvalidPoint(index: 0) }
        return out
    }

    /// Blinds consecutive 32-byte points with `engine`; a small-order input leaves 32 zero
    /// bytes, which callers refuse.
    func multiply(packed points: ArraySlice<UInt8>, engine: Engine = Self.engine) -> [UInt8] {
        switch engine {
        case .swiftCrypto:
            return Self.multiply(key, packed: points)
        case .ladder:
            let elements = stride(from: points.startIndex, to: points.endIndex - Self.pointSize + 1, by: Self.pointSize).map {
                Field25519(littleEndian: points[$0..<$0 + Self.pointSize])
            }
            return MontgomeryLadder.multiply(scalar, points: elements)
        }
    }

    /// Blinds field elements (hashed identifiers) with `engine`.
    func multiply(elements: [Field25519], engine: Engine = Self.engine) -> [UInt8] {
        switch engine {
        case .swiftCrypto: Self.multiply(key, packed: elements.flatMap(\.canonicalBytes)[...])
        case .ladder: MontgomeryLadder.multiply(scalar, points: elements)
        }
    }

    /// k·u, or nil when the result is the zero point (an input of small order; swift-crypto
    /// returns it rather than refusing, as CryptoKit does).
    static func multiply(_ key: Curve25519.KeyAgreement.PrivateKey, _ point: ArraySlice<UInt8>) -> [UInt8]? {
        guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: point),
              let shared = try? key.sharedSecretFromKeyAgreement(with: peer) else { return nil }
        let bytes = shared.withUnsafeBytes { Array($0) }
        return bytes.reduce(0, |) == 0 ? nil : bytes
    }

    /// Blinds consecutive 32-byte points with swift-crypto; a small-order input leaves 32 zero
    /// bytes.
    static func multiply(_ key: Curve25519.KeyAgreement.PrivateKey, packed points: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: points.count)
        var offset = points.startIndex
        while offset + pointSize <= points.endIndex {
            if let blinded = multiply(key, points[offset..<offset + pointSize]) {
                let at = offset - points.startIndex
                out.replaceSubrange(at..<at + pointSize, with: blinded)
            }
            offset += pointSize
        }
        return out
    }

    /// Blinds `count` points packed 32 bytes each, on every core, off the cooperative
    /// threads (this is the protocol's whole cost).
    public func blind(packed points: [UInt8]) async throws -> [UInt8] {
        let count = points.count / Self.pointSize
        guard points.count % Self.pointSize == 0 else { throw InvalidPoint(index: count) }
        guard count > 0 else { return [] }
        return try await Self.parallel(count: count) { [self] range in
            multiply(packed: points[range.lowerBound * Self.pointSize..<range.upperBound * Self.pointSize])
        }
    }

    /// Hashes identifiers to the curve and blinds them, on every core.
    public func hashAndBlind(_ identifiers: [[UInt8]], hasher: HashToCurve25519 = .identifiers) async throws -> [UInt8] {
        guard !identifiers.isEmpty else { return [] }
        return try await Self.parallel(count: identifiers.count) { [self] range in
            multiply(elements: hasher.hashBatchElements(Array(identifiers[range])))
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
