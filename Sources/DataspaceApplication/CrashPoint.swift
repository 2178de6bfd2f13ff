import Foundation

/// Development crash points: `DATASPACE_CRASH_AT=provider.agreed` makes the process kill itself
/// with SIGKILL at that point, so tests can prove a restarted node resumes from what it stored.
/// Inert unless the variable is set.
public enum CrashPoint {
    static let armed: Set<String> = Set(
        (ProcessInfo.processInfo.environment["DATASPACE_CRASH_AT"] ?? "").split(separator: ",").map { String($0) })

    public static func hit(_ name: String) {
        guard armed.contains(name) else { return }
        kill(getpid(), SIGKILL)
    }
}
