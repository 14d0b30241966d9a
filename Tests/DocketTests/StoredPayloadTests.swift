import Testing
@testable import Docket

/// A stored payload keeps no spare room from its encoder: the JSON encoder starts with 64
/// bytes, which a million pending `{}` payloads each kept (299 → 234 bytes a task).
@Suite struct StoredPayloadTests {
    struct Empty: Codable, Sendable {}

    @Test func payloadsAreStoredWithoutTheEncodersSpareRoom() async throws {
        let docket = try Docket.inMemory()
        docket.register("noop", payload: Empty.self) { _, _ in }
        try await docket.enqueue("noop", payload: Empty(), options: TaskOptions(id: "one", delay: .seconds(60)))
        try await docket.enqueue(batch: [NewTask("noop", payload: Empty(), options: TaskOptions(id: "two", delay: .seconds(60)))])
        for id in ["one", "two"] {
            let stored = try #require(await docket.state.tasks[id]?.payload)
            #expect(stored == Array("{}".utf8))
            // malloc may hand out a block up to one chunk larger than asked (glibc gave 24 bytes
            // of room for 2 in a loaded full run); the encoder's spare room is 64.
            #expect(stored.capacity <= stored.count + 32, "\(id): capacity \(stored.capacity)")
        }
        // Bytes with little spare room are kept as they are (no copy).
        var tight: [UInt8] = [1, 2, 3]
        tight.reserveCapacity(8)
        #expect(tight.trimmedForStorage.withUnsafeBufferPointer { $0.baseAddress } == tight.withUnsafeBufferPointer { $0.baseAddress })
        await docket.close()
    }
}
