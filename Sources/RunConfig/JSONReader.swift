import Foundation

/// Reads JSON text into ``ConfigValue`` trees (for `.json` config files and stored configs).
enum JSONReader {
    /// Parses a JSON document whose top level is an object.
    static func parse(_ text: String, source: String) throws -> ConfigTable {
        try rejectNUL(in: text, source: source)
        let node: JSONNode
        do {
            node = try JSONDecoder().decode(JSONNode.self, from: Data(text.utf8))
        } catch let error as ConfigError {
            throw error.attributed(to: source)
        } catch {
            throw ConfigError.syntax(source: source, line: nil, column: nil, message: "invalid JSON: \(syntaxProblem(text))")
        }
        guard case .table(let table) = node.value else {
            throw ConfigError.syntax(source: source, line: nil, column: nil,
                                     message: "invalid configuration: the top level must be a JSON object")
        }
        return table
    }

    /// What Foundation's parser says is wrong with `text` (JSONDecoder does not say where).
    private static func syntaxProblem(_ text: String) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
            return "not a JSON document"
        } catch {
            return (error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)"
        }
    }
}

/// One JSON value of any kind; JSON numbers without a fraction or exponent become integers.
private struct JSONNode: Decodable {
    let value: ConfigValue

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var table = ConfigTable()
            for key in object.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                table[key.stringValue] = try object.decode(JSONNode.self, forKey: key).value
            }
            value = .table(table)
        } else if var array = try? decoder.unkeyedContainer() {
            var elements: [ConfigValue] = []
            while !array.isAtEnd { elements.append(try array.decode(JSONNode.self).value) }
            value = .array(elements)
        } else {
            let single = try decoder.singleValueContainer()
            if let bool = try? single.decode(Bool.self) {
                value = .boolean(bool)
            } else if let int = try? single.decode(Int.self) {
                value = .integer(int)
            } else if let double = try? single.decode(Double.self) {
                value = .float(double)
            } else if let string = try? single.decode(String.self) {
                value = .string(string)
            } else {
                throw ConfigError.typeMismatch(source: "", key: decoder.codingPath.map(\.stringValue).joined(separator: "."),
                                               expected: "a string, number, boolean, array or object", found: "null")
            }
        }
    }
}
