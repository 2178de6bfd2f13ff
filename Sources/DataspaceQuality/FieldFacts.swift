/// What profiling one field of a row found, handed on to the duplicate-row check and the rule
/// evaluator so that neither reads or classifies the value a second time.
struct FieldFacts {
    /// `ValueScan.hash` of the value's bytes (null tokens hash as their bytes).
    var hash: UInt64
    /// The value of an integer or decimal.
    var number: Double?
    /// The value's type; nil for a null (empty, a null token, or a field the row lacks).
    var type: ValueType?

    /// The facts of a field the row lacks.
    static let missing = FieldFacts(hash: 0, number: nil, type: nil)
}
