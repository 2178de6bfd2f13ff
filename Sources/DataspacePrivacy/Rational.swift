import DataspaceCore
import BigInt
import Foundation

/// Conversions used only for what a person reads (scales, intervals); sampling and accounting
/// never go through floating point.
enum Rational {
    static func double(_ numerator: BigUInt, _ denominator: BigUInt) -> Double {
        // Shift both to 53 significant bits so the division keeps full precision.
        let shift = max(0, max(numerator.bitWidth, denominator.bitWidth) - 60)
        let n = Double(numerator >> shift), d = Double(denominator >> shift)
        return d == 0 ? .infinity : n / d
    }
}
