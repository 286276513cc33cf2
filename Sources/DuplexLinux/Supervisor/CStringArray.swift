import Glibc

/// A NULL-terminated `char *[]` (argv, envp) that lives as long as the object, so that a
/// restart needs no allocation for it. Only the owning thread touches it.
final class CStringArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            pointer[index] = strdup(string)
            precondition(pointer[index] != nil, "strdup: out of memory")
        }
        pointer[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(pointer[index]) }
        pointer.deallocate()
    }
}
