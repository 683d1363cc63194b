import Hummingbird
import Logging

/// Builds the HTTP application: the routes, their auth groups and the error handling.
///
/// | group | credentials |
/// |---|---|
/// | `/api/health`, `/api/openclaw`, `/api/metrics`, `/api/openapi.json` | none |
/// | `/api/…` | `X-OA-Internal-Key` + `X-OA-User-Id` |
/// | `/api/admin/…` | the same, and the user listed in `CLAWCLOUD_ADMIN_USER_IDS` |
/// | `/api/openclaw/runtime/events` | `X-OpenAgents-Service-Token` + `X-OA-Instance-Id` (the runtime) |
public enum GatewayApp {
    public static func router(_ services: Services) -> Router<ClawContext> {
        let router = Router(context: ClawContext.self)
        router.add(middleware: CORSMiddleware())
        router.add(middleware: ErrorMiddleware(routes: services.routes, metrics: services.metrics))

        let open = API(services: services, group: router.group("api"), base: "/api", access: "public")
        open.addOpsRoutes()
        open.addAgentSignupRoute()

        let auth = AuthMiddleware(internalKey: services.configuration.internalKey, adminUserIDs: services.configuration.adminUserIDs, services: services)
        let idempotency = IdempotencyMiddleware(limit: max(services.configuration.bodyLimit, services.configuration.chatBodyLimit))
        let tenant = API(services: services, group: router.group("api").add(middleware: auth).add(middleware: idempotency), base: "/api", access: "tenant")
        tenant.addThreadRoutes()
        tenant.addThreadSaveRoute()
        tenant.addAccessRoutes()
        tenant.addViewRoutes()
        tenant.addStreamRoute()
        tenant.addApprovalRoutes()
        tenant.addOpenClawRoutes()
        tenant.addPairingRoutes()
        tenant.addSessionRoutes()
        tenant.addToolRoutes()
        tenant.addSecretRoutes()
        tenant.addChatRoute()
        tenant.addAgentKeyRoutes()
        tenant.addReadRoutes()

        let runtime = API(services: services,
                          group: router.group("api/openclaw/runtime/events").add(middleware: ServiceTokenMiddleware(serviceToken: services.configuration.serviceToken))
                            .add(middleware: idempotency),
                          base: "/api/openclaw/runtime/events", access: "service")
        runtime.addRuntimeEventRoutes()

        let admin = API(services: services, group: router.group("api/admin").add(middleware: auth).add(middleware: AdminMiddleware()).add(middleware: idempotency),
                        base: "/api/admin", access: "admin")
        admin.addAdminRoutes()
        admin.addOutboxRoute()
        return router
    }
}
