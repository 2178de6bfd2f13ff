extension ComputeSchema {
    /// `{"privacyUnit": "patient", "bounds": {"age": "0:120"}, "publicKeys": ["region"],
    ///   "maxRowsPerUnit": 1, "maxGroupsPerUnit": 1}` — the form the API, the CLI and stores use.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "bounds": .object(bounds.mapValues { .string($0.description) }),
            "publicKeys": .array(publicKeys.map { .string($0) }),
            "maxRowsPerUnit": .number(Double(maxRowsPerUnit)),
            "maxGroupsPerUnit": .number(Double(maxGroupsPerUnit)),
        ]
        if let privacyUnit { o["privacyUnit"] = .string(privacyUnit) }
        if !matchColumns.isEmpty { o["matchColumns"] = .array(matchColumns.map { .string($0) }) }
        return .object(o)
    }

    /// Reads the declaration; the error names the field under `path`.
    public init(json: JSONValue, path: String = "compute") throws(ValidationError) {
        guard let object = json.objectValue else {
            throw ValidationError(code: "compute.type", field: path, message: "must be an object with privacyUnit, bounds, publicKeys, maxRowsPerUnit, maxGroupsPerUnit")
        }
        let known: Set<String> = ["privacyUnit", "bounds", "publicKeys", "maxRowsPerUnit", "maxGroupsPerUnit", "matchColumns"]
        for key in object.keys.sorted() where !known.contains(key) {
            throw ValidationError(code: "compute.field", field: "\(path).\(key)", message: "unknown field; expected one of \(known.sorted().joined(separator: ", "))")
        }
        var schema = ComputeSchema()
        if let unit = object["privacyUnit"] {
            guard let name = unit.stringValue, !name.isEmpty, name.utf8.count <= 256 else {
                throw ValidationError(code: "compute.type", field: "\(path).privacyUnit", message: "must be a column name")
            }
            schema.privacyUnit = name
        }
        if let b = object["bounds"] {
            guard let entries = b.objectValue, entries.count <= ComputeSchema.maximumBoundedColumns else {
                throw ValidationError(code: "compute.type", field: "\(path).bounds", message: "must map up to \(ComputeSchema.maximumBoundedColumns) column names to LO:HI")
            }
            for (column, range) in entries {
                guard let text = range.stringValue else {
                    throw ValidationError(code: "compute.type", field: "\(path).bounds.\(column)", message: "a range is a string LO:HI such as 0:120")
                }
                do {
                    schema.bounds[column] = try ColumnBounds(parsing: text)
                } catch {
                    throw ValidationError(code: "compute.bounds", field: "\(path).bounds.\(column)", message: error.message)
                }
            }
        }
        if let k = object["publicKeys"] {
            guard let keys = k.arrayValue, keys.count <= 64 else {
                throw ValidationError(code: "compute.type", field: "\(path).publicKeys", message: "must be a list of up to 64 column names")
            }
            for key in keys {
                guard let name = key.stringValue, !name.isEmpty else {
                    throw ValidationError(code: "compute.type", field: "\(path).publicKeys", message: "must list column names")
                }
                if !schema.publicKeys.contains(name) { schema.publicKeys.append(name) }
            }
        }
        if let m = object["matchColumns"] {
            guard let names = m.arrayValue, names.count <= 16 else {
                throw ValidationError(code: "compute.type", field: "\(path).matchColumns", message: "must be a list of up to 16 column names")
            }
            for name in names {
                guard let column = name.stringValue, !column.isEmpty, column.utf8.count <= 256 else {
                    throw ValidationError(code: "compute.type", field: "\(path).matchColumns", message: "must list column names")
                }
                if !schema.matchColumns.contains(column) { schema.matchColumns.append(column) }
            }
        }
        func limit(_ key: String, _ range: ClosedRange<Int>) throws(ValidationError) -> Int? {
            guard let v = object[key] else { return nil }
            guard let n = v.intValue, range.contains(n) else {
                throw ValidationError(code: "compute.range", field: "\(path).\(key)", message: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        if let n = try limit("maxRowsPerUnit", ComputeSchema.rowsPerUnitRange) { schema.maxRowsPerUnit = n }
        if let n = try limit("maxGroupsPerUnit", ComputeSchema.groupsPerUnitRange) { schema.maxGroupsPerUnit = n }
        self = schema
    }

    /// `validate(header:)` as a `ValidationError` under `path`, for the catalog's refusals.
    public func check(header: [String], path: String = "compute") throws(ValidationError) {
        do {
            try validate(header: header)
        } catch {
            throw ValidationError(code: "compute.column", field: "\(path).\(error.field)", message: error.message)
        }
    }
}
