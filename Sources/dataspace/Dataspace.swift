import ArgumentParser
import Foundation

/// `dataspace`: run and operate a trusted data space node.
@main
struct Dataspace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataspace",
        abstract: "A trusted data space node: identity, unified identifiers, publishing, catalog search.",
        discussion: """
            Exit codes: 0 success, 1 failure, 64 usage or invalid input, 3 refused by the node (4xx), 4 node unreachable or failing (5xx).
            Commands that talk to a node read its URL and admin token from --dir (default ./dataspace-node, or $DATASPACE_DIR).
            """,
        subcommands: [
            InitCommand.self, ServeCommand.self, RegisterCommand.self, MembershipCommand.self, AdminCommand.self,
            PublishCommand.self, UpdateCommand.self, WithdrawCommand.self, DatasetsCommand.self, ShowCommand.self,
            SearchCommand.self, ResolveCommand.self, CatalogCommand.self, NegotiateCommand.self, NegotiationsCommand.self,
            AgreementsCommand.self, FetchCommand.self, ReconcileCommand.self, UsageCommand.self, LedgerCommand.self, QualityCommand.self, TraceCommand.self,
            GradeCommand.self, DemoCommand.self,
            BenchCommand.self,
        ])
}
