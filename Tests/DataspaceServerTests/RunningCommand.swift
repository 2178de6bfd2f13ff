import DataspaceCore
import Foundation
import Synchronization

/// The `dataspace` executable running as its own process, its output read as it arrives and its
/// end awaited: a test waits for what the process says (`serve`'s "Serving … at …" line) or for
/// its exit, never for a clock to pass.
final class RunningCommand: Sendable {
    /// What the process wrote so far and whether it ended; shared with the reading threads and
    /// the termination handler.
    final class Watch: Sendable {
        struct State {
            /// Bytes, decoded when read: a chunk may end inside a character.
            var stdoutBytes = Data()
            /// The last few kilobytes of stderr, for failure messages.
            var stderrBytes = Data()
            var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
            var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }
            var stdoutEnded = false
            var stderrEnded = false
            var terminated = false
            /// Callers in `output(where:)`: only while there are any (or a signal waits to be
            /// sent) is stdout decoded and looked at after each chunk (a chatty process would
            /// otherwise cost O(n²)).
            var outputWaits = 0
            /// A signal to send from the reading thread once stdout satisfies the condition.
            var signalWhen: (holds: @Sendable (String) -> Bool, signal: Int32)?
            var pid: Int32 = 0
            var ended: Bool { stdoutEnded && stderrEnded && terminated }

            /// Sends the pending signal if `stdout` satisfies its condition.
            mutating func signalIfDue(_ stdout: String) {
                // pid 0 would signal the whole process group, this test process included.
                guard pid > 0, let pending = signalWhen, pending.holds(stdout) else { return }
                kill(pid, pending.signal)
                signalWhen = nil
            }
        }
        let state = Mutex(State())
        /// Callers waiting for stdout to hold what they look for (or to end without it).
        let outputWaiters = ConditionWaiters<@Sendable (String) -> Bool>()
        /// Callers waiting for the process to end with all of its output read.
        let endWaiters = ConditionWaiters<Void>()

        func change(_ body: (inout State) -> Void) {
            let (stdout, stdoutEnded, ended) = state.withLock { state -> (String?, Bool, Bool) in
                body(&state)
                guard state.outputWaits > 0 || state.signalWhen != nil else { return (nil, state.stdoutEnded, state.ended) }
                let stdout = state.stdout
                state.signalIfDue(stdout)
                return (state.outputWaits > 0 ? stdout : nil, state.stdoutEnded, state.ended)
            }
            if let stdout { outputWaiters.resume { stdoutEnded || $0(stdout) } }
            if ended { endWaiters.resume { true } }
        }

        /// Reads `pipe` as data arrives, on a thread of its own that blocks in read(2) until the
        /// end of file. (Not `readabilityHandler`: on Linux its dispatch source can outlive the
        /// descriptor, and libdispatch then crashes the test process.)
        func read(_ pipe: Pipe, into keep: @escaping @Sendable (inout State, Data?) -> Void) {
            let handle = pipe.fileHandleForReading
            Thread {
                while true {
                    let data = handle.availableData
                    self.change { keep(&$0, data.isEmpty ? nil : data) }
                    if data.isEmpty { break }
                }
                try? handle.close()
            }.start()
        }
    }

    let process: Process
    let watch = Watch()

    /// Starts `dataspace ARGUMENTS` with `environment` added to this process's and, if given, at
    /// most `openFiles` open files (through the shell's `ulimit`, then exec: the pid is the node's).
    init(_ arguments: [String], environment: [String: String] = [:], openFiles: Int? = nil) throws {
        guard let binary = CLITests.binary else { throw Failure(description: "no dataspace executable next to the tests") }
        let process = Process()
        if let openFiles {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(openFiles) && exec \"$0\" \"$@\"", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let watch = watch
        process.terminationHandler = { _ in watch.change { $0.terminated = true } }
        try process.run()
        self.process = process
        watch.state.withLock { $0.pid = process.processIdentifier }
        watch.read(out) { state, data in
            if let data { state.stdoutBytes += data } else { state.stdoutEnded = true }
        }
        watch.read(err) { state, data in
            if let data { state.stderrBytes = (state.stderrBytes + data).suffix(4_096) } else { state.stderrEnded = true }
        }
    }

    /// `dataspace serve --dir DIR`, killing itself at the crash points named
    /// (`DATASPACE_CRASH_AT`, comma-separated) if any, with `environment` and `openFiles` as for
    /// `init`; returns once it listens.
    static func serve(
        _ dir: String, arguments: [String] = [], crashAt: String? = nil, environment: [String: String] = [:], openFiles: Int? = nil
    ) async throws -> RunningCommand {
        let node = try RunningCommand(
            ["serve", "--dir", dir, "--log-level", "warning"] + arguments,
            environment: environment.merging(crashAt.map { ["DATASPACE_CRASH_AT": $0] } ?? [:]) { $1 }, openFiles: openFiles)
        guard await node.said("Serving ") else { throw Failure(description: "the node ended before it served: \(node.stderr)") }
        return node
    }

    var processIdentifier: Int32 { process.processIdentifier }
    var stdout: String { watch.state.withLock { $0.stdout } }
    var stderr: String { watch.state.withLock { $0.stderr } }

    /// Returns stdout once `holds` is true of it, or once it ended (the process exited), or when
    /// the caller is cancelled.
    func output(where holds: @escaping @Sendable (String) -> Bool) async -> String {
        // Counted before joining: a chunk that lands meanwhile is either looked at by `change`
        // or already in the state this caller looks at when it joins.
        watch.state.withLock { $0.outputWaits += 1 }
        await watch.outputWaiters.wait(for: holds) { holds in watch.state.withLock { $0.stdoutEnded || holds($0.stdout) } }
        watch.state.withLock { $0.outputWaits -= 1 }
        return stdout
    }

    /// Whether stdout came to contain `text` (false: the process ended without saying it).
    func said(_ text: String) async -> Bool {
        await output { $0.contains(text) }.contains(text)
    }

    /// Sends `signal` to the process.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Sends `signal` as soon as stdout satisfies `holds`, from the thread that reads it: the
    /// moment does not wait for a test task to be scheduled (in a busy test process that took
    /// long enough for a process printing at full speed to run to its end).
    func signal(_ signal: Int32, when holds: @escaping @Sendable (String) -> Bool) {
        watch.state.withLock { state in
            state.signalWhen = (holds, signal)
            state.signalIfDue(state.stdout)
        }
    }

    /// How a process ended: its exit status, or the signal that ended it.
    struct Ending: Equatable {
        var reason: Process.TerminationReason
        var status: Int32
        static func killed(by signal: Int32) -> Ending { Ending(reason: .uncaughtSignal, status: signal) }
        static let success = Ending(reason: .exit, status: 0)
    }

    /// Waits until the process has ended and its output is read; how it ended (nil if the caller
    /// was cancelled first).
    @discardableResult
    func ended() async -> Ending? {
        await watch.endWaiters.wait(for: ()) { _ in watch.state.withLock { $0.ended } }
        guard watch.state.withLock({ $0.ended }) else { return nil }
        return Ending(reason: process.terminationReason, status: process.terminationStatus)
    }

    /// SIGTERM, then the end.
    @discardableResult
    func stop() async -> Ending? {
        signal(SIGTERM)
        return await ended()
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }
}
