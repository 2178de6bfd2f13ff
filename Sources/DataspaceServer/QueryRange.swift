import DataspaceCore

/// Numbers from query strings and JSON bodies, converted at the edge: a value outside its range,
/// or not a whole number, is a 400 that names the field and the range — never a trap further in.
enum QueryRange {
    static func integer(_ text: String?, field: String, in range: ClosedRange<Int>, default value: Int) throws(ValidationError) -> Int {
        guard let text else { return value }
        guard text.count <= 20, let v = Int(text), range.contains(v) else { throw outOfRange(field, range) }
        return v
    }

    static func integer(_ json: JSONValue?, field: String, in range: ClosedRange<Int>, default value: Int) throws(ValidationError) -> Int {
        guard let json, json != .null else { return value }
        guard let v = json.intValue, range.contains(v) else { throw outOfRange(field, range) }
        return v
    }

    static func outOfRange(_ field: String, _ range: ClosedRange<Int>) -> ValidationError {
        ValidationError(
            code: "\(field).invalid", field: field, message: "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
}
