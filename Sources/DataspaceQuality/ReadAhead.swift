import DataspaceCore
import Foundation

/// Reads a file front to back a span ahead of its reader, on a thread of its own. Reads
/// around the page cache (`ReadOnlyFile(aroundCache:)`) wait for the disk and get no read-ahead
/// from the kernel; without this, the part waiting would leave its core idle for a tenth of
/// its time.
///
/// The helper reads `spanBytes` at a time (many of the reader's chunks) into one of two
/// buffers while the reader takes its chunks from the other. One chunk ahead was not enough
/// behind an upload: the disk then also takes the upload's writes, a 128 KiB read waited
/// longer than the chunk took to profile, and a publish's parts stood blocked for a third of
/// the upload (`perf sched timehist`).
///
/// `read(at:into:)` answers from the span at hand when it holds the offset asked, then from
/// the span read ahead when that starts there, and reads directly otherwise; once it moves to
/// a new span, the helper starts on the one after it.
final class ReadAhead: @unchecked Sendable {
    /// Bytes per read of the helper: at a part's pace (some 200 MB/s) a span lasts about ten
    /// milliseconds, longer than a read of it waits behind an upload's writes.
    static let spanBytes = 2 << 20

    private let file: ReadOnlyFile
    private let spans: [UnsafeMutableRawBufferPointer]
    private let condition = NSCondition()

    // Guarded by `condition`.
    /// Where the helper is to read next, and into which span (nil: nothing asked).
    private var asked: (offset: Int64, span: Int)?
    /// A span is being read: nobody else touches it until it is held.
    private var reading = false
    private var held: (offset: Int64, span: Int, result: Result<Int, ProfileError>)?
    private var closed = false

    // The reader's only.
    /// The span the reader takes its chunks from: which buffer, where it starts, its length.
    private var current: (span: Int, offset: Int64, count: Int)?

    /// `chunk`: the most the reader asks for at once; a span holds at least two.
    init(file: ReadOnlyFile, chunk: Int) {
        self.file = file
        let bytes = max(Self.spanBytes, 2 * chunk)
        spans = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: DirectIO.alignment) }
        let helper = Thread { [self] in run() }
        helper.name = "assessment (read-ahead)"
        helper.start()
    }

    deinit { for span in spans { span.deallocate() } }

    /// Stops the helper once its current read returns (it keeps this object until then).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// As `ReadOnlyFile.read(at:into:)`: fewer bytes than asked only at the end of the file.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(ProfileError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = try readWithinSpan(at: offset + Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Up to the end of the span holding `offset`.
    private func readWithinSpan(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(ProfileError) -> Int {
        if let current, offset >= current.offset, offset < current.offset + Int64(current.count) {
            return copy(from: current, at: offset, into: buffer)
        }
        condition.lock()
        while reading { condition.wait() }
        let ready = held
        held = nil
        condition.unlock()
        let next: (span: Int, offset: Int64, count: Int)
        if let ready, ready.offset == offset {
            next = (ready.span, offset, try ready.result.get())
        } else {
            // The helper is idle: either span is free. The one the reader held goes first, so
            // a span read ahead in vain is overwritten rather than kept.
            let span = current?.span ?? 0
            next = (span, offset, try file.read(at: offset, into: spans[span]))
        }
        guard next.count > 0 else {
            current = nil
            return 0
        }
        current = next
        condition.lock()
        asked = (offset + Int64(next.count), 1 - next.span)
        reading = true
        condition.broadcast()
        condition.unlock()
        return copy(from: next, at: offset, into: buffer)
    }

    private func copy(from span: (span: Int, offset: Int64, count: Int), at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let start = Int(offset - span.offset)
        let count = min(span.count - start, buffer.count)
        guard count > 0, let base = buffer.baseAddress, let from = spans[span.span].baseAddress else { return 0 }
        base.copyMemory(from: from + start, byteCount: count)
        return count
    }

    private func run() {
        while true {
            condition.lock()
            while asked == nil && !closed { condition.wait() }
            guard !closed, let task = asked else {
                reading = false
                condition.broadcast()
                condition.unlock()
                return
            }
            asked = nil
            condition.unlock()
            let result = Result { () throws(ProfileError) -> Int in try file.read(at: task.offset, into: spans[task.span]) }
            condition.lock()
            held = (task.offset, task.span, result)
            reading = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
