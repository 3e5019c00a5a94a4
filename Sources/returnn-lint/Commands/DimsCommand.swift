import Analyzer
import ArgumentParser
import NetConfig

/// Formats of `dims`.
enum DimsFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case text, json
}

/// `returnn-lint dims FILE`: each layer's dim tags in its context, and the loop plan of every rec layer.
struct DimsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dims",
        abstract: "Show each layer's dim tags per context (top / loop / moved-in / moved-out) and the loop plans.")

    @Argument(help: "A config file (.json, .yaml, .yml), or '-' for standard input.")
    var file: String

    @Option(name: [.customLong("format"), .customLong("output-format")], help: "Output format.")
    var format: DimsFormat = .text

    @Flag(name: .customLong("no-optimize"), help: "Plan loops as with optimize_move_layers_out: false in the config (everything stays in the loop, except in rec layers that set the option themselves).")
    var noOptimize = false

    @Option(name: .customLong("stdin-filename"), help: "The file name to report (and pick the format by) when reading standard input.")
    var stdinFilename: String?

    @OptionGroup var limitOptions: LimitOptions

    func run() throws {
        let input = InputFile(displayPath: file == "-" ? (stdinFilename ?? "-") : file, readPath: file == "-" ? nil : file)
        let config: NetworkConfig
        do {
            let source = try InputDiscovery.read(input, maxBytes: limitOptions.limits.maxFileBytes)
            do {
                config = try NetworkConfig.load(source, format: SourceFormat.forPath(input.displayPath), limits: limitOptions.limits)
            } catch {
                Console.err((error.rendered(in: source) + "\n"))
                throw ExitCode(2)
            }
        } catch let error as InputError {
            Console.err("\(error)\n")
            throw ExitCode(2)
        }
        let graph = NetworkGraph(config: config)
        let dims = DimAnalysis(graph: graph, optimize: noOptimize ? false : nil)
        let output: String
        switch format {
        case .text: output = DimsReport.text(dims, graph: graph, file: input.displayPath)
        case .json: output = DimsReport.json(dims, file: input.displayPath)
        }
        Console.out(output)
    }
}

/// Renders a `DimAnalysis` as text or as the JSON documented in the README.
enum DimsReport {
    static func text(_ dims: DimAnalysis, graph: NetworkGraph, file: String) -> String {
        var rows: [(String, String, String, String)] = [("LAYER", "CLASS", "WHERE", "DIMS")]
        for entry in dims.entries {
            let indent = String(repeating: "  ", count: entry.depth)
            rows.append((indent + entry.path, entry.className ?? "?", entry.whereName, describe(entry.result)))
            if let pinned = entry.pinnedBy, !pinned.isEmpty {
                rows.append((indent + "  ", "", "", "kept in the loop by: " + pinned.joined(separator: " -> ")))
            }
        }
        let widths = (0..<3).map { column in
            min(60, rows.map { [$0.0, $0.1, $0.2][column].count }.max() ?? 0)
        }
        var out = "\(file)\n"
        for row in rows {
            let cells = [row.0, row.1, row.2]
            out += zip(cells, widths).map { $0.padded(to: max($1, $0.count)) }.joined(separator: "  ")
            out += "  \(row.3)\n"
        }
        for rec in dims.plans.keys.sorted() {
            guard let plan = dims.plans[rec] else { continue }
            out += "\nloop plan of '\(graph[rec].pathString)' (optimize_move_layers_out: \(plan.optimized ? "on" : "off")):\n"
            out += "  in loop:    \(plan.layersInLoop.sorted().joined(separator: ", "))\n"
            out += "  moved in:   \(plan.inputLayersMovedOut.sorted().joined(separator: ", "))\n"
            out += "  moved out:  \(plan.outputLayersMovedOut.sorted().joined(separator: ", "))\n"
        }
        return out
    }

    static func describe(_ result: TemplateResult) -> String {
        switch result {
        case .known(let t):
            var text = t.description
            for dim in t.dims {
                if let masked = dim.masked {
                    text += "  ('\(dim.name)' = frames of '\(masked.base)' where '\(masked.mask)' is true)"
                }
            }
            return text
        case .unknown(let reason): return "unknown (\(reason))"
        case .failed(let message): return "error: \(message)"
        }
    }

    static func json(_ dims: DimAnalysis, file: String) -> String {
        var layers: [JSONValue] = []
        for entry in dims.entries {
            var object: [(String, JSONValue)] = [
                ("path", .string(entry.path)),
                ("class", entry.className.map(JSONValue.string) ?? .null),
                ("where", .string(entry.whereName)),
            ]
            switch entry.result {
            case .known(let t):
                let dimsValue = t.dims.map { dim -> JSONValue in
                    .object([
                        ("kind", .string(dim.kind.rawValue)),
                        ("name", .string(dim.name)),
                        ("size", dim.size.map { .int($0) } ?? .null),
                        ("derived_from", dim.derivedFrom.map(JSONValue.string) ?? .null),
                    ])
                }
                object += [
                    ("dims", .array(dimsValue)), ("dtype", .string(t.dtype)), ("sparse", .bool(t.isSparse)),
                    ("sparse_dim", t.sparseDim.map { .object([("name", .string($0.name)), ("size", $0.size.map { .int($0) } ?? .null)]) } ?? .null),
                ]
            case .unknown(let reason):
                object += [("dims", .null), ("dtype", .null), ("sparse", .bool(false)), ("unknown_reason", .string(reason))]
            case .failed(let message):
                object += [("dims", .null), ("dtype", .null), ("sparse", .bool(false)), ("error", .string(message))]
            }
            object.append(("pinned_by", entry.pinnedBy.map { .array($0.map(JSONValue.string)) } ?? .null))
            layers.append(.object(object))
        }
        let plans = dims.plans.keys.sorted().compactMap { id -> JSONValue? in
            guard let plan = dims.plans[id] else { return nil }
            return .object([
                ("optimized", .bool(plan.optimized)),
                ("layers_in_loop", .array(plan.layersInLoop.sorted().map(JSONValue.string))),
                ("input_layers_moved_out", .array(plan.inputLayersMovedOut.sorted().map(JSONValue.string))),
                ("output_layers_moved_out", .array(plan.outputLayersMovedOut.sorted().map(JSONValue.string))),
            ])
        }
        let root = JSONValue.object([("file", .string(file)), ("layers", .array(layers)), ("loop_plans", .array(plans))])
        return root.rendered() + "\n"
    }
}
