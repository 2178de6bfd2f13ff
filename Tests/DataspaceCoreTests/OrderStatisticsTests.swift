import DataspaceCore
import Testing

@Suite struct OrderStatisticsTests {
    @Test func percentilesAreNearestRank() {
        let hundred = (1...100).map(Double.init)
        #expect(OrderStatistics.percentile(hundred, 0.99) == 99, "the 99th of 100, not the maximum")
        #expect(OrderStatistics.percentile(hundred, 0.5) == 50)
        #expect(OrderStatistics.percentile(hundred, 0.01) == 1)
        #expect(OrderStatistics.percentile(hundred, 1) == 100)
        #expect(OrderStatistics.percentile(hundred, 0) == 1)
        let thousand = (1...1_000).map(Double.init)
        #expect(OrderStatistics.percentile(thousand, 0.99) == 990)
        #expect(OrderStatistics.percentile(thousand, 0.999) == 999)
        // Ranks that floating point puts a hair above a whole number (0.07 × 100 = 7.000000000000001).
        #expect(0.07 * 100 > 7)
        #expect(OrderStatistics.percentile(hundred, 0.07) == 7)
        #expect(OrderStatistics.percentile([3, 5, 8], 0.5) == 5)
        #expect(OrderStatistics.percentile([4], 0.99) == 4)
    }

    @Test func outOfRangeFractionsAndEmptySamplesDoNotTrap() {
        #expect(OrderStatistics.percentile([], 0.5) == 0)
        #expect(OrderStatistics.percentile([1, 2], -3) == 1)
        #expect(OrderStatistics.percentile([1, 2], 7) == 2)
        #expect(OrderStatistics.percentile([1, 2], .nan) == 1)
        #expect(OrderStatistics.median([]).isNaN)
    }

    @Test func theMedianOfAnEvenCountIsTheMeanOfItsMiddles() {
        #expect(OrderStatistics.median([9, 1, 5]) == 5)
        #expect(OrderStatistics.median([4, 1, 3, 2]) == 2.5, "as statistics.median, not the upper middle")
        #expect(OrderStatistics.median([7]) == 7)
    }
}
