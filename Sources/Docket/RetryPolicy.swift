import Foundation

/// How long a task waits before its next attempt after a failed one. How many attempts there
/// are is the task's `maxAttempts`; the policy only sets the delays.
///
/// ```swift
/// .exponential(initial: .seconds(1), multiplier: 2, maximum: .seconds(600), jitter: 0.2)
/// .fixed(.seconds(30))
/// .never                       // no retry: the first failure is final
/// .custom(name: "billing")     // DocketConfiguration.retryFunctions["billing"]
/// ```
public enum RetryPolicy: Sendable, Hashable {
    /// `initial · multiplier^(attempt-1)`, at most `maximum`, then spread by ±`jitter` (a share
    /// of the delay, 0…1) so retries of many tasks do not arrive together. The default.
    case exponential(initial: Duration = .seconds(1), multiplier: Double = 2, maximum: Duration = .seconds(3600), jitter: Double = 0.1)
    /// The same delay after every failed attempt.
    case fixed(Duration)
    /// No retry: the first failure moves the task to `failed`.
    case never
    /// A function of the attempt number that returns the delay, or nil for no more retries,
    /// registered under `name` in `DocketConfiguration.retryFunctions`. Tasks store the name,
    /// so the function is found again after a restart.
    case custom(name: String)

    /// `exponential()` with its defaults: 1 s, ×2, at most 1 h, ±10 %.
    public static let `default` = RetryPolicy.exponential()

    /// The delay after failed attempt number `attempt` (1-based), or nil when the policy gives
    /// up. `unit` is a uniform random number in 0..<1 for the jitter, drawn by the caller so that
    /// the result can be journaled.
    func delay(afterAttempt attempt: Int, unit: Double, functions: [String: @Sendable (Int) -> Duration?]) -> Micros? {
        switch self {
        case .exponential(let initial, let multiplier, let maximum, let jitter):
            let base = Double(Time.micros(initial))
            let cap = Double(Time.micros(maximum))
            // A zero initial delay stays zero (0 × ∞ would be NaN, read as the cap below).
            let grown = base == 0 ? 0 : base * pow(max(1, multiplier), Double(max(0, attempt - 1)))
            let capped = min(cap, grown.isFinite ? grown : cap)
            let spread = max(0, min(1, jitter))
            let jittered = capped * (1 - spread + 2 * spread * unit)
            return Micros(max(0, min(Double(Time.limit), jittered.rounded())))
        case .fixed(let d):
            return max(0, Time.micros(d))
        case .never:
            return nil
        case .custom(let name):
            guard let f = functions[name], let d = f(attempt) else { return nil }
            return max(0, Time.micros(d))
        }
    }

    /// Problems with the values, or a custom name with no function in `functions`, for a
    /// typed error at enqueue or registration time (a missing function would mean no retries).
    func problem(functions: [String: @Sendable (Int) -> Duration?]) -> String? {
        if case .custom(let name) = self, !name.isEmpty, functions[name] == nil {
            let known = functions.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return "no function \"\(name)\" in DocketConfiguration.retryFunctions (known: \(known.isEmpty ? "none" : known))"
        }
        return problem
    }

    /// Problems with the values themselves.
    var problem: String? {
        switch self {
        case .exponential(let initial, let multiplier, let maximum, let jitter):
            if initial < .zero || maximum < .zero { return "the delays must not be negative" }
            if !multiplier.isFinite || multiplier < 1 { return "the multiplier must be a finite number ≥ 1" }
            if !jitter.isFinite || jitter < 0 || jitter > 1 { return "the jitter must be between 0 and 1" }
            return nil
        case .fixed(let d):
            return d < .zero ? "the delay must not be negative" : nil
        case .never:
            return nil
        case .custom(let name):
            return name.isEmpty ? "a custom policy needs a name" : nil
        }
    }
}
