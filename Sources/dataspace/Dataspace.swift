import ArgumentParser
import DataspaceServer
import Foundation

/// `dataspace`: run and operate a trusted data space node.
@main
struct Dataspace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataspace",
        abstract: "A trusted data space node: identity, unified identifiers, publishing, catalog search.",
        discussion: """
            Exit codes: 0 success; 1 failure on this machine (a file could not be written); 3 refused by the node or, through it, a peer (4xx, revoked credential, policy); 4 node or peer unreachable or failing (5xx, timeouts); 64 invalid input (arguments, missing or unreadable files, bad formats).
            Commands that talk to a node read its URL and admin token from --dir (default ./dataspace-node, or $DATASPACE_DIR).
            """,
        version: "dataspace \(DataspaceVersion.current)",
        subcommands: [
            InitCommand.self, ServeCommand.self, RegisterCommand.self, MembershipCommand.self, AdminCommand.self,
            PublishCommand.self, UpdateCommand.self, WithdrawCommand.self, DatasetsCommand.self, ShowCommand.self,
            SearchCommand.self, ResolveCommand.self, CatalogCommand.self, NegotiateCommand.self, NegotiationsCommand.self,
            AgreementsCommand.self, FetchCommand.self, UsageCommand.self, LedgerCommand.self, QualityCommand.self, TraceCommand.self,
            GradeCommand.self, StatusCommand.self, ReconcileCommand.self, QueryCommand.self, BudgetCommand.self, PSICommand.self, AggregateCommand.self, AccountsCommand.self, LoginCommand.self, LogoutCommand.self, DemoCommand.self,
            BenchCommand.self,
        ])
}
