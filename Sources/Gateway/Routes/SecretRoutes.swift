import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// `/api/openclaw/instance/secrets`: a tenant's own model-provider keys, sealed at rest (see
/// ``SecretBox`` and ``SecretTable``). Values go in and are never given back: the list shows
/// names, fingerprints and when each was last set, and the runtime receives the values in its
/// provider-key headers on the tenant's model calls.
extension API {
    func addSecretRoutes() {
        let services = services
        let secretName = Schema.choice(ProviderSecret.allCases.map(\.rawValue))
        // Provider keys are printable ASCII: 1–4096 characters, not all spaces.
        let secretValue: JSONValue = ["type": "string", "pattern": #"^(?=.*[\x21-\x7E])[\x20-\x7E]{1,4096}$"#]
        route(.get, "openclaw/instance/secrets", "The tenant's stored secrets {secrets: [{name, fingerprint, rotatedAt}]}; never their values.") { _, context in
            try await services.stores.withTenant(context.requireTenant()) { store in
                let rows = try await store.read { db in try store.projector.rows(db, "instance", "secrets", RowQuery(order: .ascending, limit: 100)) }
                return Envelope.ok(["secrets": .array(rows.map(\.json))])
            }
        }

        route(.put, "openclaw/instance/secrets/:name",
              "Store or replace a provider key {value} (openai_api_key, openrouter_api_key, anthropic_api_key): {name, fingerprint}.",
              write: true, accepts: RequestShape(path: ["name": secretName], body: Schema.object(["value": secretValue], required: ["value"]))) { request, context in
            let name = try context.pathParameter("name")
            guard ProviderSecret(rawValue: name) != nil else {
                throw APIError.badRequest("unknown secret \(name); one of \(ProviderSecret.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let body = try await request.json(SecretValue.self, limit: services.configuration.bodyLimit)
            guard body.value.utf8.count <= 4_096, body.value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }),
                  body.value.utf8.contains(where: { $0 != 0x20 }) else {
                throw APIError.badRequest("value must be 1-4096 printable ASCII characters, not all spaces")
            }
            let box = try services.requireSecretBox()
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                try await services.withSecretsTurn(store) {
                    let fingerprint = box.fingerprint(body.value)
                    let sealed = try box.seal(body.value, tenant: tenant.rawValue, name: name)
                    // The sealed value first: the event that names it is appended only once it is stored.
                    try await store.write { db in try SecretTable.put(db, name: name, fingerprint: fingerprint, sealed) }
                    let outcome = try await services.command(InstanceDecider.self, .rotateSecret(name: name, fingerprint: fingerprint), on: Streams.instance,
                                                             in: store, request, context)
                    try await services.pruneSecrets(store)
                    return Envelope.ok(["name": .string(name), "fingerprint": .string(fingerprint)], position: outcome.position)
                }
            }
        }

        route(.delete, "openclaw/instance/secrets/:name", "Remove a stored secret: {name, removed}; its sealed value is deleted.", write: true,
              accepts: RequestShape(path: ["name": secretName])) { request, context in
            let name = try context.pathParameter("name")
            return try await services.stores.withTenant(context.requireTenant()) { store in
                try await services.withSecretsTurn(store) {
                    let outcome = try await services.command(InstanceDecider.self, .removeSecret(name: name), on: Streams.instance, in: store, request, context)
                    try await services.pruneSecrets(store)
                    return Envelope.ok(["name": .string(name), "removed": true], position: outcome.position)
                }
            }
        }
    }
}

extension Services {
    /// Runs `body` in the tenant's turn for secrets: a value is sealed before its event and pruned
    /// after, and no other change of the tenant's secrets comes in between.
    func withSecretsTurn<T>(_ store: EventStore, _ body: () async throws -> T) async throws -> T {
        try await inTurn("secrets", of: store, body)
    }

    /// Deletes the sealed values no current secret names (replaced or removed ones).
    func pruneSecrets(_ store: EventStore) async throws {
        try await store.write { db in try SecretTable.prune(db, store.projector) }
    }

    func requireSecretBox() throws -> SecretBox {
        guard let secretBox else {
            throw APIError(.serviceUnavailable, "CLAWCLOUD_ENCRYPTION_KEY is not configured: secrets cannot be stored", code: "not_configured")
        }
        return secretBox
    }

    /// The runtime client for the tenant's instance (its recorded sandbox id), carrying the
    /// tenant's provider keys, each in its header, when `keys` — on every call that may start or
    /// restart the gateway, as the runtime applies keys only at a start. A key that is recorded
    /// but cannot be opened (no or another encryption key, or a store restored without its sealed
    /// values) fails the call rather than silently leaving the key out.
    func runtimeClient(for store: EventStore, tenant: TenantID, keys: Bool = true) async throws -> RuntimeClient {
        let instance = try await store.read { db in try store.projector.instance(db) }
        let runtime = try runtimeClient().on(instance?.sandboxId ?? tenant.rawValue)
        guard keys else { return runtime }
        let current = try await store.read { db in
            try SecretTable.current(db, store.projector).compactMap { name, fingerprint -> (ProviderSecret, SecretBox.Sealed?)? in
                guard let secret = ProviderSecret(rawValue: name) else { return nil }
                return (secret, try SecretTable.sealed(db, name: name, fingerprint: fingerprint))
            }.sorted { $0.0.rawValue < $1.0.rawValue }
        }
        guard !current.isEmpty else { return runtime }
        let box = try requireSecretBox()
        return runtime.adding(try current.map { secret, sealed in
            guard let sealed, let value = box.open(sealed, tenant: tenant.rawValue, name: secret.rawValue) else {
                throw APIError(.conflict, "the stored \(secret.rawValue) cannot be opened with the configured CLAWCLOUD_ENCRYPTION_KEY; store it again")
            }
            return (secret.header, value)
        })
    }
}

private struct SecretValue: Decodable {
    var value: String
}
