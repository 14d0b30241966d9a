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
    // One encoder and decoder for every call: creating them costs more than encoding a small
    // payload. Both are Sendable and safe to share.
    private let encoder: JSONEncoder
    private let decoder = JSONDecoder()

    /// Creates the codec.
    public init() {
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
    }

    /// Encodes `value` as JSON: compact, keys sorted. Common shapes go through a lean encoder
    /// of this package; values with types `JSONEncoder` treats specially (`Data`, `URL`,
    /// `Decimal`) or that it cannot write through `JSONEncoder` itself (so their
    /// `encode(to:)` may run twice).
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let bytes = try? CompactJSONEncoder.encode(value) { return bytes }
        return Array(try encoder.encode(value))
    }

    /// Decodes JSON.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decoder.decode(type, from: Data(bytes))
    }
}
