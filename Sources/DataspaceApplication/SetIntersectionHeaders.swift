/// The response headers of a set-intersection run, shared by the provider that writes them
/// and the consumer that reads them.
public enum SetIntersectionHeaders {
    public static let run = "Dataspace-PSI-Run"
    public static let output = "Dataspace-PSI-Output"
    public static let column = "Dataspace-PSI-Column"
    public static let consumerCount = "Dataspace-PSI-Consumer-Count"
    public static let providerCount = "Dataspace-PSI-Provider-Count"
    public static let runsLeft = "Dataspace-PSI-Runs-Left"

    public static func fields(_ run: ComputeService.SetIntersectionRun) -> [(String, String)] {
        var fields = [
            (Self.run, run.runID), (output, run.output.rawValue), (column, run.column),
            (consumerCount, String(run.consumerCount)), (providerCount, String(run.providerCount)),
        ]
        if let left = run.runsLeft { fields.append((runsLeft, String(left))) }
        return fields
    }
}
