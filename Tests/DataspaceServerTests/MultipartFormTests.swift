import DataspaceServer
import Foundation
import Testing

/// The bounded `multipart/form-data` reader behind the receipt upload: what browsers send is read
/// part by part; anything malformed is refused with a reason, and no input traps.
@Suite struct MultipartFormTests {
    static func body(_ parts: [(headers: String, body: String)], boundary: String = "XyZ") -> [UInt8] {
        var text = "preamble to ignore\r\n"
        for part in parts { text += "--\(boundary)\r\n\(part.headers)\r\n\r\n\(part.body)\r\n" }
        return Array((text + "--\(boundary)--\r\n").utf8)
    }

    @Test func readsFieldsAndFilesAsBrowsersSendThem() throws {
        let form = try MultipartForm(body: Self.body([
            ("Content-Disposition: form-data; name=\"file\"; filename=\"收据; \\\"1\\\".txt\"\r\nContent-Type: text/plain", "line one\r\nline two"),
            ("content-disposition: form-data; name=receipt", ""),
        ]), boundary: "XyZ")
        #expect(form.parts.count == 2)
        #expect(form.part("file")?.fileName == "收据; \"1\".txt")
        #expect(form.part("file")?.contentType == "text/plain")
        #expect(form.part("file")?.body == Array("line one\r\nline two".utf8), "line breaks inside a part are content")
        #expect(form.part("receipt")?.body == [])
        #expect(form.part("missing") == nil)
    }

    @Test func theBoundaryComesFromTheContentType() {
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=----WebKitFormBoundaryAbC") == "----WebKitFormBoundaryAbC")
        #expect(MultipartForm.boundary(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b\"") == nil, "spaces are not allowed here")
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"quoted\"") == "quoted")
        #expect(MultipartForm.boundary(contentType: "multipart/form-data") == nil)
        #expect(MultipartForm.boundary(contentType: "application/x-www-form-urlencoded; boundary=x") == nil)
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "b", count: 71)) == nil)
    }

    @Test(arguments: [
        ("", "no part"), ("--XyZ", "cut off"), ("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", "cut off"),
        ("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", "no field name"),
        ("--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--", "malformed header"),
        ("--XyZ\r\n" + String(repeating: "X-Long: y\r\n", count: 400) + "\r\nx\r\n--XyZ--", "headers"),
        ("--XyZjunk", "malformed"),
    ])
    func malformedFormsAreRefusedWithAReason(text: String, reason: String) {
        do {
            _ = try MultipartForm(body: Array(text.utf8), boundary: "XyZ")
            Issue.record("accepted: \(text.prefix(40))")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func tooManyPartsAreRefused() {
        let parts = (0..<17).map { (headers: "Content-Disposition: form-data; name=\"f\($0)\"", body: "v") }
        #expect(throws: MultipartForm.Refusal.self) { try MultipartForm(body: Self.body(parts), boundary: "XyZ") }
        #expect(throws: Never.self) { try MultipartForm(body: Self.body(Array(parts.prefix(16))), boundary: "XyZ") }
    }

    @Test func randomAndMutatedBodiesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        let valid = Self.body([("Content-Disposition: form-data; name=\"file\"; filename=\"r.txt\"", "abc")])
        for _ in 0..<2_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                case 1 where !bytes.isEmpty: bytes.removeSubrange(Int.random(in: 0..<bytes.count, using: &generator)..<bytes.count)
                default: bytes.insert(contentsOf: Array("\r\n--XyZ".utf8), at: Int.random(in: 0...bytes.count, using: &generator))
                }
            }
            // Either parsed or refused; parts found always lie within the body.
            if let form = try? MultipartForm(body: bytes, boundary: "XyZ") {
                #expect(form.parts.allSatisfy { $0.body.count <= bytes.count })
            }
        }
    }
}
