import DocketTestSupport
import Foundation
import Testing
@testable import Docket

/// The payload codec's lean JSON encoder: what it writes decodes with `JSONDecoder` to the
/// same value and means the same JSON as `JSONEncoder`'s output; what `JSONEncoder` treats
/// specially goes through `JSONEncoder` itself.
@Suite struct CompactJSONEncoderTests {
    struct Inner: Codable, Equatable {
        var name: String
        var tags: [String]
        var score: Double?
    }

    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case box(Int, Int)
        case none
    }

    struct Everything: Codable, Equatable {
        var b = true
        var i = Int.min
        var i8 = Int8.max
        var i16 = Int16.min
        var i32 = Int32.max
        var i64 = Int64.min
        var u = UInt.max
        var u8 = UInt8.max
        var u16 = UInt16.max
        var u32 = UInt32.max
        var u64 = UInt64.max
        var d = 0.1
        var negativeZero = -0.0
        var huge = 1e300
        var tiny = Double.leastNonzeroMagnitude
        var f: Float = 1.1
        var text = "quote \" backslash \\ slash / newline \n tab \t return \r bell \u{07} nul \u{00} é 中文 🙂"
        var empty = ""
        var none: Int? = nil
        var some: Int? = 7
        var list = [1, 2, 3]
        var nested = [[1], [], [2, 3]]
        var byName = ["b": 2, "a": 1, "": 0]
        var byNumber = [3: "three", 1: "one"]
        var inner = Inner(name: "x", tags: ["p", "q"], score: nil)
        var shapes: [Shape] = [.circle(radius: 2.5), .box(1, 2), .none]
        var date = Date(timeIntervalSinceReferenceDate: 123_456.789)
        var bytes: [UInt8] = [0, 1, 255]
        var words = ["x", "y\"z"]
        var reals = [1.5, -0.0, 1e16]
    }

    /// Asks for the same nested containers twice: both writes land in one object and array.
    struct Twice: Codable, Equatable {
        var a = 1
        var b = 2
        enum Keys: String, CodingKey { case list, box }
        enum Inner: String, CodingKey { case a, b }
        init() {}
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            var list = try c.nestedUnkeyedContainer(forKey: .list)
            a = try list.decode(Int.self)
            b = try list.decode(Int.self)
            let box = try c.nestedContainer(keyedBy: Inner.self, forKey: .box)
            #expect(try box.decode(Int.self, forKey: .a) == a && box.decode(Int.self, forKey: .b) == b)
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            var first = c.nestedUnkeyedContainer(forKey: .list)
            try first.encode(a)
            var second = c.nestedUnkeyedContainer(forKey: .list)
            try second.encode(b)
            var boxA = c.nestedContainer(keyedBy: Inner.self, forKey: .box)
            try boxA.encode(a, forKey: .a)
            var boxB = c.nestedContainer(keyedBy: Inner.self, forKey: .box)
            try boxB.encode(b, forKey: .b)
        }
    }

    struct Empty: Codable, Equatable {}

    /// A class hierarchy writing through `superEncoder()`.
    class Base: Codable {
        var id = 1
    }

    final class Derived: Base, @unchecked Sendable {
        // @unchecked Sendable: test-only, never shared across tasks.
        var extra = "e"
        enum Keys: String, CodingKey { case extra }
        override init() { super.init() }
        required init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            extra = try c.decode(String.self, forKey: .extra)
            try super.init(from: c.superDecoder())
        }
        override func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(extra, forKey: .extra)
            try super.encode(to: c.superEncoder())
        }
    }

    /// The same JSON meaning: both parsed by `JSONSerialization` compare equal.
    static func sameJSON(_ a: [UInt8], _ b: [UInt8]) throws -> Bool {
        let x = try JSONSerialization.jsonObject(with: Data(a), options: [.fragmentsAllowed]) as? NSObject
        let y = try JSONSerialization.jsonObject(with: Data(b), options: [.fragmentsAllowed]) as? NSObject
        return x != nil && x == y
    }

    static func foundation<T: Encodable>(_ value: T) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return Array(try e.encode(value))
    }

    func roundTrips<T: Codable & Equatable>(_ value: T) throws {
        let compact = try CompactJSONEncoder.encode(value)
        #expect(try JSONDecoder().decode(T.self, from: Data(compact)) == value, "\(String(decoding: compact, as: UTF8.self))")
        #expect(try Self.sameJSON(compact, Self.foundation(value)), "\(String(decoding: compact, as: UTF8.self))")
    }

    @Test func commonShapesDecodeToTheSameValueAndMeanTheSameJSON() throws {
        try roundTrips(Everything())
        try roundTrips(Empty())
        try roundTrips(Inner(name: "", tags: [], score: 3))
        try roundTrips([Shape.none])
        try roundTrips("a fragment")
        try roundTrips(42)
        try roundTrips([String: [Int]]())
        try roundTrips(Twice())
        #expect(try CompactJSONEncoder.encode(Empty()) == Array("{}".utf8))
    }

    @Test func keysAreSortedAndOutputIsCompact() throws {
        let bytes = try CompactJSONEncoder.encode(["b": 2, "a": 1, "c": 3])
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"a":1,"b":2,"c":3}"#)
        let inner = try CompactJSONEncoder.encode(Inner(name: "n", tags: ["t"], score: nil))
        #expect(String(decoding: inner, as: UTF8.self) == #"{"name":"n","tags":["t"]}"#)
    }

    @Test func superEncodersNestUnderTheirKey() throws {
        let bytes = try CompactJSONEncoder.encode(Derived())
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"extra":"e","super":{"id":1}}"#)
        let back = try JSONDecoder().decode(Derived.self, from: Data(bytes))
        #expect(back.extra == "e" && back.id == 1)
    }

    struct Special: Codable, Equatable {
        var data = Data([0, 1, 2, 255])
        var url = URL(string: "https://example.com/a?b=c")
        var amount = Decimal(string: "12.50")
    }

    /// What `JSONEncoder` writes differently from the type's own conformance is refused, and
    /// the codec's bytes are then exactly `JSONEncoder`'s.
    @Test func specialTypesGoThroughFoundation() throws {
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder.encode(Special()) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder.encode([Data([1])]) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder.encode(Double.nan) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder.encode([Double.infinity]) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder.encode(["big": Int128.max]) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder.encode(UInt128.max) }
        let codec = JSONPayloadCodec()
        #expect(try codec.encode(Special()) == Self.foundation(Special()))
        #expect(try codec.encode(["big": Int128.min]) == Self.foundation(["big": Int128.min]))
        #expect(try codec.decode(Special.self, from: codec.encode(Special())) == Special())
        #expect(throws: (any Error).self) { try codec.encode(Double.infinity) }
    }

    /// Any JSON tree, as a Codable value.
    indirect enum Tree: Codable, Equatable {
        case null, bool(Bool), int(Int), double(Double), string(String), array([Tree]), object([String: Tree])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null; return }
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let i = try? c.decode(Int.self) { self = .int(i); return }
            if let d = try? c.decode(Double.self) { self = .double(d); return }
            if let s = try? c.decode(String.self) { self = .string(s); return }
            if let a = try? c.decode([Tree].self) { self = .array(a); return }
            self = .object(try c.decode([String: Tree].self))
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .null: try c.encodeNil()
            case .bool(let b): try c.encode(b)
            case .int(let i): try c.encode(i)
            case .double(let d): try c.encode(d)
            case .string(let s): try c.encode(s)
            case .array(let a): try c.encode(a)
            case .object(let o): try c.encode(o)
            }
        }
    }

    static func randomTree(_ rng: inout SeededGenerator, depth: Int) -> Tree {
        let pick = rng.next() % (depth > 3 ? 5 : 7)
        func text() -> String {
            let alphabet = Array("ab\"\\/\n\t\u{01}é中🙂 ")
            return String((0..<Int(rng.next() % 8)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        switch pick {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .int(Int(truncatingIfNeeded: rng.next()))
        case 3:
            // Non-integral, so JSONDecoder reads it back as a Double, not an Int.
            let d = Double(Int64(truncatingIfNeeded: rng.next()) % 1_000_000) / 1000 + 0.5
            return .double(d)
        case 4: return .string(text())
        case 5: return .array((0..<Int(rng.next() % 4)).map { _ in randomTree(&rng, depth: depth + 1) })
        default:
            var o: [String: Tree] = [:]
            for _ in 0..<Int(rng.next() % 4) { o[text()] = randomTree(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    @Test func randomTreesRoundTrip() throws {
        let seed: UInt64 = 20261206
        print("CompactJSONEncoderTests seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let tree = Self.randomTree(&rng, depth: 0)
            let compact = try CompactJSONEncoder.encode(tree)
            #expect(try JSONDecoder().decode(Tree.self, from: Data(compact)) == tree, "\(String(decoding: compact, as: UTF8.self))")
            #expect(try Self.sameJSON(compact, Self.foundation(tree)))
        }
    }
}
