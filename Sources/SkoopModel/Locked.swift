#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value that several threads share, behind a lock.
///
/// A pthread mutex rather than `Synchronization.Mutex`: when a Mutex is contended it hands over
/// through futex syscalls in a library ThreadSanitizer does not instrument, so TSan reports
/// races that are not there (see Tests/Fuzz/tsan-suppressions.txt); a pthread mutex it sees.
/// The whole suite runs under TSan, and the walk and the background reading of nodes contend.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched with `lock` held.
    private let lock = Lock()
    private var value: Value

    /// Makes the lock around `value`.
    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` on the value with the lock held.
    public func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        try lock.withLock { () throws(E) -> Result in try body(&value) }
    }
}

/// A lock that guards no value of its own, only a stretch of work (one thread at a time).
/// Kept apart from `Locked<Void>`: TSan reports a zero-sized guarded value as raced.
public final class Lock: @unchecked Sendable {
    // @unchecked: the mutex is the only state, and pthread makes it safe to share.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Makes an unlocked lock.
    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the lock held.
    public func withLock<Result, E: Error>(_ body: () throws(E) -> Result) throws(E) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
