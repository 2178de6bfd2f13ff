import DataspaceCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The language portal pages are shown in: Chinese, English, or both side by side. A person's
/// choice (the switch in every page's header, kept in a cookie) wins; otherwise the browser's
/// `Accept-Language`; a client that states no preference (scripts, `curl`) gets both.
enum PortalLanguage: String, Sendable, CaseIterable {
    case zh, en, both

    static let cookie = "dataspace_lang"

    /// The language of the request being answered (set by `PortalLanguageMiddleware`).
    @TaskLocal static var current: PortalLanguage = .both
    /// The path and query of the request being answered, for the switch to return to.
    @TaskLocal static var currentPath: String = "/"

    init(_ request: Request) {
        if let chosen = RequestCookies(request)[Self.cookie].flatMap(PortalLanguage.init(rawValue:)) {
            self = chosen
        } else {
            self = Self.negotiate(request.headers[.acceptLanguage])
        }
    }

    /// The first of Chinese or English by the header's weights; `both` when it names neither.
    static func negotiate(_ header: String?) -> PortalLanguage {
        guard let header, header.utf8.count <= 1_000 else { return .both }
        var best: (language: PortalLanguage, weight: Double)?
        for (position, item) in header.split(separator: ",").prefix(32).enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased() else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard let language: PortalLanguage = primary == "zh" ? .zh : primary == "en" ? .en : nil else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                guard let q = Double(parameter.dropFirst(2)), q.isFinite, (0...1).contains(q) else { weight = 0; continue }
                weight = q
            }
            // Equal weights keep the header's order.
            let adjusted = weight - Double(position) * 1e-6
            if weight > 0, adjusted > (best?.weight ?? -1) { best = (language, adjusted) }
        }
        return best?.language ?? .both
    }

    var htmlLang: String { self == .en ? "en" : "zh-CN" }

    /// The same choice for the renderers outside the server (the quality report page).
    var choice: BilingualText.Choice {
        switch self {
        case .zh: .chinese
        case .en: .english
        case .both: .both
        }
    }

    func pick(_ zh: String, _ en: String) -> String { BilingualText.pick(zh, en, choice) }

    static func sideBySide(_ zh: String, _ en: String) -> String { BilingualText.sideBySide(zh, en) }

    /// Template source with every `[[中文|English]]` resolved for this language. Only template
    /// text (ours) is resolved, before rendering: values from people are never read for markers.
    func resolve(template: String) -> String { BilingualText.resolve(template, choice) }
}

/// A phrase the portal's code puts in a page, in both languages; resolved for the request's
/// language when the page renders (values people typed are plain strings and left alone).
struct Bilingual: Sendable, CustomStringConvertible {
    let zh: String
    let en: String
    /// The text shown when both languages are: by default the Chinese, then the English.
    let both: String

    init(_ zh: String, _ en: String) {
        self.zh = zh
        self.en = en
        both = PortalLanguage.sideBySide(zh, en)
    }

    init(zh: String, en: String, both: String) {
        self.zh = zh
        self.en = en
        self.both = both
    }

    var description: String {
        switch PortalLanguage.current {
        case .zh: zh
        case .en: en
        case .both: both
        }
    }

    /// A phrase followed by a detail in one language (a reason from the services, in English):
    /// `无法下架：…`, `Cannot withdraw: …`, and side by side `无法下架 Cannot withdraw: …`.
    static func + (phrase: Bilingual, detail: String) -> Bilingual {
        let zh = phrase.zh + (phrase.en.hasSuffix(":") && !phrase.zh.hasSuffix("：") ? "：" : "") + detail
        return Bilingual(zh: zh, en: phrase.en + " " + detail, both: phrase.both + " " + detail)
    }

    /// A context with every `Bilingual` replaced by the current language's text.
    static func resolve(_ value: Any) -> Any {
        switch value {
        case let phrase as Bilingual: phrase.description
        case let object as [String: Any]: object.mapValues(resolve)
        case let list as [[String: Any]]: list.map { $0.mapValues(resolve) }
        case let list as [Any]: list.map(resolve)
        default: value
        }
    }
}

/// Mustache templates registered once per language (`[[中文|English]]` resolved in each).
struct PortalTemplateLibrary: Sendable {
    private var libraries: [PortalLanguage: MustacheLibrary] = [:]

    init() {
        for language in PortalLanguage.allCases { libraries[language] = MustacheLibrary() }
    }

    mutating func register(_ template: String, named name: String) throws {
        for language in PortalLanguage.allCases {
            try libraries[language]?.register(language.resolve(template: template), named: name)
        }
    }

    /// Renders in the current request's language.
    func render(_ context: [String: Any], withTemplate name: String) -> String? {
        libraries[PortalLanguage.current]?.render(Bilingual.resolve(context), withTemplate: name)
    }
}

/// Sets the request's portal language and path for the pages it renders.
struct PortalLanguageMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = String(request.uri.description.prefix(2_000))
        return try await PortalLanguage.$current.withValue(PortalLanguage(request)) {
            try await PortalLanguage.$currentPath.withValue(path) { try await next(request, context) }
        }
    }
}
