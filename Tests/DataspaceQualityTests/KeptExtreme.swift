/// A text extreme as a profile reports it: whole up to 256 bytes, else the characters within
/// them and "…" (written out here, independently of the profiler).
func keptExtreme(_ value: String) -> String {
    let bytes = Array(value.utf8)
    guard bytes.count > 256 else { return value }
    var end = 256
    while bytes[end] & 0xC0 == 0x80 { end -= 1 }
    return String(decoding: bytes[..<end], as: UTF8.self) + "…"
}
