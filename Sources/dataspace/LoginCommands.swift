import ArgumentParser
import DataspaceCore
import DataspaceServer
import Foundation

/// `dataspace login`: a person signs in with their password and gets an API token for scripts,
/// saved for the node's URL (see `PersonCredentials`). Later commands with `--node URL` act as
/// that person, with the roles the token carries.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in as a person and save an API token for the node, so commands act as you.",
        discussion: """
            The password is read from the terminal without echo, or as one line from standard input
            when that is not a terminal (for scripts: printf '%s\\n' "$PASSWORD" | dataspace login …).
            The token is saved in ~/.config/dataspace/credentials.json (or $DATASPACE_CREDENTIALS),
            readable by you alone; 'dataspace logout' revokes it.
            """)
    @OptionGroup var node: NodeOptions
    @Option(help: "Your login on the node.") var login: String
    @Option(help: "Roles the token may use (repeat; default: all of yours).") var scope: [String] = []
    @Option(help: "A name for the token, to tell your tokens apart.") var name: String?
    @Option(help: "Days the token lasts (1–365, default 90).") var days: Int?

    func run() async throws {
        try await runReporting {
            if let days, !(1...365).contains(days) { throw InputError("--days must be 1-365") }
            let url = try await node.baseURL()
            let password = try readPassword(prompt: "Password for \(login) at \(url): ")
            var body: [String: JSONValue] = [
                "login": .string(login), "password": .string(password),
                "name": .string(name ?? "dataspace login on \(ProcessInfo.processInfo.hostName)"),
            ]
            if !scope.isEmpty { body["scopes"] = .array(scope.map { .string($0) }) }
            if let days { body["days"] = .number(Double(days)) }
            let client = ManagementClient(baseURL: url, adminToken: "", http: CLIHTTP.client)
            let reply = try await client.call(ManagementAPI.tokenLogin, json: .object(body))
            guard let token = reply["token"]?.stringValue, let id = reply["id"]?.stringValue else {
                throw LocalFailure("the node answered without a token; is it a Dataspace node of this version?")
            }
            let entry = PersonCredentials.Entry(token: token, tokenID: id, login: reply["login"]?.stringValue ?? login, expiresAt: reply["expiresAt"]?.stringValue ?? "")
            let credentials = PersonCredentials.standard
            try credentials.set(entry, for: url)
            var shown = reply.objectValue ?? [:]
            shown["token"] = nil
            shown["savedIn"] = .string(credentials.path)
            if node.json { node.printJSON(.object(shown)); return }
            let roles = (reply["scopes"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            print("Signed in as \(reply["displayName"]?.stringValue ?? login) (\(entry.login)) with the role \(roles), until \(entry.expiresAt).")
            print("Commands with --node \(url) now act as you; the token is in \(credentials.path). 'dataspace logout --node \(url)' revokes it.")
        }
    }

    /// The password: from the terminal with echo off, else one line of standard input.
    func readPassword(prompt: String) throws -> String {
        let line: String?
        if isatty(STDIN_FILENO) == 1 {
            FileHandle.standardError.write(Data(prompt.utf8))
            var original = termios()
            tcgetattr(STDIN_FILENO, &original)
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
            line = Swift.readLine(strippingNewline: true)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            FileHandle.standardError.write(Data("\n".utf8))
        } else {
            line = Swift.readLine(strippingNewline: true)
        }
        guard let line, !line.isEmpty else { throw InputError("no password was given (type it at the prompt, or pipe it as one line)") }
        guard line.utf8.count <= 1_024 else { throw InputError("the password is longer than 1024 bytes") }
        return line
    }
}

/// `dataspace logout`: revokes the token saved for the node and forgets it.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Revoke the API token saved for the node and forget it.")
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await runReporting {
            let url = try await node.baseURL()
            let credentials = PersonCredentials.standard
            guard let entry = try credentials.entry(for: url) else {
                throw InputError("no token is saved for \(url) in \(credentials.path); nothing to log out of")
            }
            let client = ManagementClient(baseURL: url, adminToken: entry.token, http: CLIHTTP.client)
            do {
                _ = try await client.call(ManagementAPI.revokeToken, entry.tokenID)
            } catch let failure as ManagementClient.Failure where failure.status == 401 {
                // Already expired or revoked: forgetting it is all that is left.
            }
            try credentials.set(nil, for: url)
            if node.json { node.printJSON(["revoked": .string(entry.tokenID), "node": .string(url)]); return }
            print("Logged out of \(url): token \(entry.tokenID) is revoked and forgotten.")
        }
    }
}
