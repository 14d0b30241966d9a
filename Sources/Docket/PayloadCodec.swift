import Foundation

/// Turns payloads and outputs into bytes and back. JSON by default; plug in your own (say, a
/// binary codec) through `DocketConfiguration.codec`.
public protocol PayloadCodec: Sendable {
    /// Encodes a value.
    func encode<T: Encodable>(_ value: T) throws -> [UInt8]
    /// Decodes a value.
    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T
}

/// JSON through Foundation's `JSONEncoder`/`JSONDecoder`, keys sorted so equal values encode to
/// equal bytes.
public struct JSONPayloadCodec: PayloadCodec {
    /// Creates the codec.
    public init() {}

    /// Encodes `value` as JSON.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    /// Decodes JSON.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
