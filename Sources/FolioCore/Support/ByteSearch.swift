/// The one byte search Folio has: XMP packets and PNG chunks, the published site searched for
/// private values, gateway answers searched for the API key.
enum ByteSearch {
    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        firstIndex(of: needle, in: haystack) != nil
    }

    /// Where `needle` first starts in `haystack`, from `start` on.
    static func firstIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int? = nil) -> Int? {
        guard let first = needle.first else { return nil }
        var i = start ?? haystack.startIndex
        while i < haystack.endIndex, let at = haystack[i...].firstIndex(of: first) {
            guard at + needle.count <= haystack.endIndex else { return nil }
            if haystack[at..<at + needle.count].elementsEqual(needle) { return at }
            i = at + 1
        }
        return nil
    }
}
