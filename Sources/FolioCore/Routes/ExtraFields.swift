/// A prompt's `extra`: request body fields Folio does not model, merged into every route's body.
enum ExtraFields {
    /// `extra` merged into `body`: objects merge key by key, anything else replaces.
    static func merge(_ body: JSONValue, _ extra: JSONValue?) -> JSONValue {
        guard let extra, case .object(var pairs) = body, case .object(let additions) = extra else { return body }
        for (key, value) in additions {
            if let index = pairs.firstIndex(where: { $0.0 == key }) {
                if case .object = pairs[index].1, case .object = value {
                    pairs[index].1 = merge(pairs[index].1, value)
                } else {
                    pairs[index].1 = value
                }
            } else {
                pairs.append((key, value))
            }
        }
        return .object(pairs)
    }
}
