@testable import DataspaceApplication
import Testing

/// What a trace that named nobody tells the officer, from the two best scores: no match, rows of
/// several deliveries, or a match not clear of an unlucky runner-up (then more rows decide).
@Suite struct LeakTraceWordsTests {
    @Test func eachReasonForNamingNobodyHasItsWords() {
        #expect(ContractService.unclear(best: 4.2, next: 1.0, threshold: 6, others: 9, column: nil) == "no agreement's watermark matches (z ≥ 6)")
        #expect(
            ContractService.unclear(best: 9.1, next: 8.7, threshold: 6.35, others: 9, column: nil)
                == "more than one agreement's watermark matches (z ≥ 6.35): the file holds rows of several deliveries")
        #expect(
            ContractService.unclear(best: 7.1, next: 4.9, threshold: 6, others: 999, column: nil)
                == "the best match (z 7.1) is not clear of the next (z 4.9, more than chance gives 999 other agreements): trace more rows of the file")
        // When the scores are one column's, the words say which.
        #expect(
            ContractService.unclear(best: 9.2, next: 5.0, threshold: 6.35, others: 9, column: "pm25")
                == "the best match (z 9.2 in column pm25) is not clear of the next (z 5.0, more than chance gives 9 other agreements): trace more rows of the file")
        #expect(
            ContractService.unclear(best: 9.1, next: 8.7, threshold: 6.35, others: 9, column: "pm25")
                == "more than one agreement's watermark matches (z ≥ 6.35) in column pm25: the file holds rows of several deliveries")
    }
}
