import Synchronization

/// A `CLIOutput` that many tasks can write to at once: each line goes out whole, one at a time.
///
/// `@unchecked Sendable`: the wrapped output is only touched inside `lock.withLock`, so at most
/// one thread uses it at a time.
final class SharedOutput: @unchecked Sendable {
    private let output: CLIOutput
    private let lock = Mutex(())

    init(_ output: CLIOutput) { self.output = output }

    func out(_ text: String) { lock.withLock { _ in output.out(text) } }
    func err(_ text: String) { lock.withLock { _ in output.err(text) } }
}
