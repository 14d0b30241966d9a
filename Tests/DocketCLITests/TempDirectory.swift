import DocketTestSupport
import Foundation

/// A fresh directory under the system temp dir.
struct TempDirectory {
    let path: String

    init(_ label: String) {
        path = NSTemporaryDirectory() + "docket-cli-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

