@testable import Domain
import Foundation
import Synchronization
import Testing

/// A deterministic context: a fixed clock and ids `id-1`, `id-2`, ….
func context(now: Millis = 1_000_000, actor: String = "user_admin") -> DecisionContext {
    let counter = Mutex(0)
    return DecisionContext(actor: actor, tenant: "user_1", now: now, newID: { "id-\(counter.withLock { $0 += 1; return $0 })" })
}

/// Given `events`, when `command`, then the events `D` decides.
func when<D: Decider>(
    _ decider: D.Type, given events: [DomainEvent] = [], _ command: D.Command, _ context: DecisionContext = context()
) throws -> [DomainEvent] {
    try D.decide(command, D.fold(events), context)
}

/// The error `body` throws, or nil.
func domainError(_ body: () throws -> Any) -> DomainError? {
    do {
        _ = try body()
        return nil
    } catch let error as DomainError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
