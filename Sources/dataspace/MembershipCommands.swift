import ArgumentParser
import DataspaceCore
import DataspaceServer
import Foundation

struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register", abstract: "Apply to the data space authority for membership (the node signs the application).")

    @OptionGroup var node: NodeOptions
    @Option(help: "Base URL of the registration authority.") var authority: String

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            let reply = try await client.call(ManagementAPI.applyForMembership, json: ["authorityURL": .string(authority)])
            if node.json { node.printJSON(reply); return }
            printMembership(reply)
            if reply["status"]?.stringValue == "pending" {
                print("The authority will review the application; then run: dataspace membership --refresh")
            }
        }
    }
}

struct MembershipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "membership", abstract: "Show this node's membership, or fetch the authority's decision.")

    @OptionGroup var node: NodeOptions
    @Flag(help: "Ask the authority for the decision and credential.") var refresh = false

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            let reply = refresh ? try await client.call(ManagementAPI.refreshMembership) : try await client.call(ManagementAPI.showMembership)
            if node.json { node.printJSON(reply) } else { printMembership(reply) }
        }
    }
}

func printMembership(_ m: JSONValue) {
    printTable(
        ["field", "value"],
        [
            ["status", m["status"]?.stringValue ?? ""], ["authority", m["authorityDID"]?.stringValue ?? ""],
            ["application", m["applicationId"]?.stringValue ?? ""],
            ["credential", m["credential"]?["id"]?.stringValue ?? "—"], ["expires", m["credential"]?["expires"]?.stringValue ?? "—"],
        ], maxWidth: 80)
}

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Registration authority administration.",
        subcommands: [Applications.self, Approve.self, Reject.self, Revoke.self])

    struct Applications: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "applications", abstract: "List membership applications.")
        @OptionGroup var node: NodeOptions
        @Option(help: "pending, approved or rejected.") var status: String?

        func run() async throws {
            try await runReporting {
                let reply = try await node.client().call(ManagementAPI.listApplications, query: ["status": status])
                if node.json { node.printJSON(reply); return }
                let rows = (reply["items"]?.arrayValue ?? []).map { a in
                    [a["id"]?.stringValue ?? "", a["status"]?.stringValue ?? "", a["name"]?.stringValue ?? "", a["creditCode"]?.stringValue ?? "",
                     a["region"]?.stringValue ?? "", a["did"]?.stringValue ?? "", a["revokedAt"]?.stringValue ?? ""]
                }
                printTable(["id", "status", "name", "credit code", "region", "did", "revoked"], rows)
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve an application and issue its membership credential.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "Application id.") var id: String

        func run() async throws {
            try await runReporting {
                let reply = try await node.client().call(ManagementAPI.approveApplication, id)
                if node.json { node.printJSON(reply) } else { print("approved \(reply["name"]?.stringValue ?? id): credential \(reply["credentialId"]?.stringValue ?? "")") }
            }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reject", abstract: "Reject an application.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "Application id.") var id: String
        @Option(help: "Why (sent to the applicant).") var reason: String = "rejected by the authority"

        func run() async throws {
            try await runReporting {
                let reply = try await node.client().call(ManagementAPI.rejectApplication, id, json: ["reason": .string(reason)])
                if node.json { node.printJSON(reply) } else { print("rejected \(reply["name"]?.stringValue ?? id)") }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a participant's membership credential (by DID or application id).")
        @OptionGroup var node: NodeOptions
        @Argument(help: "Participant DID or application id.") var subject: String

        func run() async throws {
            try await runReporting {
                let reply = try await node.client().call(ManagementAPI.revokeMembership, json: ["subject": .string(subject)])
                if node.json { node.printJSON(reply) } else { print("revoked credential \(reply["credentialId"]?.stringValue ?? "") of \(reply["did"]?.stringValue ?? subject)") }
            }
        }
    }
}
