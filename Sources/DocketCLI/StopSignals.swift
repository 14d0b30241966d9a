import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The write end of the pipe the signal handler writes to; -1 when no `StopSignals` is
/// installed.
// Safe without a lock: written only by `StopSignals` (installed by one command at a time) before
// its handler is installed and after it is removed, and read by the handler, which may only do
// async-signal-safe things (no locks); an `Int32` load or store is one instruction.
nonisolated(unsafe) private var stopSignalPipe: Int32 = -1

/// The handler: one byte, the signal's number, down the pipe (`write` is async-signal-safe).
private func stopSignalHandler(_ number: Int32) {
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(stopSignalPipe, &byte, 1)
}

/// Turns SIGINT (Ctrl-C) and SIGTERM into a graceful stop: while it is installed, a handler
/// writes each signal to a pipe, and a thread of its own calls `onStop` for it. A second signal
/// ends the process at once (exit code 130), for a stop that hangs; kill -9 is safe too, since
/// everything acknowledged is in the journal.
///
/// The handler is in place when `init` returns, so a signal sent right after (a test that
/// signals as soon as the demo says "running") is never lost. A Dispatch signal source, used
/// before, registers asynchronously: a signal in that window was ignored, and the demo ran on.
final class StopSignals {
    private var previous: [(Int32, sighandler_t?)] = []
    private var ends: (read: Int32, write: Int32) = (-1, -1)
    private let readerDone = DispatchSemaphore(value: 0)

    init(onStop: @escaping @Sendable (String) -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        ends = (fds[0], fds[1])
        stopSignalPipe = fds[1]
        let readEnd = fds[0], done = readerDone, ready = DispatchSemaphore(value: 0)
        Thread {
            defer { done.signal() }
            // A thread that takes the signals: a process started with them blocked (a child
            // of a thread that blocks them, as libdispatch's do) would keep them pending for good.
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGINT)
            sigaddset(&set, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            ready.signal()
            var seen = 0
            while true {
                var byte: UInt8 = 0
                let n = read(readEnd, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                // End of file: `cancel` closed the write end.
                guard n == 1 else { return }
                seen += 1
                if seen > 1 { _exit(130) }
                onStop(Int32(byte) == SIGINT ? "interrupt (SIGINT)" : "terminate (SIGTERM)")
            }
        }.start()
        ready.wait()
        for number in [SIGINT, SIGTERM] {
            previous.append((number, signal(number, stopSignalHandler)))
        }
    }

    /// Restores the previous handlers and ends the reader (the pipe closed behind it).
    func cancel() {
        for (number, handler) in previous { signal(number, handler) }
        previous = []
        guard ends.write >= 0 else { return }
        stopSignalPipe = -1
        close(ends.write)
        // The reader sees end of file; its read end is closed once it has returned, not under
        // a read that is still blocked on it.
        readerDone.wait()
        close(ends.read)
        ends = (-1, -1)
    }
}
