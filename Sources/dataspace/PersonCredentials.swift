import DataspaceCore
import Foundation

/// The API tokens `dataspace login` saved, one per node URL, in a file only its owner can read:
/// `$DATASPACE_CREDENTIALS`, else `$XDG_CONFIG_HOME/dataspace/credentials.json`, else
/// `~/.config/dataspace/credentials.json`. Commands given `--node URL` act as the person whose
/// token is saved for that URL.
struct PersonCredentials {
    struct Entry: Codable, Equatable {
        var token: String
        var tokenID: String
        var login: String
        var expiresAt: String
    }

    let path: String

    static var standard: PersonCredentials {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["DATASPACE_CREDENTIALS"], !path.isEmpty { return PersonCredentials(path: path) }
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
        return PersonCredentials(path: config + "/dataspace/credentials.json")
    }

    /// A URL as the key: without a trailing slash.
    static func key(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    func all() throws -> [String: Entry] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        guard let data = FileManager.default.contents(atPath: path), let entries = try? JSONDecoder().decode([String: Entry].self, from: data) else {
            throw InputError("\(path) is not a credentials file this version reads; remove it and run 'dataspace login' again")
        }
        return entries
    }

    func entry(for url: String) throws -> Entry? { try all()[Self.key(url)] }

    /// Saves (or with nil, forgets) the token for `url`; the file and its folder are the owner's alone.
    func set(_ entry: Entry?, for url: String) throws {
        var entries = try all()
        entries[Self.key(url)] = entry
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(entries)
            let temporary = path + ".tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw LocalFailure("cannot write \(temporary)")
            }
            guard rename(temporary, path) == 0 else { throw LocalFailure("cannot replace \(path)") }
        } catch let failure as LocalFailure {
            throw failure
        } catch {
            throw LocalFailure("cannot save credentials in \(path); set DATASPACE_CREDENTIALS to a file you can write")
        }
    }
}
