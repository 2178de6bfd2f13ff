import Crypto
import Foundation

/// The write-ahead journal that makes an append durable with one `fdatasync`: a preallocated,
/// zero-filled file written front to back in records, reused from the start (with the next
/// generation number) once everything in it has been integrated into the tiles. Records are
///
///     magic "DSJ1" | generation u64 | first index u64 | count u32 | body length u32 |
///     body (entries, each u16 length + bytes) | first 16 bytes of SHA-256(all before)
///
/// Recovery reads records from the start while the generation matches the first record's, the
/// indices are contiguous and the checksums hold; a torn tail (never acknowledged) ends the scan.
/// Writing into blocks that already exist and hold data keeps `fdatasync` free of metadata.
final class LogJournal {
    static let magic: [UInt8] = Array("DSJ1".utf8)
    static let headerSize = 4 + 8 + 8 + 4 + 4
    static let checksumSize = 16

    let path: String
    let capacity: Int
    let fd: Int32
    private(set) var generation: UInt64
    private(set) var offset = 0

    /// Opens the journal at `path`, creating and zero-filling it to `capacity` bytes if needed.
    init(path: String, capacity: Int) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw LogError("cannot open the journal \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        var status = stat()
        guard fstat(fd, &status) == 0 else { close(fd); throw LogError("cannot stat the journal \(path)") }
        self.capacity = max(capacity, Int(status.st_size))
        generation = 0
        if Int(status.st_size) < self.capacity {
            do {
                try Self.zeroFill(fd: fd, from: Int(status.st_size), to: self.capacity)
            } catch {
                close(fd)
                throw error
            }
        }
    }

    deinit { close(fd) }

    /// Writes zeros (not holes) so later record writes never allocate blocks.
    static func zeroFill(fd: Int32, from start: Int, to end: Int) throws {
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var position = start
        while position < end {
            let n = min(chunk.count, end - position)
            let written = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress, n, off_t(position)) }
            guard written == n else { throw LogError("cannot preallocate the journal: \(String(cString: strerror(errno)))") }
            position += n
        }
        guard fsync(fd) == 0 else { throw LogError("cannot sync the journal: \(String(cString: strerror(errno)))") }
    }

    /// The entries recorded in the current generation, from the first record on, with the index
    /// of the first; stops at the first record that is torn, foreign or out of sequence.
    func recover() throws -> (first: UInt64, entries: [[UInt8]])? {
        var records: [(first: UInt64, entries: [[UInt8]])] = []
        var position = 0
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        var currentGeneration: UInt64?
        while position + Self.headerSize + Self.checksumSize <= capacity {
            guard pread(fd, &header, Self.headerSize, off_t(position)) == Self.headerSize,
                  Array(header[0..<4]) == Self.magic else { break }
            let generation = Self.readU64(header, 4)
            let first = Self.readU64(header, 12)
            let count = Int(Self.readU32(header, 20))
            let bodyLength = Int(Self.readU32(header, 24))
            let total = Self.headerSize + bodyLength + Self.checksumSize
            guard position + total <= capacity, currentGeneration == nil || currentGeneration == generation else { break }
            if let last = records.last, first != last.first + UInt64(last.entries.count) { break }
            var record = [UInt8](repeating: 0, count: total)
            guard pread(fd, &record, total, off_t(position)) == total else { break }
            let digest = Array(SHA256.hash(data: record[0..<(total - Self.checksumSize)])).prefix(Self.checksumSize)
            guard Array(digest) == Array(record[(total - Self.checksumSize)...]),
                  let entries = try? TransparencyLog.parseBundle(Array(record[Self.headerSize..<(Self.headerSize + bodyLength)])),
                  entries.count == count else { break }
            currentGeneration = generation
            records.append((first, entries))
            position += total
        }
        generation = currentGeneration ?? 0
        offset = position
        guard let head = records.first else { return nil }
        return (head.first, records.flatMap(\.entries))
    }

    /// The bytes of one record.
    func record(first: UInt64, entries: [[UInt8]], generation: UInt64) -> [UInt8] {
        let body = TransparencyLog.bundleBytes(entries)
        var out = Self.magic
        out.reserveCapacity(Self.headerSize + body.count + Self.checksumSize)
        Self.appendU64(&out, generation)
        Self.appendU64(&out, first)
        Self.appendU32(&out, UInt32(entries.count))
        Self.appendU32(&out, UInt32(body.count))
        out += body
        out += Array(SHA256.hash(data: out)).prefix(Self.checksumSize)
        return out
    }

    /// Whether a record of `bytes` still fits behind the last one.
    func fits(_ bytes: Int) -> Bool { offset + bytes <= capacity }

    /// Starts the next generation at the front of the file; only call once every entry written
    /// so far is integrated (their records become garbage).
    func wrap() {
        generation += 1
        offset = 0
    }

    /// Writes a record and makes it durable; an error means the journal can no longer be trusted.
    func write(first: UInt64, entries: [[UInt8]]) throws {
        let bytes = record(first: first, entries: entries, generation: generation)
        guard fits(bytes.count) else { throw LogError("a batch of \(bytes.count) bytes does not fit in the journal (\(capacity) bytes)") }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, off_t(offset)) }
        guard written == bytes.count else { throw LogError("cannot write the journal: \(String(cString: strerror(errno)))") }
        guard fdatasync(fd) == 0 else { throw LogError("cannot sync the journal: \(String(cString: strerror(errno)))") }
        offset += bytes.count
    }

    /// Bytes a record of these entries takes.
    static func recordSize(entryBytes: Int, count: Int) -> Int { headerSize + entryBytes + 2 * count + checksumSize }

    static func readU64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(b[at + $1]) } }
    static func readU32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(b[at + $1]) } }
    static func appendU64(_ out: inout [UInt8], _ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    static func appendU32(_ out: inout [UInt8], _ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
}
