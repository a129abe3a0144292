import MatrixCore

/// The redacted form of `event` under `rules`: https://spec.matrix.org/v1.16/client-server-api/#redactions
///
/// Keeps the version's top-level keys and, inside `content`, the keys its event type keeps.
/// Like Synapse, `unsigned.age_ts` and `unsigned.replaces_state` survive (the spec keeps no
/// `unsigned` at all; this never matters for hashes or signatures, which exclude `unsigned`).
public func redacted(_ event: JSONObject, rules: RoomVersionRules) -> JSONObject {
    let redaction = rules.redaction
    var result = event.filter(keys: redaction.topLevelKeys)
    let content = event["content"]?.objectValue ?? [:]
    let type = event["type"]?.stringValue ?? ""

    var keptContent: JSONObject
    if type == "m.room.create", redaction.keepsAllCreateContent {
        keptContent = content
    } else {
        keptContent = content.filter(keys: redaction.contentKeys[type] ?? [])
        if type == "m.room.member", redaction.keepsThirdPartyInviteSigned,
           let invite = content["third_party_invite"]?.objectValue {
            keptContent["third_party_invite"] = .object(invite.filter(keys: ["signed"]))
        }
    }
    result["content"] = .object(keptContent)

    let unsigned = event["unsigned"]?.objectValue?.filter(keys: ["age_ts", "replaces_state"]) ?? [:]
    if !unsigned.isEmpty { result["unsigned"] = .object(unsigned) }
    return result
}
