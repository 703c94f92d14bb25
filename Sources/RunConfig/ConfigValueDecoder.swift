/// Decodes a `Decodable` value (``RunConfig``) from a ``ConfigValue`` tree, strictly.
///
/// A value of the wrong kind throws ``ConfigError/typeMismatch(source:key:expected:found:)``
/// with the dotted key; an integer is accepted where a float is expected (`beta = 0`), never the
/// reverse; a ``ConfigEnum`` must be one of its names. The caller attributes errors to a source.
enum ConfigValueDecoder {
    /// Decodes `type` from `value`.
    static func decode<T: Decodable>(_ type: T.Type, from value: ConfigValue) throws -> T {
        try ValueDecoder(value: value, codingPath: []).decodeValue(type)
    }
}

private struct ValueDecoder: Decoder {
    let value: ConfigValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var dottedKey: String { codingPath.map(\.stringValue).joined(separator: ".") }

    func mismatch(_ expected: String) -> ConfigError {
        .typeMismatch(source: "", key: dottedKey, expected: expected, found: value.summary)
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        switch (type, value) {
        case (is String.Type, .string(let string)): return string as! T
        case (is String.Type, _): throw mismatch("a string")
        case (is Bool.Type, .boolean(let bool)): return bool as! T
        case (is Bool.Type, _): throw mismatch("a boolean (true or false)")
        case (is Double.Type, .float(let double)): return double as! T
        case (is Double.Type, .integer(let int)): return Double(int) as! T
        case (is Double.Type, _): throw mismatch("a float (an integer is accepted)")
        case (is Int.Type, .integer(let int)): return int as! T
        case (is Int.Type, _): throw mismatch("an integer")
        case (let enumType as any ConfigEnum.Type, _):
            let names = enumType.names
            let expected = "one of " + names.map { "\"\($0)\"" }.joined(separator: ", ")
            guard case .string(let name) = value, let decoded = enumType.init(rawValue: name) else {
                throw mismatch(expected)
            }
            return decoded as! T
        default:
            return try T(from: self)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .table(let table) = value else { throw mismatch("a table of keys") }
        return KeyedDecodingContainer(KeyedValueContainer(decoder: self, table: table))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch("an array") }
        return UnkeyedValueContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(decoder: self)
    }
}

private struct KeyedValueContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ValueDecoder
    let table: ConfigTable
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { table.keys.compactMap(Key.init(stringValue:)) }

    func contains(_ key: Key) -> Bool { table[key.stringValue] != nil }

    func child(_ key: Key) throws -> ValueDecoder {
        guard let value = table[key.stringValue] else {
            let path = (codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw ConfigError.typeMismatch(source: "", key: path, expected: "a value", found: "nothing")
        }
        return ValueDecoder(value: value, codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool { table[key.stringValue] == nil }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try child(key).decodeValue(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type,
                                               forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue!)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct UnkeyedValueContainer: UnkeyedDecodingContainer {
    let decoder: ValueDecoder
    let elements: [ConfigValue]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    init(decoder: ValueDecoder, elements: [ConfigValue]) {
        self.decoder = decoder
        self.elements = elements
    }

    mutating func next() throws -> ValueDecoder {
        guard !isAtEnd else { throw decoder.mismatch("an array with more elements") }
        defer { currentIndex += 1 }
        return ValueDecoder(value: elements[currentIndex], codingPath: codingPath + [IndexKey(intValue: currentIndex)])
    }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let decoder: ValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}
