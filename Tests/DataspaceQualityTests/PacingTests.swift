import Testing

@testable import DataspaceQuality

/// The first part of a publish waits only while it is ahead of the slowest later part by more
/// than the lead, and once waiting goes on only when the lead has shrunk to half.
@Suite struct PacingTests {
    typealias Progress = Pacing.Progress

    @Test func aheadByMoreThanTheLeadWaits() {
        let later = [Progress(length: 1_000_000, taken: 400_000)]
        #expect(!Pacing.waits(first: Progress(length: 1_000_000, taken: 400_000), later: later, waiting: false))
        #expect(!Pacing.waits(first: Progress(length: 1_000_000, taken: 409_000), later: later, waiting: false))
        #expect(Pacing.waits(first: Progress(length: 1_000_000, taken: 411_000), later: later, waiting: false))
        // Behind a later part it never waits.
        #expect(!Pacing.waits(first: Progress(length: 1_000_000, taken: 100_000), later: later, waiting: true))
    }

    @Test func aWaitingFirstPartGoesOnAtHalfTheLead() {
        let later = [Progress(length: 2_000_000, taken: 1_000_000)]
        let first = Progress(length: 1_000_000, taken: 508_000)
        #expect(!Pacing.waits(first: first, later: later, waiting: false))
        #expect(Pacing.waits(first: first, later: later, waiting: true))
        #expect(!Pacing.waits(first: Progress(length: 1_000_000, taken: 504_000), later: later, waiting: true))
    }

    /// Shares, not bytes: ranges of different lengths compare by how much of each is done; the
    /// slowest of several later parts sets the pace; no later parts, or ranges of no length
    /// (counted as done), never hold the first part back.
    @Test func theSlowestLaterPartSetsThePace() {
        let first = Progress(length: 500, taken: 250)
        #expect(Pacing.waits(first: first, later: [Progress(length: 3_000, taken: 2_900), Progress(length: 1_000, taken: 200)], waiting: false))
        #expect(!Pacing.waits(first: first, later: [Progress(length: 3_000, taken: 1_500), Progress(length: 1_000, taken: 900)], waiting: false))
        #expect(!Pacing.waits(first: first, later: [], waiting: true))
        #expect(!Pacing.waits(first: first, later: [Progress(length: 0)], waiting: true))
    }
}
