/// The default controls a GB/T 43697-2024 grade imposes on every agreement and delivery, before
/// and on top of the product's own ODRL policy (the stricter always applies):
///
/// - core data never leaves the node: no agreement releases it, only computation in place;
/// - important data leaves only to a recipient the agreement names (an `assignee` DID the
///   consumer proved with its membership credential), and only watermarked, with the sensitive
///   columns the assessment found masked (added to the product's protection when it is graded);
/// - general data follows its policy.
public enum GradeControls {
    /// The rule path reasons from these controls carry, so they read apart from policy reasons.
    public static let rule = "grade"

    /// Whether an agreement may be made for data of `grade` with this recipient.
    /// - Parameters:
    ///   - assignee: the DID the agreement names as its assignee (nil when it names nobody).
    ///   - verifiedRecipient: the consumer DID established by its membership credential, if any.
    ///   - offeredActions: the actions the offer's permissions grant; core data may be agreed only
    ///     when every one of them is `compute` (computation in place, docs/privacy.md).
    public static func agreement(grade: DataGrade, assignee: String?, verifiedRecipient: String?, offeredActions: Set<String> = []) -> PolicyDecision {
        switch grade.level {
        case .core:
            guard !offeredActions.isEmpty, offeredActions == ["compute"] else {
                return deny("core data (核心数据) never leaves the node; only computation in place can be agreed (GB/T 43697-2024): its offer may grant compute only")
            }
            return PolicyDecision(permitted: true, reasons: [PolicyReason(rule: rule, message: "core data: computation in place only; no row leaves the node")])
        case .important:
            guard let assignee, !assignee.isEmpty else {
                return deny("important data (重要数据) is released only under an agreement that names its recipient; the agreement has no assignee")
            }
            guard let verifiedRecipient, verifiedRecipient == assignee else {
                return deny("important data (重要数据) is released only to a recipient identified by a membership credential; \(assignee) presented none")
            }
            return PolicyDecision(permitted: true, reasons: [PolicyReason(rule: rule, message: "important data: named recipient \(assignee)")])
        case .general:
            return PolicyDecision(permitted: true, reasons: [PolicyReason(rule: rule, message: "general data follows its policy")])
        }
    }

    /// Whether a delivery may leave with this protection.
    public static func delivery(grade: DataGrade, protection: DeliveryProtection, assignee: String?, consumer: String) -> PolicyDecision {
        switch grade.level {
        case .core:
            return deny("core data (核心数据) never leaves the node; only computation in place is possible")
        case .important:
            guard assignee == consumer else {
                return deny("important data (重要数据) is delivered only to the recipient the agreement names; \(consumer) is not \(assignee ?? "named")")
            }
            // Masking of the sensitive columns the assessment found is added at publish time;
            // the watermark is what every important delivery must carry.
            guard protection.watermark else {
                return deny("important data (重要数据) leaves only watermarked; the product's delivery protection has no watermark")
            }
            return PolicyDecision(permitted: true, reasons: [PolicyReason(rule: rule, message: "important data: masked (\(protection.masking.count) columns) and watermarked")])
        case .general:
            return PolicyDecision(permitted: true, reasons: [PolicyReason(rule: rule, message: "general data follows its policy")])
        }
    }

    static func deny(_ message: String) -> PolicyDecision {
        PolicyDecision(permitted: false, reasons: [PolicyReason(rule: rule, message: message)])
    }
}
