/// Sums that every rank holds and an all-reduce adds field by field: a fixed list of `Double` fields,
/// laid out in one order by ``packed`` and read back by ``init(packed:)``.
///
/// A conforming type lists its fields once, in ``summedFields``; no caller indexes the packed vector.
/// Because every field is a sum, the element-wise sum of the ranks' packed vectors unpacks to the
/// field-wise sums.
public protocol FieldwiseSums {
    /// All sums zero.
    init()
    /// The fields, in their packed order.
    static var summedFields: [WritableKeyPath<Self, Double>] { get }
}

extension FieldwiseSums {
    /// The fields as one vector, in the order of ``summedFields``.
    public var packed: [Double] { Self.summedFields.map { self[keyPath: $0] } }

    /// The sums from a vector laid out as ``packed``.
    public init(packed values: [Double]) {
        let fields = Self.summedFields
        precondition(values.count == fields.count, "\(Self.self): \(values.count) values, expected \(fields.count)")
        self.init()
        for (field, value) in zip(fields, values) {
            self[keyPath: field] = value
        }
    }
}
