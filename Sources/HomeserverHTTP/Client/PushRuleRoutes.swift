import Homeserver
import Hummingbird
import MatrixAPI
import MatrixCore

/// Reading push rules: `GET /pushrules/`, `/pushrules/global/` and
/// `/pushrules/global/{kind}/{ruleId}[/enabled|/actions]`.
///
/// Every user has the spec's predefined rules (``PushRuleset/predefined(for:)``); changing them
/// comes with the push worker.
public struct PushRuleRoutes: Sendable {
    public init() {}

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("pushrules") { _, context in
                ["global": .object(try Self.ruleset(context).json)] as JSONObject
            }
            group.get("pushrules/global") { _, context in
                try Self.ruleset(context).json
            }
            group.get("pushrules/global/:kind/:ruleId") { _, context in
                try Self.rule(context).json
            }
            group.get("pushrules/global/:kind/:ruleId/enabled") { _, context in
                ["enabled": .bool(try Self.rule(context).enabled)] as JSONObject
            }
            group.get("pushrules/global/:kind/:ruleId/actions") { _, context in
                ["actions": .array(try Self.rule(context).actions.map(\.json))] as JSONObject
            }
        }
    }

    private static func ruleset(_ context: MatrixRequestContext) throws -> PushRuleset {
        PushRuleset.predefined(for: try context.requireRequester().userID)
    }

    /// The rule the `kind` and `ruleId` path parameters name: `400` for an unknown kind, `404` for
    /// an unknown rule.
    private static func rule(_ context: MatrixRequestContext) throws -> PushRule {
        guard let kind = PushRuleKind(rawValue: try context.pathParameter("kind")) else {
            throw MatrixError(.invalidParam, "Unknown push rule kind")
        }
        guard let rule = try ruleset(context).rule(kind, id: try context.pathParameter("ruleId")) else {
            throw MatrixError(.notFound, "Unknown push rule")
        }
        return rule
    }
}
