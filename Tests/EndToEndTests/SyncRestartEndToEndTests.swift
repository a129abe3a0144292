import Foundation
import HomeserverTesting
import MatrixCore
import Testing

/// DESIGN.md invariant 2 for `/sync`: Redis only wakes long-polls, the data comes from
/// PostgreSQL by position, so losing Redis or restarting the sync worker mid-conversation loses
/// nothing, and a token from before the restart still works.
@Suite("Sync across a Redis outage and a sync worker restart")
struct SyncRestartEndToEndTests {
    @Test("messages sent while Redis is down and across a sync restart all reach the syncing user, once",
          .timeLimit(.minutes(5)))
    func restartMidConversation() async throws {
        let redis = try await RedisServerProcess.start()
        let cluster = try await LocalCluster.start(redisPort: redis.port)
        do {
            try await converse(through: cluster, redis: redis)
        } catch {
            await cluster.cleanUp()
            await redis.stop()
            throw error
        }
        await cluster.cleanUp()
        await redis.stop()
    }

    func converse(through cluster: LocalCluster, redis: RedisServerProcess) async throws {
        let api = ClusterClient(baseURL: cluster.baseURL)
        let alice = try await api.register("alice"), bob = try await api.register("bob")
        let created = try await api.call("POST", "createRoom", token: alice, ["preset": "public_chat"])
        let roomID = try #require(created.json["room_id"]?.stringValue, "\(created.body)")
        let room = "rooms/\(escaped(roomID))"
        #expect(try await api.call("POST", "\(room)/join", token: bob, [:]).status == 200)
        let initial = try await api.call("GET", "sync", token: bob)
        var token = try #require(try initial.json["next_batch"]?.stringValue)

        // Redis down: the send commits (its announcement is only logged as failed) and sync
        // serves it from PostgreSQL.
        await redis.stop()
        #expect(try await api.call("PUT", "\(room)/send/m.room.message/t1", token: alice,
                                   ["msgtype": "m.text", "body": "while redis is down"]).status == 200)
        let duringOutage = try await api.call("GET", "sync?since=\(token)&timeout=0", token: bob)
        #expect(try Self.bodies(duringOutage.json, roomID) == ["while redis is down"], "\(duringOutage.body)")
        token = try #require(try duringOutage.json["next_batch"]?.stringValue)

        // Redis back, the sync worker restarted: the old token still works, and a long-poll on
        // the new worker is woken by the next message.
        try await redis.restart()
        try await cluster.restart("sync-1")
        async let polled = api.call("GET", "sync?since=\(token)&timeout=240000", token: bob)
        try await eventually(within: .seconds(30)) {
            let metrics = try await Curl.request("http://127.0.0.1:\(try Self.syncMetricsPort(cluster))/metrics")
            guard metrics.body.contains("trellis_sync_long_polls 1") else { throw LongPollNotWaiting() }
        }
        #expect(try await api.call("PUT", "\(room)/send/m.room.message/t2", token: alice,
                                   ["msgtype": "m.text", "body": "after the restart"]).status == 200)
        let woken = try await polled
        #expect(try Self.bodies(woken.json, roomID) == ["after the restart"], "\(woken.body)")
    }

    static func bodies(_ response: JSONValue, _ roomID: String) -> [String] {
        response["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue?
            .compactMap { $0["content"]?["body"]?.stringValue } ?? []
    }

    static func syncMetricsPort(_ cluster: LocalCluster) throws -> Int {
        try #require(cluster.workers.first { $0.kind == "sync" }).metricsPort
    }
}

struct LongPollNotWaiting: Error {}
