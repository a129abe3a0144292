import CHiredis
import Foundation
import Logging
import Metrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One queued command. Its mutable state is guarded by the owning worker's `condition`.
final class RedisJob: @unchecked Sendable {
    let arguments: [[UInt8]]
    let retryOnReconnect: Bool
    let timeout: Duration
    var continuation: CheckedContinuation<RedisValue, any Error>?
    var cancelled = false
    var finished = false

    init(arguments: [[UInt8]], retryOnReconnect: Bool, timeout: Duration) {
        self.arguments = arguments
        self.retryOnReconnect = retryOnReconnect
        self.timeout = timeout
    }

    /// Whether Redis may hold the reply back (`XREAD … BLOCK`), so its time is no round trip.
    var blocks: Bool {
        arguments.contains { $0.elementsEqual("BLOCK".utf8) }
    }
}

/// The thread that owns a hiredis context and runs commands on it one at a time.
///
/// Shared state (queue, flags, the job in flight and its socket) is guarded by `condition`. The hiredis context
/// itself is confined to the worker thread; other threads only ever `shutdown(2)` its socket, and only while
/// holding `condition` and while that socket is registered as `runningFD` (it is unregistered before being closed).
final class RedisConnectionWorker: @unchecked Sendable {
    private let configuration: RedisConfiguration
    private let logger: Logger
    private let reconnects: Counter

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [RedisJob] = []
    private var closed = false
    private var started = false
    private var runningJob: RedisJob?
    private var runningFD: Int32 = -1
    private var generationValue: UInt64 = 0

