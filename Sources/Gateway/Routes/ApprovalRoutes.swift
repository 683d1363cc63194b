import Domain
import EventStore
import Hummingbird
import Projections

/// `/api/approvals…`: the human approvals queue — held commands and the runtime's exec approvals.
extension API {
    func addApprovalRoutes() {
        let services = services
        route(.get, "approvals", "Approvals, newest first (?status=pending|resolved).",
              accepts: RequestShape(query: ["status": Schema.choice(["pending", "resolved"])])) { request, context in
            let status = try request.queryChoice("status", ["pending", "resolved"])
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let approvals = try await store.read { db in try store.projector.approvals(db, scope: status, limit: 500) }
                return Envelope.ok(.array(approvals.map(\.json)))
            }
        }

        route(.get, "approvals/:id", "One approval (a held command's id, or an exec approval's id).") { _, context in
            let id = try context.pathParameter("id")
            return try await services.stores.withTenant(context.requireTenant()) { store in
                Envelope.ok(try await services.approval(id, store).json)
            }
        }

        route(.post, "approvals/:id/respond",
              "Decide {decision}: approved|rejected for held commands (an approved one then runs), allow-once|allow-always|deny for exec approvals.",
              write: true, accepts: RequestShape(body: Schema.object(
                ["decision": Schema.choice(["approved", "rejected"] + ExecDecision.allCases.map(\.rawValue))], required: ["decision"]))) { request, context in
            let id = try context.pathParameter("id")
            let body = try await request.json(Decision.self, limit: services.configuration.bodyLimit)
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                let row = try await services.approval(id, store)
                if row.kind == "exec" {
                    let outcome = try await services.command(ExecApprovalDecider.self, .resolve(id: id, decision: body.decision),
                                                             on: Streams.execApproval(id), in: store, request, context)
                    // The decision goes to the runtime once, through the outbox.
                    let effect = try await store.read { db in try store.projector.effect(db, id: "exec:\(id)") }
                    if let effect, effect.status != .done, services.runtime != nil {
                        _ = try? await Effects(services: services).perform(effect, tenant: tenant, store: store, within: services.configuration.effectWait)
                    }
                    return Envelope.ok(try await services.approval(id, store).json, position: outcome.position)
                }
                let outcome = try await services.respondToHeld(id, decision: body.decision, request, context, store: store)
                var result: JSONValue = .null
                if body.decision == "approved" {
                    guard let done = try await services.runEffect(id, tenant: tenant, store: store) else {
                        let inProgress: JSONValue = ["status": "in_progress", "effectId": .string("approval:\(id)")]
                        return Envelope.ok(["approval": try await services.approval(id, store).json, "result": inProgress], status: .accepted, position: outcome.position)
                    }
                    result = done
                }
                return Envelope.ok(["approval": try await services.approval(id, store).json, "result": result], position: outcome.position)
            }
        }
    }
}

extension Services {
    /// Grants (releasing the held command in the same append) or denies a held approval.
    fileprivate func respondToHeld(_ id: String, decision: String, _ request: Request, _ context: ClawContext, store: EventStore) async throws -> CommandBus.Outcome {
        let approvalStream = Streams.approval(id)
        let held = try await streamCache.state(of: approvalStream, as: ApprovalDecider.self, in: store)
        guard let action = held.action else { throw APIError.notFound("approval \(id) not found") }
        switch decision {
        case "approved":
            let target = try await self.target(of: action, tenant: context.requireTenant(), store: store)
            let grant = {
                try await self.command(on: store, request, context, reading: [.stream(approvalStream, as: ApprovalDecider.self), target.read]) { states, decision in
                    try ApprovalRelease.grant(approvalId: id, approval: states[approvalStream, as: ApprovalDecider.self], target: target.state(states), decision)
                }
            }
            guard case .deleteInstance = action else { return try await grant() }
            // Deleting the instance removes its secrets: their sealed values go too.
            return try await withSecretsTurn(store) {
                let outcome = try await grant()
                try await pruneSecrets(store)
                return outcome
            }
        case "rejected":
            return try await command(ApprovalDecider.self, .deny(approvalId: id), on: approvalStream, in: store, request, context)
        default:
            throw APIError.badRequest("decision must be approved or rejected")
        }
    }

    fileprivate func approval(_ id: String, _ store: EventStore) async throws -> ApprovalRecord {
        guard let approval = try await store.read({ db in try store.projector.approval(db, id: id) }) else { throw APIError.notFound("approval \(id) not found") }
        return approval
    }
}

private struct Decision: Decodable {
    var decision: String
}
