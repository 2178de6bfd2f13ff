import Foundation

/// The checks of a C2SP tlog-witness `add-checkpoint` request, apart from storage: what the
/// witness knows of a log is its last cosigned size and root, and updating that record must be
/// atomic with these checks (the caller holds a transaction around `check`).
public struct Witness: Sendable {
    public let cosigner: Cosigner

    public init(cosigner: Cosigner) { self.cosigner = cosigner }

    /// A parsed request body: the old size, the consistency proof, the checkpoint note.
    public struct Request: Sendable {
        public let oldSize: UInt64
        public let proof: [MerkleHash]
        public let note: String

        public init(oldSize: UInt64, proof: [MerkleHash], note: String) {
            self.oldSize = oldSize
            self.proof = proof
            self.note = note
        }

        public init(parsing body: String) throws(WitnessError) {
            var rest = Substring(body)
            func line() throws(WitnessError) -> Substring {
                guard let newline = rest.firstIndex(of: "\n") else { throw .badRequest("request ends inside a line") }
                let l = rest[..<newline]
                rest = rest[rest.index(after: newline)...]
                return l
            }
            let first = try line()
            guard first.hasPrefix("old "), let old = LedgerReceipt.decimal(first.dropFirst(4)) else {
                throw .badRequest("the first line must be 'old SIZE' (decimal, no leading zeros)")
            }
            var proof: [MerkleHash] = []
            while true {
                let l = try line()
                if l.isEmpty { break }
                guard let hash = MerkleHash(base64: String(l)) else { throw .badRequest("consistency proof line \(proof.count + 1) is not a base64 hash") }
                proof.append(hash)
                guard proof.count <= 63 else { throw .badRequest("more than 63 consistency proof lines") }
            }
            self.init(oldSize: old, proof: proof, note: String(rest))
        }

        public var body: String {
            "old \(oldSize)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + note
        }
    }

    /// What the witness last cosigned for a log.
    public struct Record: Sendable, Equatable {
        public let size: UInt64
        public let root: MerkleHash
        public init(size: UInt64, root: MerkleHash) {
            self.size = size
            self.root = root
        }
    }

    /// Checks a request against the log's key and the witness's record; returns the new record
    /// to store and the cosignature line(s) to answer with.
    public func check(_ request: Request, log: NoteVerifier, last: Record?, now: Date = Date()) throws(WitnessError) -> (record: Record, cosignature: String) {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(request.note, log: log).checkpoint
        } catch {
            throw .forbidden("the checkpoint is not validly signed by \(log.name): \(error)")
        }
        guard request.oldSize <= checkpoint.size else { throw .badRequest("old size \(request.oldSize) is larger than the checkpoint's \(checkpoint.size)") }
        let known = last ?? Record(size: 0, root: .empty)
        guard request.oldSize == known.size else { throw .conflict(known.size, "the witness last cosigned size \(known.size), not \(request.oldSize)") }
        if request.oldSize == checkpoint.size {
            guard checkpoint.root == known.root || known.size == 0 else {
                throw .conflict(known.size, "the log forked: size \(checkpoint.size) has root \(checkpoint.root), the witness cosigned \(known.root)")
            }
        }
        if request.oldSize == 0 {
            guard request.proof.isEmpty else { throw .unprocessable("the consistency proof from size 0 must be empty") }
        } else if request.oldSize < checkpoint.size {
            do {
                try MerkleProof.verifyConsistency(size1: known.size, size2: checkpoint.size, root1: known.root, root2: checkpoint.root, proof: request.proof)
            } catch {
                throw .unprocessable("the checkpoint is not consistent with size \(known.size) the witness cosigned: \(error)")
            }
        }
        let line: String
        do {
            line = try cosigner.cosign(checkpoint, at: UInt64(max(0, now.timeIntervalSince1970.rounded(.down))))
        } catch {
            throw .badRequest("cannot cosign: \(error)")
        }
        return (Record(size: checkpoint.size, root: checkpoint.root), line)
    }
}

/// Why a witness refused, with the HTTP status tlog-witness prescribes.
public enum WitnessError: Error, Sendable, Equatable, CustomStringConvertible {
    case badRequest(String)
    case forbidden(String)
    case unknownLog(String)
    /// The witness's last cosigned size (the 409 body), and why.
    case conflict(UInt64, String)
    case unprocessable(String)

    public var status: Int {
        switch self {
        case .badRequest: 400
        case .forbidden: 403
        case .unknownLog: 404
        case .conflict: 409
        case .unprocessable: 422
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let m), .forbidden(let m), .unknownLog(let m), .unprocessable(let m), .conflict(_, let m): m
        }
    }
}
