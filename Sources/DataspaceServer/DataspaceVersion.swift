/// The release of this node software, shown by `dataspace --version` and `GET /api/v1/node`.
public enum DataspaceVersion {
    public static let current = "0.12.0"
}
