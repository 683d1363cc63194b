/// The attempts at a runtime side effect (`effect-<effectId>`, the outbox's row of the same id).
///
/// The runtime ignores idempotency keys, so ClawCloud records an attempt **before** it calls:
/// after a crash or a lost answer, a started attempt may have reached the runtime, and is
/// reconciled by observing the runtime (``EffectReconciliation``), never by calling again blindly.

/// An attempt begins: the call is about to be sent.
public struct EffectStarted: EventPayload {
    public static let type = "effect.started"
    public let effectId: String
    public let kind: String
    public let attempt: Int64
    /// The server process that makes the call: an attempt of another process that has no outcome
    /// was cut short by a crash or a restart.
    public let boot: String
    public var stream: String { Streams.effect(effectId) }
}

/// The attempt did not take effect on the runtime: the call was never sent (the runtime could
/// not be reached), or the runtime was observed without it. The effect may be attempted again.
public struct EffectNotApplied: EventPayload {
    public static let type = "effect.not_applied"
    public let effectId: String
    public let reason: String
    public var stream: String { Streams.effect(effectId) }
}
