import Foundation
import Synchronization

/// Shows the progress of long work on standard error: a redrawn bar with rate and time left on a
/// terminal, a plain line at most once a second otherwise (logs, CI).
final class ProgressReporter: Sendable {
    private struct State {
        var done: Int64 = 0
        var note: String?
        var lastDraw: Double = 0
    }

    private let label: String
    private let unit: String
    private let total: Int64?
    private let start = ProcessInfo.processInfo.systemUptime
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let state = Mutex(State())

    init(_ label: String, unit: String = "events", total: Int64? = nil) {
        self.label = label
        self.unit = unit
        self.total = total
    }

    /// Records that `done` units are finished (and what else to show, such as "3/10 tenants");
    /// redraws when it is time to.
    func update(_ done: Int64, note: String? = nil) {
        let now = ProcessInfo.processInfo.systemUptime
        let line: String? = state.withLock { state in
            state.done = done
            if let note { state.note = note }
            guard now - state.lastDraw >= (isTerminal ? 0.1 : 1.0) else { return nil }
            state.lastDraw = now
            return render(done, note: state.note, elapsed: now - start)
        }
        if let line { emit(line, final: false) }
    }

    /// Draws the final state and ends the line.
    func finish() {
        let (done, note) = state.withLock { ($0.done, $0.note) }
        emit(render(done, note: note, elapsed: ProcessInfo.processInfo.systemUptime - start), final: true)
    }

    private func render(_ done: Int64, note: String?, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let label = note.map { "\(self.label) \($0)" } ?? self.label
        var line = "\(label): \(done)"
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let filled = Int(fraction * 24)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 24 - filled)
            let left = rate > 0 ? Double(total - done) / rate : 0
            line = "\(label) [\(bar)] \(Int(fraction * 100))% \(done)/\(total) \(unit), \(Int(rate)) \(unit)/s, "
                + String(format: "%.0fs left", max(0, left))
        } else {
            line += " \(unit), \(Int(rate)) \(unit)/s"
        }
        return line
    }

    private func emit(_ line: String, final: Bool) {
        let text = isTerminal ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
