/// Encodes an `Encodable` value (``RunConfig``) into a ``ConfigValue`` tree, keeping key order.
///
/// Integers become `.integer`, `Float`/`Double` become `.float`, ``ConfigEnum`` values their
/// raw name. Nil optionals are left out, as `JSONEncoder` does.
enum ConfigValueEncoder {
    /// The value tree of `value`.
    static func encode<T: Encodable>(_ value: T) throws -> ConfigValue {
        let slot = Slot()
        try slot.store(value, codingPath: [])
        return slot.value
    }
}

/// One node of the tree under construction; containers write into it by reference.
private final class Slot {
    enum Content {
        case empty
        case leaf(ConfigValue)
        case table(keys: [String], children: [String: Slot])
        case array([Slot])
    }

    var content = Content.empty

    var value: ConfigValue {
        switch content {
        case .empty: return .table(ConfigTable())
        case .leaf(let value): return value
        case .table(let keys, let children):
            var table = ConfigTable()
            for key in keys { table[key] = children[key]!.value }
            return .table(table)
        case .array(let slots): return .array(slots.map(\.value))
        }
    }

    /// The child slot for `key`, making this slot a table if it is still empty.
    func child(_ key: String) -> Slot {
        var keys: [String] = [], children: [String: Slot] = [:]
        if case .table(let k, let c) = content { keys = k; children = c }
        if let existing = children[key] { return existing }
        let slot = Slot()
        keys.append(key)
        children[key] = slot
        content = .table(keys: keys, children: children)
        return slot
    }

    /// A new element slot at the end, making this slot an array if it is still empty.
    func appendElement() -> Slot {
        var slots: [Slot] = []
        if case .array(let existing) = content { slots = existing }
        let slot = Slot()
        slots.append(slot)
        content = .array(slots)
        return slot
    }

    /// Stores `value`, as a leaf when it is a primitive and through its `encode(to:)` otherwise.
    func store<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        switch value {
        case let string as String: content = .leaf(.string(string))
        case let bool as Bool: content = .leaf(.boolean(bool))
        case let double as Double: content = .leaf(.float(double))
        case let float as Float: content = .leaf(.float(Double(float)))
        case let integer as any BinaryInteger:
            guard let int = Int(exactly: integer) else {
                throw EncodingError.invalidValue(value, .init(codingPath: codingPath,
                                                              debugDescription: "\(integer) does not fit in Int"))
            }
            content = .leaf(.integer(int))
        case let name as any ConfigEnum: content = .leaf(.string(name.rawValue))
        default: try value.encode(to: SlotEncoder(slot: self, codingPath: codingPath))
        }
    }
}

private struct SlotEncoder: Encoder {
    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .empty = slot.content { slot.content = .table(keys: [], children: [:]) }
        return KeyedEncodingContainer(KeyedSlotContainer(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .empty = slot.content { slot.content = .array([]) }
        return UnkeyedSlotContainer(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleSlotContainer(slot: slot, codingPath: codingPath)
    }
}

private struct KeyedSlotContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws {}

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try slot.child(key.stringValue).store(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        SlotEncoder(slot: slot.child(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        SlotEncoder(slot: slot.child(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        SlotEncoder(slot: slot.child("super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        SlotEncoder(slot: slot.child(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedSlotContainer: UnkeyedEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let slots) = slot.content { return slots.count }
        return 0
    }

    mutating func encodeNil() throws {
        throw EncodingError.invalidValue(Optional<Int>.none as Any,
                                         .init(codingPath: codingPath, debugDescription: "configurations have no null"))
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try slot.appendElement().store(value, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        SlotEncoder(slot: slot.appendElement(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        SlotEncoder(slot: slot.appendElement(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        SlotEncoder(slot: slot.appendElement(), codingPath: codingPath)
    }
}

private struct SingleSlotContainer: SingleValueEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws {
        throw EncodingError.invalidValue(Optional<Int>.none as Any,
                                         .init(codingPath: codingPath, debugDescription: "configurations have no null"))
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try slot.store(value, codingPath: codingPath)
    }
}
