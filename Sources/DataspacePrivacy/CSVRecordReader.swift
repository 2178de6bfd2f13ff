import DataspaceCore
/// An RFC 4180 record reader fed in chunks (quoted fields, doubled quotes, CRLF or LF), for
/// building query stores from a product's stored CSV. Bounded: a field longer than
/// `maximumFieldLength` or a record wider than `maximumFields` is an error, not an allocation.
public struct CSVRecordReader {
    public static let maximumFieldLength = 1 << 20
    public static let maximumFields = 4_096

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    private var field: [UInt8] = []
    private var record: [[UInt8]] = []
    private var inQuotes = false
    private var quoteSeen = false  // a quote inside a quoted field: end or doubled quote
    private var afterCR = false
    private var fieldStarted = false
    public private(set) var line = 1

    public init() {}

    /// Feeds bytes; `onRecord` receives each complete record's fields.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, onRecord: ([[UInt8]]) throws -> Void) throws {
        for byte in bytes {
            try consume(byte, onRecord: onRecord)
        }
    }

    /// Ends the input: a last record without a line ending is delivered; an open quote is an error.
    public mutating func finish(onRecord: ([[UInt8]]) throws -> Void) throws {
        if inQuotes && !quoteSeen { throw Failure(line: line, message: "a quoted field is never closed") }
        if fieldStarted || !record.isEmpty || !field.isEmpty {
            try endRecord(onRecord)
        }
    }

    private mutating func consume(_ byte: UInt8, onRecord: ([[UInt8]]) throws -> Void) throws {
        if afterCR {
            afterCR = false
            if byte == 0x0A { return }
        }
        if inQuotes {
            if quoteSeen {
                quoteSeen = false
                if byte == UInt8(ascii: "\"") {
                    try append(byte)
                    return
                }
                inQuotes = false
                // fall through: the byte after the closing quote
            } else if byte == UInt8(ascii: "\"") {
                quoteSeen = true
                return
            } else {
                if byte == 0x0A { line += 1 }
                try append(byte)
                return
            }
        }
        switch byte {
        case UInt8(ascii: ","):
            try endField()
        case 0x0A:
            try endRecord(onRecord)
            line += 1
        case 0x0D:
            try endRecord(onRecord)
            line += 1
            afterCR = true
        case UInt8(ascii: "\"") where !fieldStarted:
            inQuotes = true
            fieldStarted = true
        default:
            fieldStarted = true
            try append(byte)
        }
    }

    private mutating func append(_ byte: UInt8) throws {
        guard field.count < Self.maximumFieldLength else {
            throw Failure(line: line, message: "a field is longer than \(Self.maximumFieldLength) bytes")
        }
        field.append(byte)
    }

    private mutating func endField() throws {
        guard record.count < Self.maximumFields else {
            throw Failure(line: line, message: "a record has more than \(Self.maximumFields) fields")
        }
        record.append(field)
        field.removeAll(keepingCapacity: true)
        fieldStarted = false
    }

    private mutating func endRecord(_ onRecord: ([[UInt8]]) throws -> Void) throws {
        try endField()
        let done = record
        record.removeAll(keepingCapacity: true)
        // A blank line is not a record.
        if !(done.count == 1 && done[0].isEmpty) { try onRecord(done) }
    }
}
