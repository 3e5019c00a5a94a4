/// Values per layer instance (a layer and the loops it runs inside), stored per layer: a layer has one or two
/// contexts, so scanning them is cheaper than hashing the loop list, and a large network's table stays compact.
struct InstanceTable<Value> {
    private var entries: [[(loops: [LayerID], value: Value)]]

    /// An empty table for a graph of `layerCount` layers.
    init(layerCount: Int) {
        entries = Array(repeating: [], count: layerCount)
    }

    /// The value of an instance; setting nil removes it.
    subscript(key: TemplateEngine.Key) -> Value? {
        get {
            for entry in entries[key.layer.index] where entry.loops == key.loops { return entry.value }
            return nil
        }
        set {
            let index = key.layer.index
            if let position = entries[index].firstIndex(where: { $0.loops == key.loops }) {
                if let newValue { entries[index][position].value = newValue } else { entries[index].remove(at: position) }
            } else if let newValue {
                entries[index].append((key.loops, newValue))
            }
        }
    }

    /// Removes the values `shouldRemove` picks.
    mutating func removeAll(where shouldRemove: (Value) -> Bool) {
        for index in entries.indices where !entries[index].isEmpty {
            entries[index].removeAll { shouldRemove($0.value) }
        }
    }
}
