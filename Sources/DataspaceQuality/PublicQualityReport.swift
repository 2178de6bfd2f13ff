import DataspaceCore

/// What of a signed quality report the public portal shows. Scores, rules, counts and the
/// structure of each column (type, nulls, distinct count, lengths) are public; the values a
/// profile reveals — minimum, maximum, mean, deviation, top values and value patterns — are shown
/// only when the publisher marked the profile public (`profilePublic`).
public enum PublicQualityReport {
    /// Column members that are values of the data rather than its shape.
    public static let valueFields: Set<String> = ["min", "max", "mean", "stddev", "topValues", "topValuesExact", "patterns"]

    public static func redacted(_ report: JSONValue, showValues: Bool) -> JSONValue {
        guard !showValues, var object = report.objectValue, var profile = object["profile"]?.objectValue,
            let columns = profile["columns"]?.arrayValue
        else { return report }
        profile["columns"] = .array(columns.map { column in
            guard var c = column.objectValue else { return column }
            for key in valueFields { c[key] = nil }
            return .object(c)
        })
        object["profile"] = .object(profile)
        object["valuesWithheld"] = .bool(true)
        return .object(object)
    }
}
