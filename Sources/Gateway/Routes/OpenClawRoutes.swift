import Domain
import EventStore
import Foundation
import Hummingbird
import NIOHTTP1
import Projections

/// The plan's `/api/openclaw/*` routes for the instance, with the original paths and `data`
/// shapes. Provision, restart and delete are gated (see ``Services/gate(_:_:store:action:approvalId:_:)``).
extension API {
    func addOpenClawRoutes() {
        let services = services
        route(.get, "openclaw/instance", "The instance summary {status, runtime_name, created_at, updated_at, last_ready_at}, or null (none, or deleted).",
              answers: ResponseShape.instanceOrNull) { _, context in
            try await services.stores.withTenant(context.requireTenant()) { store in Envelope.ok(try await services.instanceSummary(store)) }
        }

        route(.get, "openclaw/principal", "Who the caller is: {tenant_id, principal_type: agent (a tenant id starting with agent:) | human}.",
              answers: ResponseShape.object(["tenant_id": ResponseShape.string, "principal_type": ["enum": ["agent", "human"]]])) { _, context in
            let tenant = try context.requireTenant().rawValue
            return Envelope.ok(["tenant_id": .string(tenant), "principal_type": tenant.hasPrefix("agent:") ? "agent" : "human"])
        }

        route(.post, "openclaw/instance", "Provision the instance (gated; idempotent while one exists).", write: true, accepts: .gated(),
              answers: ResponseShape.gated(ResponseShape.instanceSummary)) { request, context in
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let current = try await services.instanceSummary(store)
                let approvalId = try request.approvalId(body: body)
                // Idempotent while an instance exists (unless an approval of this very call is still to be answered).
                if approvalId == nil, let status = current["status"]?.stringValue, status != "error",
                   try await store.read({ db in try store.projector.approval(db, forInput: Services.inputDigest(request, body: body)) }) == nil {
                    return Envelope.ok(current)
                }
                return try await services.gate(request, context, store: store, action: .provision(instanceType: "standard"), approvalId: approvalId, body: body) { _ in
                    Envelope.ok(try await services.instanceSummary(store))
                }
            }
        }

        route(.delete, "openclaw/instance", "Delete the instance: stops the gateway (gated).", write: true, accepts: .gated(),
              answers: ResponseShape.gated(ResponseShape.object(["deleted": ResponseShape.boolean]))) { request, context in
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                try await services.gate(request, context, store: store, action: .deleteInstance, approvalId: try request.approvalId(body: body), body: body) { _ in
                    Envelope.ok(["deleted": true])
                }
            }
        }

        route(.post, "openclaw/runtime/restart", "Restart the gateway (gated).", write: true, accepts: .gated(),
              answers: ResponseShape.gated(ResponseShape.object(["message": ResponseShape.string]))) { request, context in
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let approvalId = try request.approvalId(body: body)
                // As the original: no instance, 404, before anything is held.
                if approvalId == nil { try await services.requireInstance(store) }
                return try await services.gate(request, context, store: store, action: .restart, approvalId: approvalId, body: body) { _ in
                    Envelope.ok(["message": "restarting"])
                }
            }
        }

        route(.post, "openclaw/runtime/backup", "Back the instance up: {lastBackup} (the backup's id in the X-Backup-Id header); 202 {status: in_progress, effectId} while it runs.",
              write: true, answers: ["oneOf": [ResponseShape.object(["lastBackup": ResponseShape.nullableString]), ResponseShape.inProgress]]) { request, context in
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                try await services.requireInstance(store)
                let backupId = "bk_\(UUID.random().storedSpelling)"
                let outcome = try await services.command(InstanceDecider.self, .requestBackup(backupId: backupId), on: Streams.instance, in: store,
                                                         request, context)
                guard case .backupRequested(let requested)? = outcome.events.first else { throw APIError(.internalServerError, "backup not recorded") }
                let effectId = "backup:\(requested.backupId)"
                let effect = try await store.read { db in try store.projector.effect(db, id: effectId) }
                var data: JSONValue = .null
                if let effect {
                    guard let done = try await Effects(services: services).perform(effect, tenant: tenant, store: store, within: services.configuration.effectWait)
                    else { return Services.inProgress(effectId, position: store.head) }
                    data = done
                }
                var response = Envelope.ok(["lastBackup": data["lastBackup"] ?? .null], position: store.head)
                response.headers[.init("X-Backup-Id")!] = requested.backupId
                return response
            }
        }

        route(.get, "openclaw/runtime/status", "The runtime's status {gateway, lastBackup, container, version}; recorded when it changed. "
              + "Starts a stopped gateway, as the runtime does.", answers: ResponseShape.opaque) { _, context in
            try await services.observedRead(context, "/v1/status") { _ = try await $0.status($1) }
        }
    }
}

extension Services {
    /// `InstanceSummary` as the original API shaped it, or null: none was provisioned, or it was
    /// deleted (its history stays in the log and the views).
    func instanceSummary(_ store: EventStore) async throws -> JSONValue {
        guard let instance = try await store.read({ db in try store.projector.instance(db) }), instance.status != "deleted" else { return .null }
        func time(_ ms: Millis?) -> JSONValue { ms.map(JSONValue.integer) ?? .null }
        return ["status": .string(instance.status), "runtime_name": instance.runtimeName.map(JSONValue.string) ?? .null, "created_at": time(instance.createdAt),
                "updated_at": time(instance.updatedAt), "last_ready_at": time(instance.lastReadyAt)]
    }

    /// Runtime calls need a ready instance: 404 without one, 409 while it is not ready.
    func requireInstance(_ store: EventStore) async throws {
        guard let status = try await instanceSummary(store)["status"]?.stringValue else { throw APIError.notFound("instance not found") }
        guard status == "ready" else { throw APIError(.conflict, "the instance is \(status)") }
    }

    func runtimeClient() throws -> RuntimeClient {
        guard let runtime = self.runtime else {
            throw APIError(.conflict, "no OpenClaw runtime is configured (CLAWCLOUD_RUNTIME_URL and CLAWCLOUD_SERVICE_TOKEN)")
        }
        return runtime
    }

    /// `202 {status: "in_progress", effectId}`: a runtime side effect is still under way; its
    /// outcome arrives on `/api/stream` and answers the next call.
    static func inProgress(_ effectId: String, position: Int64?) -> Response {
        Envelope.ok(["status": "in_progress", "effectId": .string(effectId)], status: .accepted, position: position)
    }
}
