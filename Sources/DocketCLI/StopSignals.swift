import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT (Ctrl-C) and SIGTERM into a graceful stop: the default handlers (which would
/// end the process at once) are ignored while it is installed, and a Dispatch source calls
/// `onStop` instead. A second signal ends the process at once (exit code 130), for a stop
/// that hangs; kill -9 is safe too, since everything acknowledged is in the journal.
final class StopSignals {
    private var sources: [any DispatchSourceSignal] = []
    private var previous: [(Int32, sighandler_t?)] = []

    init(onStop: @escaping @Sendable (String) -> Void) {
        let count = Counter()
        for (number, name) in [(SIGINT, "interrupt (SIGINT)"), (SIGTERM, "terminate (SIGTERM)")] {
            previous.append((number, signal(number, SIG_IGN)))
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if count.increment() > 1 { _exit(130) }
                onStop(name)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Removes the sources and restores the handlers that were there before.
    func cancel() {
        for source in sources { source.cancel() }
        sources = []
        for (number, handler) in previous { signal(number, handler) }
        previous = []
    }

    private final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    }
}
