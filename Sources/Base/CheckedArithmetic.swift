/// `factors` multiplied, or nil when the product overflows `Int` (for sizes that come from users).
public func checkedProduct(_ factors: Int...) -> Int? {
    var result = 1
    for factor in factors {
        let (product, overflow) = result.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        result = product
    }
    return result
}

/// `terms` added, or nil when a term is nil or the sum overflows `Int`.
public func checkedSum(_ terms: Int?...) -> Int? {
    var result = 0
    for term in terms {
        guard let term else { return nil }
        let (sum, overflow) = result.addingReportingOverflow(term)
        if overflow { return nil }
        result = sum
    }
    return result
}
