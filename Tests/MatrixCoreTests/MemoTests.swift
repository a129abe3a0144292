import MatrixCore
import Testing

@Suite("Memo")
struct MemoTests {
    @Test("a key's value is made once, also when many ask at once, and nil is kept like any value")
    func madeOnce() async {
        let memo = Memo<Int, String?>()
        let makes = Memo<Int, Counter>()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    for key in 0..<10 {
                        _ = memo.value(for: key) {
                            makes.value(for: key) { Counter() }.add()
                            return key.isMultiple(of: 2) ? "v\(key)" : nil
                        }
                    }
                }
            }
        }
        for key in 0..<10 {
            #expect(memo.value(for: key) { "made again" } == (key.isMultiple(of: 2) ? "v\(key)" : nil))
            #expect(makes.value(for: key) { Counter() }.count == 1)
        }
    }

    final class Counter: @unchecked Sendable {
        private(set) var count = 0
        /// Only called inside the memo's lock, which serializes it.
        func add() { count += 1 }
    }
}
