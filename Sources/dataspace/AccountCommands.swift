import ArgumentParser
import DataspaceCore
import DataspaceServer
import Foundation

/// `dataspace accounts …`: people of the node's organisation, managed with the admin token.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "Invite people to the portal, list them, change their roles or disable them.",
        subcommands: [List.self, Invite.self, Update.self], defaultSubcommand: List.self)

    static func printAccounts(_ items: [JSONValue]) {
        let rows = items.map { a in
            [
                a["login"]?.stringValue ?? "", a["displayName"]?.stringValue ?? "",
                (a["roles"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ","), a["status"]?.stringValue ?? "",
                a["id"]?.stringValue ?? "",
            ]
        }
        printTable(["login", "name", "roles", "status", "id"], rows)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the node's people.")
        @OptionGroup var node: NodeOptions

        func run() async throws {
            try await runReporting {
                let reply = try await node.client().call(ManagementAPI.listAccounts)
                if node.json { node.printJSON(reply); return }
                printAccounts(reply["items"]?.arrayValue ?? [])
            }
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "invite", abstract: "Invite a person; prints the link (valid 7 days, shown once) where they set their password.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "Login: 3–64 of a–z 0–9 . _ @ -.") var login: String
        @Option(help: "The person's name as others should see it.") var name: String
        @Option(help: "administrator, publisher, analyst or auditor (repeat for several).") var role: [String] = []

        func run() async throws {
            try await runReporting {
                guard !role.isEmpty else { throw ValidationError("give at least one --role (administrator, publisher, analyst or auditor)") }
                let reply = try await node.client().call(
                    ManagementAPI.inviteAccount,
                    json: ["login": .string(login), "displayName": .string(name), "roles": .array(role.map { .string($0) })])
                if node.json { node.printJSON(reply); return }
                printAccounts([reply])
                print("Send this link to \(reply["displayName"]?.stringValue ?? login); it lets them set a password until \(reply["invitationExpiresAt"]?.stringValue ?? "it expires"):")
                print(reply["invitationURL"]?.stringValue ?? "")
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", abstract: "Change a person's roles, or disable/enable them (disabling signs them out).")
        @OptionGroup var node: NodeOptions
        @Argument(help: "Account id (see: dataspace accounts).") var id: String
        @Option(help: "The new roles (repeat for several); the old ones are replaced.") var role: [String] = []
        @Flag(help: "Disable the account and end its sessions.") var disable = false
        @Flag(help: "Enable a disabled account.") var enable = false

        func run() async throws {
            try await runReporting {
                guard !(disable && enable) else { throw ValidationError("give --disable or --enable, not both") }
                var body: [String: JSONValue] = [:]
                if !role.isEmpty { body["roles"] = .array(role.map { .string($0) }) }
                if disable { body["status"] = "disabled" }
                if enable { body["status"] = "active" }
                guard !body.isEmpty else { throw ValidationError("nothing to change: give --role, --disable or --enable") }
                let reply = try await node.client().call(ManagementAPI.updateAccount, id, json: .object(body))
                if node.json { node.printJSON(reply); return }
                printAccounts([reply])
            }
        }
    }
}
