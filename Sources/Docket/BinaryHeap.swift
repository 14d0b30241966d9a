/// A binary min-heap. Removal of arbitrary elements is lazy: owners put a version in each
/// element and skip stale ones when they pop, which keeps cancel and reschedule O(log n)
/// amortized without an index.
struct BinaryHeap<Element: Comparable & Sendable>: Sendable {
    private(set) var elements: [Element] = []

    init() {}

    /// A heap over elements already in ascending order (which satisfies the heap property).
    init(sorted: [Element]) { elements = sorted }

    var count: Int { elements.count }
    var isEmpty: Bool { elements.isEmpty }
    var min: Element? { elements.first }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let result = elements.removeLast()
        var parent = 0
        let n = elements.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { break }
            var best = left
            if left + 1 < n, elements[left + 1] < elements[left] { best = left + 1 }
            guard elements[best] < elements[parent] else { break }
            elements.swapAt(best, parent)
            parent = best
        }
        return result
    }

    mutating func removeAll() { elements.removeAll(keepingCapacity: true) }
}
