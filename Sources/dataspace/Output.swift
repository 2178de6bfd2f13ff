import ArgumentParser
import DataspaceCore
import DataspaceQuality
import DataspaceServer
import Foundation

/// Exit codes scripts can rely on (the table in README.md, held by `CLIExitCodeTests`).
enum Exit {
    /// Something failed on this machine (a file could not be written, an internal error).
    static let failure = ExitCode(1)
    /// The node (or, through it, a peer) refused: 4xx, a revoked credential, a policy refusal.
    static let refused = ExitCode(3)
    /// The node or the peer it needed is unreachable or failing (5xx, timeouts).
    static let unreachable = ExitCode(4)
    /// Invalid input given to the command: arguments, a missing or unreadable file, a bad format.
    static let invalidInput = ExitCode(64)
}

/// A problem with what was given to the command, found before anything was sent (exit 64).
struct InputError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A failure on this machine after work started, e.g. the output could not be written (exit 1).
struct LocalFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A peer or node that did not answer in time (exit 4).
struct Unreachable: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Turns errors into a one-line message on stderr and the right exit code.
func reportFailure(_ error: any Error) -> ExitCode {
    switch error {
    case let f as ManagementClient.Failure:
        printError("error: \(f)")
        guard let status = f.status else { return f.code == "unreachable" ? Exit.unreachable : Exit.invalidInput }
        return status >= 500 ? Exit.unreachable : Exit.refused
    case let e as DataspaceCore.ValidationError:
        printError("error: \(e)")
        return Exit.invalidInput
    case let e as ConfigurationError:
        printError("error: \(e)")
        return Exit.invalidInput
    case let e as InputError:
        printError("error: \(e)")
        return Exit.invalidInput
    case let e as Unreachable:
        printError("error: \(e)")
        return Exit.unreachable
    case let e as DataPlaneClient.DownloadError:
        printError("error: \(e)")
        switch e.kind {
        case .refused: return Exit.refused
        case .unreachable: return Exit.unreachable
        case .local, .corrupt: return Exit.failure
        }
    case let e as LocalFailure:
        printError("error: \(e)")
        return Exit.failure
    default:
        printError("error: \(error)")
        return Exit.failure
    }
}

/// This process's peak (VmHWM) and current (VmRSS) resident memory in bytes, from /proc.
func processMemory() -> (peak: Int, current: Int) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func kilobytes(_ key: String) -> Int {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
        return line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    }
    return (kilobytes("VmHWM:") * 1024, kilobytes("VmRSS:") * 1024)
}

/// `csv` or `jsonl` from a `--format` option (nil when the option was not given).
func tabularFormat(option text: String?) throws -> TabularFormat? {
    guard let text else { return nil }
    guard let format = TabularFormat(rawValue: text) else {
        throw DataspaceCore.ValidationError(code: "format.unknown", field: "format", message: "format must be csv or jsonl, got '\(text)'")
    }
    return format
}

/// `print` that hands each line on at once: into a pipe or a file (`dataspace demo > demo.log &`)
/// standard output is block-buffered, and a person tailing it would see nothing for minutes.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(items.map { "\($0)" }.joined(separator: separator), terminator: terminator)
    fflush(nil)
}

/// `--encoding` and `--delimiter` as given, checked here so a typo exits 64 before any work.
func sourceOptions(encoding: String?, delimiter: String?) throws -> (encoding: SourceEncoding?, delimiter: UInt8?) {
    var parsed: (encoding: SourceEncoding?, delimiter: UInt8?) = (nil, nil)
    if let encoding {
        guard let e = SourceEncoding(name: encoding) else {
            throw DataspaceCore.ValidationError(code: "encoding.unknown", field: "encoding", message: "unknown encoding '\(encoding)'; use utf-8, gb18030 or utf-16le")
        }
        parsed.encoding = e
    }
    if let delimiter {
        guard let d = SourceForm.delimiter(named: delimiter) else {
            throw DataspaceCore.ValidationError(code: "delimiter.unknown", field: "delimiter", message: "unknown delimiter '\(delimiter)'; use , ; | or tab")
        }
        parsed.delimiter = d
    }
    return parsed
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func printJSON(_ value: JSONValue) {
    print(value.encodedString(pretty: true))
}

/// Width of text in a terminal: CJK and full-width characters take two columns.
func displayWidth(_ text: String) -> Int {
    text.unicodeScalars.reduce(0) { width, s in
        let v = s.value
        let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
        return width + (wide ? 2 : 1)
    }
}

func truncate(_ text: String, width: Int) -> String {
    guard displayWidth(text) > width else { return text }
    var out = ""
    for c in text {
        if displayWidth(out + String(c)) > width - 1 { break }
        out.append(c)
    }
    return out + "…"
}

/// Prints rows as an aligned table with a header rule.
func printTable(_ headers: [String], _ rows: [[String]], maxWidth: Int = 48) {
    let cells = rows.map { $0.map { truncate($0, width: maxWidth) } }
    var widths = headers.map(displayWidth)
    for row in cells {
        for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], displayWidth(c)) }
    }
    func line(_ items: [String]) -> String {
        items.enumerated().map { i, s in s + String(repeating: " ", count: max(0, widths[i] - displayWidth(s))) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    print(line(headers))
    print(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
    for row in cells { print(line(row)) }
}

/// A progress bar on stderr for long transfers.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let lock = NSLock()
    var lastPercent = -1

    init(label: String) { self.label = label }

    func update(_ done: Int64, _ total: Int64) {
        guard total > 0 else { return }
        let percent = Int(done * 100 / total)
        lock.lock()
        defer { lock.unlock() }
        guard percent != lastPercent else { return }
        lastPercent = percent
        let filled = percent / 4
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 25 - filled)
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(percent)% (\(done / 1024) KiB)".utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
