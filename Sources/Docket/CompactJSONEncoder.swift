import Foundation

/// A lean `Encoder` for payloads: compact JSON with sorted keys, for the common shapes (structs,
/// enums, arrays, dictionaries of strings, numbers and booleans). Foundation's `JSONEncoder`
/// costs several microseconds even for `{}` (per-call encoder state, a `Data`, a copy), which
/// is a large share of an enqueue; this one builds a small tree and writes bytes once.
///
/// It refuses (throws `Unsupported`) whatever `JSONEncoder` encodes differently from the
/// type's own `Encodable` conformance — `Data`, `URL`, `Decimal` — and anything it cannot
/// write (non-finite floats, unsupported integer widths): `JSONPayloadCodec` then encodes the
/// value with `JSONEncoder`, so the bytes always decode with `JSONDecoder` as before.
enum CompactJSONEncoder {
    struct Unsupported: Error {}

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = Node()
        try root.encode(value, path: [])
        var out: [UInt8] = []
        out.reserveCapacity(64)
        root.write(into: &out)
        return out
    }

    /// One JSON value under construction. A class, because containers hand out references to
    /// nested values that are filled after the container returned them.
    final class Node {
        enum Storage {
            case empty
            case scalar([UInt8])
            case object([String: Node])
            case array([Node])
        }
        var storage: Storage = .empty

        func encode<T: Encodable>(_ value: T, path: [any CodingKey]) throws {
            if let bytes = try Self.scalar(value) {
                storage = .scalar(bytes)
                return
            }
            // JSONEncoder writes these its own way (and 128-bit integers' own conformance would
            // ask this encoder to encode them again, forever).
            if T.self == Data.self || T.self == URL.self || T.self == Decimal.self || T.self == Int128.self || T.self == UInt128.self {
                throw Unsupported()
            }
            try value.encode(to: NodeEncoder(node: self, codingPath: path))
        }

        func makeObject() {
            if case .object = storage { return }
            storage = .object([:])
        }

        func makeArray() {
            if case .array = storage { return }
            storage = .array([])
        }

        /// The member `key`, an existing one when `reuse` (nested containers asked for twice
        /// add to the same object or array, as with JSONEncoder), else a fresh one.
        func child(forKey key: String, reuse: Bool = false) -> Node {
            makeObject()
            if reuse, case .object(let members) = storage, let existing = members[key] { return existing }
            let node = Node()
            if case .object(var members) = storage {
                storage = .empty
                members[key] = node
                storage = .object(members)
            }
            return node
        }

        func appendChild() -> Node {
            makeArray()
            let node = Node()
            if case .array(var items) = storage {
                storage = .empty
                items.append(node)
                storage = .array(items)
            }
            return node
        }

        var count: Int {
            if case .array(let items) = storage { return items.count }
            return 0
        }

        func write(into out: inout [UInt8]) {
            switch storage {
            case .empty:
                // A value that encoded nothing: JSONEncoder writes an empty object.
                out.append(contentsOf: [0x7B, 0x7D])
            case .scalar(let bytes):
                out.append(contentsOf: bytes)
            case .array(let items):
                out.append(0x5B)
                for (i, item) in items.enumerated() {
                    if i > 0 { out.append(0x2C) }
                    item.write(into: &out)
                }
                out.append(0x5D)
            case .object(let members):
                out.append(0x7B)
                for (i, key) in members.keys.sorted().enumerated() {
                    if i > 0 { out.append(0x2C) }
                    Self.writeString(key, into: &out)
                    out.append(0x3A)
                    members[key]?.write(into: &out)
                }
                out.append(0x7D)
            }
        }

        /// The bytes of a value written as a JSON scalar (or an array of scalars), or nil for
        /// anything else. One conformance check instead of a cast per scalar type.
        static func scalar<T>(_ value: T) throws -> [UInt8]? {
            guard let v = value as? any JSONScalar else { return nil }
            var out: [UInt8] = []
            try v.writeJSON(into: &out)
            return out
        }

        static func writeString(_ s: String, into out: inout [UInt8]) {
            out.append(0x22)
            for b in s.utf8 {
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: out.append(contentsOf: [0x5C, 0x72])
                case 0x09: out.append(contentsOf: [0x5C, 0x74])
                case 0x00..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
                default: out.append(b)
                }
            }
            out.append(0x22)
        }
    }

    struct NodeEncoder: Encoder {
        let node: Node
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            node.makeObject()
            return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            node.makeArray()
            return Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).storage = .scalar(Array("null".utf8)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try node.child(forKey: key.stringValue).encode(value, path: codingPath + [key])
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let child = node.child(forKey: key.stringValue, reuse: true)
            child.makeObject()
            return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = node.child(forKey: key.stringValue, reuse: true)
            child.makeArray()
            return Unkeyed(node: child, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> any Encoder {
            NodeEncoder(node: node.child(forKey: "super"), codingPath: codingPath)
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            NodeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]
        var count: Int { node.count }

        mutating func encodeNil() throws { node.appendChild().storage = .scalar(Array("null".utf8)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try node.appendChild().encode(value, path: codingPath)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let child = node.appendChild()
            child.makeObject()
            return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = node.appendChild()
            child.makeArray()
            return Unkeyed(node: child, codingPath: codingPath)
        }
        mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.appendChild(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.storage = .scalar(Array("null".utf8)) }
        mutating func encode<T: Encodable>(_ value: T) throws { try node.encode(value, path: codingPath) }
    }
}

/// A value `CompactJSONEncoder` writes directly, without going through `Encodable`.
protocol JSONScalar {
    func writeJSON(into out: inout [UInt8]) throws
}

extension String: JSONScalar {
    func writeJSON(into out: inout [UInt8]) { CompactJSONEncoder.Node.writeString(self, into: &out) }
}

extension Bool: JSONScalar {
    func writeJSON(into out: inout [UInt8]) { out.append(contentsOf: (self ? "true" : "false").utf8) }
}

/// Decimal digits of any fixed-width integer up to 64 bits (128-bit ones are left to
/// JSONEncoder: see `Node.encode`).
protocol JSONInteger: JSONScalar, BinaryInteger {}
extension JSONInteger {
    func writeJSON(into out: inout [UInt8]) { out.append(contentsOf: String(self).utf8) }
}
extension Int: JSONInteger {}
extension Int8: JSONInteger {}
extension Int16: JSONInteger {}
extension Int32: JSONInteger {}
extension Int64: JSONInteger {}
extension UInt: JSONInteger {}
extension UInt8: JSONInteger {}
extension UInt16: JSONInteger {}
extension UInt32: JSONInteger {}
extension UInt64: JSONInteger {}

extension Double: JSONScalar {
    func writeJSON(into out: inout [UInt8]) throws {
        guard isFinite else { throw CompactJSONEncoder.Unsupported() }
        out.append(contentsOf: description.utf8)
    }
}

extension Float: JSONScalar {
    func writeJSON(into out: inout [UInt8]) throws {
        guard isFinite else { throw CompactJSONEncoder.Unsupported() }
        out.append(contentsOf: description.utf8)
    }
}

/// Arrays of scalars in one piece, not a node per element.
extension Array: JSONScalar where Element: JSONScalar {
    func writeJSON(into out: inout [UInt8]) throws {
        out.append(0x5B)
        for (i, item) in enumerated() {
            if i > 0 { out.append(0x2C) }
            try item.writeJSON(into: &out)
        }
        out.append(0x5D)
    }
}
