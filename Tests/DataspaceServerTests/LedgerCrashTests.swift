import Crypto
import DataspaceCore
import DataspaceLedger
import Foundation
import Testing

/// Kills a process appending to a tiled log from 64 concurrent appenders with SIGKILL, 20 times,
/// and checks after each kill that every acknowledged entry is in the log at the index it was
/// acknowledged with, that the tiles recompute to the signed checkpoint, and that the checkpoint is
/// consistent with every earlier one.
@Suite(.serialized) struct LedgerCrashTests {
    @Test(.enabled(if: CLITests.available)) func everyAcknowledgedAppendSurvivesSIGKILL() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dataspace-ledger-crash-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        var checkpoints: [(size: UInt64, root: MerkleHash)] = []
        var acknowledged: [UInt64: String] = [:]
        for round in 0..<20 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try #require(CLITests.binary))
            process.arguments = ["bench", "ledger", "--dir", dir.path, "--appenders", "64", "--seconds", "30", "--print-acks"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Let it acknowledge a varying number of appends, then kill it without warning.
            let reader = pipe.fileHandleForReading
            var buffer = Data()
            let wanted = 200 + round * 37
            var lines = 0
            while lines < wanted {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                lines = buffer.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            buffer.append(reader.readDataToEndOfFile())
            for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: " ")
                // A line cut by the kill is not an acknowledgement.
                guard parts.count == 3, parts[0] == "ack", let index = UInt64(parts[1]) else { continue }
                acknowledged[index] = String(parts[2])
            }
            #expect(process.terminationReason == .uncaughtSignal)

            // Reopen: the tiles must recompute to the signed checkpoint (the initializer checks).
            let keyData = try Data(contentsOf: dir.appendingPathComponent("ledger.key"))
            let signer = try NoteSigner(name: "bench.dataspace.local/log", key: try Curve25519.Signing.PrivateKey(rawRepresentation: keyData))
            let log = try TransparencyLog(directory: dir, signer: signer)
            let size = log.size
            let root = log.latest.root
            for (index, entry) in acknowledged {
                #expect(index < size, "acknowledged index \(index) is beyond the checkpoint \(size) (round \(round))")
                if index < size { #expect(String(decoding: try log.entry(index), as: UTF8.self) == entry) }
            }
            for earlier in checkpoints where earlier.size > 0 {
                let proof = try log.consistencyProof(oldSize: earlier.size, newSize: size)
                try MerkleProof.verifyConsistency(size1: earlier.size, size2: size, root1: earlier.root, root2: root, proof: proof)
            }
            checkpoints.append((size, root))
            await log.shutdown()
        }
        #expect(acknowledged.count > 4_000)
        #expect(checkpoints.count == 20)
    }
}
