/// The outcome of shape inference for one layer in one context.
public enum TemplateResult: Sendable, Hashable {
    /// The output template.
    case known(TensorTemplate)
    /// Not modelled (a class, option or Python object the linter does not know); propagates silently.
    case unknown(String)
    /// RETURNN would refuse to build the layer; the message says why (e.g. T' meeting T in a combine).
    case failed(String)

    /// The template, if known.
    public var template: TensorTemplate? {
        if case .known(let t) = self { return t }
        return nil
    }

    /// The failure message, if RETURNN would refuse the layer.
    public var failure: String? {
        if case .failed(let message) = self { return message }
        return nil
    }

    /// Marker reason for a `prev:` value that is still being computed in the first pass over a cycle.
    static let pendingReason = "pending (prev: cycle)"

    /// True for a `prev:` value that is not computed yet.
    var isPending: Bool {
        if case .unknown(let reason) = self { return reason == Self.pendingReason }
        return false
    }

    /// Applies `transform` to a known template; unknown and failed pass through (failures upstream make
    /// this layer unknown: RETURNN never gets here).
    func map(_ transform: (TensorTemplate) -> TemplateResult) -> TemplateResult {
        switch self {
        case .known(let t): return transform(t)
        case .unknown: return self
        case .failed: return .unknown("an input cannot be built")
        }
    }
}
