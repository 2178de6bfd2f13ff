import DataspaceCore
import Foundation

/// Reads a file front to back one chunk ahead of its reader, on a thread of its own. Reads
/// around the page cache (`ReadOnlyFile(aroundCache:)`) wait for the disk and get no read-ahead
/// from the kernel; without this, the part waiting would leave its core idle for a tenth of
/// its time.
///
/// `read(at:into:)` answers from the chunk read ahead when the reader asks for the offset it
/// was read at, and reads directly otherwise; either way the next chunk is started after it.
final class ReadAhead: @unchecked Sendable {
    private let file: ReadOnlyFile
    private let spare: UnsafeMutableRawBufferPointer
    private let condition = NSCondition()

    // Guarded by `condition`.
    /// Where the helper is to read next (nil: nothing asked).
    private var asked: Int64?
    /// A chunk is being read into `spare`: nobody else touches it until it is held.
    private var reading = false
    private var held: (offset: Int64, result: Result<Int, ProfileError>)?
    private var closed = false

    init(file: ReadOnlyFile, chunk: Int) {
        self.file = file
        spare = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: DirectIO.alignment)
        let helper = Thread { [self] in run() }
        helper.name = "assessment (read-ahead)"
        helper.start()
    }

    deinit { spare.deallocate() }

    /// Stops the helper once its current read returns (it keeps this object until then).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// As `ReadOnlyFile.read(at:into:)`.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(ProfileError) -> Int {
        condition.lock()
        while reading { condition.wait() }
        let ready = held
        held = nil
        condition.unlock()
        let count: Int
        if let ready, ready.offset == offset, let base = buffer.baseAddress, let from = spare.baseAddress {
            // Fewer than a whole chunk only at the end of the file.
            count = min(try ready.result.get(), buffer.count)
            base.copyMemory(from: from, byteCount: count)
        } else {
            count = try file.read(at: offset, into: buffer)
        }
        if count > 0 {
            condition.lock()
            asked = offset + Int64(count)
            reading = true
            condition.broadcast()
            condition.unlock()
        }
        return count
    }

    private func run() {
        while true {
            condition.lock()
            while asked == nil && !closed { condition.wait() }
            guard !closed, let offset = asked else {
                reading = false
                condition.broadcast()
                condition.unlock()
                return
            }
            asked = nil
            condition.unlock()
            let result = Result { () throws(ProfileError) -> Int in try file.read(at: offset, into: spare) }
            condition.lock()
            held = (offset, result)
            reading = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