    // Confined to the worker thread.
    private var context: UnsafeMutablePointer<redisContext>?
    private var contextTimeout: Duration?
    /// Round-trip histograms by command name, made on first use.
    private var roundTrips: [String: Timer] = [:]

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "redis"] = "\(configuration.host):\(configuration.port)/\(configuration.database)"
        self.logger = logger
        self.reconnects = Counter(label: "trellis_redis_reconnects_total")
    }

    var generation: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return generationValue
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "trellis-redis"
        thread.start()
    }

    func close() {
        condition.lock()
        if closed {
            condition.unlock()
            return
        }
        closed = true
        if runningFD >= 0 { _ = shutdown(runningFD, Int32(SHUT_RDWR)) }
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Submitting

    func submit(_ job: RedisJob) async throws -> RedisValue {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RedisValue, any Error>) in
                condition.lock()
                if closed || job.cancelled {
                    job.finished = true
                    let closed = self.closed
                    condition.unlock()
                    continuation.resume(throwing: closed ? RedisError(.closed, "connection closed") : CancellationError())
                    return
                }
                job.continuation = continuation
                queue.append(job)
                condition.broadcast()
                condition.unlock()
            }
        } onCancel: {
            cancel(job)
        }
    }

    private func cancel(_ job: RedisJob) {
        condition.lock()
        job.cancelled = true
        if runningJob === job {
            // Interrupt a blocked read; the worker thread sees `cancelled` and finishes the job.
            if runningFD >= 0 { _ = shutdown(runningFD, Int32(SHUT_RDWR)) }
            condition.broadcast()
            condition.unlock()
            return
        }
        if let index = queue.firstIndex(where: { $0 === job }) {
            queue.remove(at: index)
            let continuation = job.continuation
            job.continuation = nil
            job.finished = true
            condition.unlock()
            continuation?.resume(throwing: CancellationError())
            return
        }
        condition.unlock()
    }

    private func finish(_ job: RedisJob, _ result: Result<RedisValue, any Error>) {
        condition.lock()
        let continuation = job.continuation
        job.continuation = nil
        job.finished = true
        condition.unlock()
        continuation?.resume(with: result)
    }

    // MARK: The worker thread

    private func run() {
        Self.blockSIGPIPE()
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if closed {
                let remaining = queue
                queue.removeAll()
                condition.unlock()
                for job in remaining { finish(job, .failure(RedisError(.closed, "connection closed"))) }
                break
            }
            let job = queue.removeFirst()
            runningJob = job
            condition.unlock()

            let result = execute(job)

            condition.lock()
            runningJob = nil
            runningFD = -1
            condition.unlock()
            finish(job, result)
        }
        dropContext()
    }

    private func isInterrupted(_ job: RedisJob) -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        if closed { return RedisError(.closed, "connection closed") }
        if job.cancelled { return CancellationError() }
        return nil
    }

    private func execute(_ job: RedisJob) -> Result<RedisValue, any Error> {
        var retries = 0
        var loadingDeadline: ContinuousClock.Instant?
        var loadingDelay = configuration.initialReconnectDelay
        while true {
            if let error = isInterrupted(job) { return .failure(error) }
            let context: UnsafeMutablePointer<redisContext>
            do {
                context = try ensureConnected(for: job)
            } catch {
                return .failure(error)
            }
            setTimeout(job.timeout)

            condition.lock()
            if job.cancelled || closed {
                condition.unlock()
                continue  // reported at the top of the loop
            }
            runningFD = context.pointee.fd
            condition.unlock()

            let sent = ContinuousClock.now
            let reply = Self.command(context, job.arguments)
            let savedErrno = errno
            if reply != nil && !job.blocks { recordRoundTrip(of: job, since: sent) }

            condition.lock()
            runningFD = -1
            condition.unlock()

            if let reply {
                let value = Self.convert(UnsafePointer(reply.assumingMemoryBound(to: redisReply.self)))
                freeReplyObject(reply)
                if case .error(let message) = value {
                    if message.hasPrefix("LOADING ") {
                        // Redis is up but still loading its data set and executed nothing: wait and send again.
                        if let error = waitWhileLoading(job, &loadingDeadline, &loadingDelay) { return .failure(error) }
                        continue
                    }
                    return .failure(RedisError(.server, message))
                }
                return .success(value)
            }

            let errorCode = context.pointee.err
            let errorText = Self.errorString(context)
            if savedErrno == EPIPE { Self.discardPendingSIGPIPE() }
            dropContext()
            if let error = isInterrupted(job) { return .failure(error) }
            if errorCode == REDIS_ERR_IO && (savedErrno == EAGAIN || savedErrno == EWOULDBLOCK) {
                return .failure(RedisError(.timeout, "no reply within \(job.timeout)"))
            }
            if job.retryOnReconnect && retries < 2 {
                retries += 1
                logger.info("Redis link dropped during a command; retrying after reconnect",
                            metadata: ["error": "\(errorText)", "command": "\(commandName(job))"])
                continue
            }
            logger.warning("Redis link dropped during a command that is not retried",
                           metadata: ["error": "\(errorText)", "command": "\(commandName(job))"])
            return .failure(RedisError(.connectionLost,
                                       "\(commandName(job)): link dropped (\(errorText)); outcome unknown"))
        }
    }

    /// Backs off while Redis answers `-LOADING`, up to `reconnectTimeout`; returns the error to fail with, if any.
    private func waitWhileLoading(
        _ job: RedisJob,
        _ deadline: inout ContinuousClock.Instant?,
        _ delay: inout Duration
    ) -> (any Error)? {
        let clock = ContinuousClock()
        let limit = deadline ?? clock.now.advanced(by: configuration.reconnectTimeout)
        deadline = limit
        if clock.now.advanced(by: delay) > limit {
            return RedisError(.connectionFailed, "Redis still loading its data set after \(configuration.reconnectTimeout)")
        }
        logger.debug("Redis is loading its data set; waiting", metadata: ["command": "\(commandName(job))"])
        waitForBackoff(delay, job: job)
        delay = min(delay * 2, configuration.maximumReconnectDelay)
        return isInterrupted(job)
    }

    /// Waits `delay` on the worker thread, woken early by cancellation of `job` or by `close()`.
    private func waitForBackoff(_ delay: Duration, job: RedisJob) {
        let wakeAt = Date().addingTimeInterval(Self.seconds(delay))
        condition.lock()
        while !job.cancelled && !closed && Date() < wakeAt {
            _ = condition.wait(until: wakeAt)
        }
        condition.unlock()
    }

    private func recordRoundTrip(of job: RedisJob, since sent: ContinuousClock.Instant) {
        let command = commandName(job)
        let timer = roundTrips[command] ?? ReplicationMetrics.roundTrip(command)
        roundTrips[command] = timer
        timer.record(duration: ContinuousClock.now - sent)
    }

    private func commandName(_ job: RedisJob) -> String {
        String(decoding: job.arguments[0], as: UTF8.self)
    }

    // MARK: Connecting

    /// Returns a live context, connecting (with backoff, up to `reconnectTimeout`) when there is none or the peer
    /// has closed the current one.
    private func ensureConnected(for job: RedisJob) throws -> UnsafeMutablePointer<redisContext> {
        if let context {
            if context.pointee.err == 0 && !Self.peerClosed(context.pointee.fd) { return context }
            logger.info("Redis link found closed; reconnecting")
            dropContext()
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: configuration.reconnectTimeout)
        var delay = configuration.initialReconnectDelay
        var attempts = 0
        while true {
            attempts += 1
            do {
                let context = try connectOnce()
                self.context = context
                condition.lock()
                generationValue += 1
                let generation = generationValue
                condition.unlock()
                if generation > 1 {
                    reconnects.increment()
                    logger.info("Reconnected to Redis", metadata: ["attempts": "\(attempts)"])
                } else {
                    logger.debug("Connected to Redis")
                }
                return context
            } catch let error as RedisError where error.code == .server {
                throw error  // AUTH or SELECT refused: retrying will not help.
            } catch {
                if clock.now.advanced(by: delay) > deadline {
                    logger.warning("Could not connect to Redis", metadata: ["error": "\(error)", "attempts": "\(attempts)"])
                    throw RedisError(.connectionFailed, "could not connect to \(configuration.host):\(configuration.port) "
                                     + "within \(configuration.reconnectTimeout): \(error)")
                }
                waitForBackoff(delay, job: job)
                if let error = isInterrupted(job) { throw error }
                delay = min(delay * 2, configuration.maximumReconnectDelay)
            }
        }
    }

    private struct ConnectError: Error, CustomStringConvertible {
        var description: String
    }

    private func connectOnce() throws -> UnsafeMutablePointer<redisContext> {
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port),
                                                    Self.makeTimeval(configuration.connectTimeout)) else {
            throw ConnectError(description: "out of memory")
        }
        if context.pointee.err != 0 {
            let text = Self.errorString(context)
            redisFree(context)
            throw ConnectError(description: text)
        }
        contextTimeout = nil
        self.context = context
        do {
            setTimeout(configuration.commandTimeout)
            if let password = configuration.password {
                try handshake(context, ["AUTH", password])
            }
            if configuration.database != 0 {
                try handshake(context, ["SELECT", String(configuration.database)])
            }
        } catch {
            self.context = nil
            redisFree(context)
            throw error
        }
        self.context = nil
        return context
    }

    private func handshake(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [String]) throws {
        guard let reply = Self.command(context, arguments.map { Array($0.utf8) }) else {
            throw ConnectError(description: "\(arguments[0]) failed: \(Self.errorString(context))")
        }
        let value = Self.convert(UnsafePointer(reply.assumingMemoryBound(to: redisReply.self)))
        freeReplyObject(reply)
        if case .error(let message) = value {
            throw RedisError(.server, "\(arguments[0]) refused: \(message)")
        }
    }

    private func setTimeout(_ timeout: Duration) {
        guard let context, contextTimeout != timeout else { return }
        if redisSetTimeout(context, Self.makeTimeval(timeout)) == REDIS_OK {
            contextTimeout = timeout
        }
    }

    private func dropContext() {
        guard let context else { return }
        condition.lock()
        runningFD = -1
        condition.unlock()
        redisFree(context)
        self.context = nil
        contextTimeout = nil
    }

    // MARK: hiredis helpers

    private static func command(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [[UInt8]]) -> UnsafeMutableRawPointer? {
        let buffers: [UnsafeMutablePointer<CChar>] = arguments.map { argument in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
            argument.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { memcpy(buffer, base, bytes.count) }
            }
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0) }
        var lengths: [Int] = arguments.map(\.count)
        return argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeMutableBufferPointer { lengthBuffer in
                redisCommandArgv(context, Int32(arguments.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
            }
        }
    }

    static func convert(_ reply: UnsafePointer<redisReply>) -> RedisValue {
        let reply = reply.pointee
        func bytes() -> [UInt8] {
            guard let str = reply.str, reply.len > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: reply.len))
        }
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .bulkString(bytes())
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(reply.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                if let element = reply.element[index] {
                    elements.append(convert(element))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Whether the server has closed (or reset) the socket, checked without blocking before reusing it.
    private static func peerClosed(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return false }
        if descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return true }
        var byte: UInt8 = 0
        let received = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if received == 0 { return true }
        if received < 0 { return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR }
        return false
    }

    /// hiredis writes with `write(2)`, which raises SIGPIPE when the peer has gone (and would kill the process).
    /// The signal is directed at the writing thread, so blocking it on this thread alone is enough: the write then
    /// just fails with EPIPE. The process-wide disposition is left alone.
    private static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Consumes a SIGPIPE left pending on this thread by a failed write, so it cannot fire later.
    private static func discardPendingSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var pending = sigset_t()
        sigpending(&pending)
        if sigismember(&pending, SIGPIPE) == 1 {
            var zero = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&set, nil, &zero)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let components = duration.components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    private static func makeTimeval(_ duration: Duration) -> timeval {
        let components = duration.components
        return timeval(tv_sec: Int(components.seconds),
                                tv_usec: Int(components.attoseconds / 1_000_000_000_000))
    }
}
