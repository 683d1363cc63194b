import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// Device pairing, DM pairing and exec approvals, as the runtime holds them. Reading a list records what changed
/// since the last read (requests and codes the gateway minted, ones that left the list); an
/// approval names the runtime's own request id or code (read from the runtime first when ClawCloud
/// has not seen it yet) and is gated.
extension API {
    func addPairingRoutes() {
        let services = services
        route(.get, "openclaw/runtime/devices", "Devices {pending, paired}, from the runtime; new and vanished requests are recorded.",
              answers: ["type": "object", "required": ["pending", "paired"], "properties": ["pending": ["type": "array"], "paired": ["type": "array"]]]) { _, context in
            try await services.observedRead(context, "/v1/devices") { _ = try await $0.devices($1) }
        }

        route(.post, "openclaw/runtime/devices/:requestId/approve", "Approve a device pairing request the runtime holds (gated). "
              + "The runtime's answer is the outcome: {approved:false} when it no longer holds the request.", write: true,
              accepts: .gated(path: ["requestId": Schema.identifierInPath]),
              answers: ResponseShape.gated(ResponseShape.object(["approved": ResponseShape.boolean, "requestId": ResponseShape.string]))) { request, context in
            let requestId = try context.pathParameter("requestId")
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                let approvalId = try request.approvalId(body: body)
                if approvalId == nil {
                    try await services.requireInstance(store)
                    let known = try await services.streamCache.state(of: Streams.device(requestId), as: DevicePairingDecider.self, in: store)
                    if known.status == .none {
                        try await services.observe("/v1/devices", store: store, tenant: tenant, requestID: context.requestID) { _ = try await $0.devices($1) }
                    }
                }
                return try await services.gate(request, context, store: store, action: .approveDevice(requestId: requestId), approvalId: approvalId, body: body) { data in
                    Envelope.ok(["approved": data["approved"] ?? true, "requestId": .string(requestId)])
                }
            }
        }

        route(.get, "openclaw/runtime/exec-approvals", "Exec approvals pending in the runtime {pending}; new ones are recorded (and then answered at /api/approvals/:id/respond).") { _, context in
            try await services.observedRead(context, "/v1/exec-approvals") { _ = try await $0.execApprovals($1) }
        }

        route(.get, "openclaw/runtime/pairing/:channel", "DM pairing requests of a channel, from the runtime; new codes and expired ones are recorded.",
              accepts: RequestShape(path: ["channel": Schema.channel]),
              answers: ["type": "object", "required": ["channel", "requests"], "properties": ["channel": ResponseShape.string, "requests": ["type": "array"]]]) { _, context in
            let channel = try context.pathParameter("channel")
            try DmPairingDecider.checkChannel(channel)
            return try await services.observedRead(context, "/v1/pairing/\(Effects.segment(channel))") { _ = try await $0.pairing(channel: channel, $1) }
        }

        route(.post, "openclaw/runtime/pairing/:channel/approve", "Approve a DM pairing code the runtime minted {code, notify?} (gated).", write: true,
              accepts: .gated(["code": ["type": "string", "pattern": "^[A-Z0-9]{1,32}$"], "notify": Schema.boolean], required: ["code"],
                              path: ["channel": Schema.channel]),
              answers: ResponseShape.gated(ResponseShape.object(["approved": ResponseShape.boolean, "channel": ResponseShape.string, "code": ResponseShape.string,
                                                                 "stdout": ResponseShape.opaque, "stderr": ResponseShape.opaque]))) { request, context in
            let channel = try context.pathParameter("channel")
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            guard let code = body?["code"]?.stringValue, !code.isEmpty else { throw APIError.badRequest("missing code") }
            try DmPairingDecider.checkChannel(channel)
            try DmPairingDecider.checkCode(code)
            let notify = body?["notify"] == true
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                let approvalId = try request.approvalId(body: body)
                if approvalId == nil {
                    try await services.requireInstance(store)
                    let known = try await services.streamCache.state(of: Streams.dmPairing(channel), as: DmPairingDecider.self, in: store)
                    if !DmPairingDecider.isPending(known, code: code) {
                        try await services.observe("/v1/pairing/\(Effects.segment(channel))", store: store, tenant: tenant, requestID: context.requestID) {
                            _ = try await $0.pairing(channel: channel, $1)
                        }
                    }
                }
                return try await services.gate(request, context, store: store, action: .approveDmPairing(channel: channel, code: code, notify: notify),
                                               approvalId: approvalId, body: body) { data in
                    Envelope.ok(["approved": true, "channel": .string(channel), "code": .string(code),
                                 "stdout": data["stdout"] ?? "", "stderr": data["stderr"] ?? ""])
                }
            }
        }
    }
}
