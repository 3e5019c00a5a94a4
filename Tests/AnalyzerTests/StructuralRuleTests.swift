import Foundation
import Testing

@testable import Analyzer
import NetConfig

// The structural rules RL001–RL005 on small configs (positive and negative cases, exact line:col), and
// RL001/RL003 over the whole corpus against a list checked by hand.

// MARK: - Helpers

/// The findings of `rules` on `text`, as `LINE:COL CODE message` lines in report order.
private func lint(
    _ text: String, path: String = "t.yaml", rules: [any Rule.Type] = RuleRegistry.all
) throws -> [String] {
    try findings(text, path: path, rules: rules).map { "\($0.start) \($0.rule.code) \($0.message)" }
}

private func findings(
    _ text: String, path: String = "t.yaml", rules: [any Rule.Type] = RuleRegistry.all
) throws -> [Finding] {
    let config = try NetworkConfig.load(SourceText(path: path, text: text))
    return Analysis(config: config).findings(rules: rules)
}

private let unknownReference: [any Rule.Type] = [UnknownReferenceRule.self]

// MARK: - RL001 unknown-reference

@Suite("RL001 unknown-reference")
struct UnknownReferenceRuleTests {
    @Test func validReferencesAcrossScopesAreNotReported() throws {
        let text = """
            extern_data:
              data: {dim: 40}
              classes: {dim: 10, sparse: true}
            network:
              "#comment": "layers named #… are skipped by RETURNN"
              "#old": {class: copy, from: does_not_exist}
              enc: {class: linear, from: data, n_out: 8}
              enc_ctx: {class: linear, from: [enc, "none"], n_out: 8}
              align: {class: copy, from: "data:classes", register_as_extern_data: targetb}
              use_registered: {class: copy, from: "data:targetb"}
              tag: {class: copy, from: "data:seq_tag"}
              output:
                class: rec
                from: enc
                target: classes
                unit:
                  frame: {class: copy, from: "data:source"}
                  step: {class: copy, from: ":i"}
                  enc_all: {class: copy, from: "base:enc_ctx"}
                  label: {class: copy, from: "data:classes"}
                  state: {class: linear, from: [frame, "prev:state"], n_out: 8}
                  masked:
                    class: masked_computation
                    mask: "prev:state"
                    from: frame
                    unit: {class: linear, from: data, n_out: 8}
                  unmasked: {class: unmask, from: masked, mask: "prev:state"}
                  accum_sub:
                    class: subnetwork
                    from: []
                    subnetwork:
                      accum: {class: combine, kind: add, from: ["prev:accum", "base:data:source"]}
                      output: {class: copy, from: accum}
                  output: {class: softmax, from: [state, unmasked, accum_sub], target: classes}
              from_loop: {class: copy, from: "output/state"}
              from_masked: {class: copy, from: "output/masked"}
              targets_layer: {class: copy, from: enc, target: "layer:enc"}
            """
        let found = try lint(text, rules: unknownReference)
        #expect(found == [])
    }

    /// RETURNN's `test_reclayer_subnetwork_base_subnet` and `test_reclayer_scalar_size` networks.
    @Test func returnnTestNetworksWithNestedScopes() throws {
        let text = """
            num_inputs: 1
            num_outputs: 1
            network:
              sub:
                class: subnetwork
                from: []
                subnetwork:
                  linear: {class: eval, from: "base:data:data", eval: "source(0) * 0.9"}
                  reduce: {class: reduce, mode: mean, axis: T, from: linear}
                  output: {class: copy, from: linear}
              sub2:
                class: subnetwork
                from: []
                subnetwork:
                  rec:
                    class: rec
                    from: "base:data:data"
                    unit:
                      add: {class: combine, kind: add, from: ["data:source", "prev:add", "base:base:sub/reduce"]}
                      output: {class: copy, from: add}
                  output: {class: copy, from: rec}
              loop:
                class: rec
                from: data
                unit:
                  const1: {class: constant, value: 1, with_batch_dim: true}
                  mask: {class: eval, from: [":i", const1], eval: "tf.equal(source(0) % 2, source(1))"}
                  in: {class: copy, from: "data:source"}
                  masked:
                    class: masked_computation
                    mask: mask
                    unit:
                      class: subnetwork
                      subnetwork:
                        sub1: {class: linear, from: "base:prev:output", n_out: 3}
                        sub2: {class: linear, from: "base:in", n_out: 3}
                        output: {class: copy, from: [sub1, sub2]}
                  output: {class: eval, from: ["masked/sub1", "masked/sub2"], eval: "source(0) * 2 + source(1) * 3"}
              output: {class: copy, from: sub2}
            """
        let found = try lint(text, rules: unknownReference)
        #expect(found == [])
    }

    @Test func wrongScopesAreReportedAtTheReference() throws {
        let text = """
            extern_data: {data: {dim: 40}, bpe_labels: {dim: 10, sparse: true}}
            network:
              enc: {class: linear, from: data, n_out: 8}
              bad_prev: {class: copy, from: "prev:enc"}
              bad_base: {class: copy, from: "base:enc"}
              bad_step: {class: copy, from: ":i"}
              bad_key: {class: copy, from: "data:bpe"}
              bad_source: {class: copy, from: "data:source"}
              output:
                class: rec
                from: enc
                unit:
                  no_base: {class: copy, from: enc}
                  lm: {class: copy, from: lm_embed_unmask}
                  lm_embed_unmasked: {class: copy, from: "data:source"}
                  output: {class: copy, from: [no_base, lm]}
              missing_sub: {class: copy, from: "output/nope"}
              missing_target: {class: copy, target: "layer:nope", from: enc}
            """
        let found = try lint(text, rules: unknownReference)
        #expect(
            found == [
                "4:33 RL001 'prev:enc' uses 'prev:', which exists only inside a rec unit",
                "5:33 RL001 'base:enc' goes past the top-level network with 'base:'",
                "6:33 RL001 ':i' exists only inside a rec unit",
                "7:32 RL001 data key 'bpe' (in 'data:bpe') is not declared in extern_data",
                "8:35 RL001 data key 'source' (in 'data:source') is not declared in extern_data",
                "13:36 RL001 layer 'enc' does not exist in the unit of rec layer 'output'",
                "14:31 RL001 layer 'lm_embed_unmask' does not exist in the unit of rec layer 'output'",
                "17:36 RL001 layer 'output' has no sub-layer 'nope' (in 'output/nope')",
                "18:41 RL001 layer 'nope' does not exist in the network",
            ])
    }

    @Test func suggestionsNameTheClosestLayerOrKey() throws {
        let text = """
            extern_data: {data: {dim: 40}, bpe_labels: {dim: 10, sparse: true}}
            network:
              output:
                class: rec
                from: data
                unit:
                  lm: {class: copy, from: lm_embed_unmask}
                  lm_embed_unmasked: {class: copy, from: "data:source"}
                  output: {class: copy, from: lm}
              lab: {class: copy, from: "data:bpe_label"}
            """
        let found = try findings(text, rules: unknownReference)
        #expect(found.map { "\($0.start)" } == ["7:31", "10:28"])
        #expect(found.map { $0.notes.map(\.message) } == [["did you mean 'lm_embed_unmasked'?"], ["did you mean 'bpe_labels'?"]])
        #expect(found.map(\.layerPath) == ["output/lm", "lab"])
    }

    /// The suggestions' edit distance (one stack row, UTF-8 bytes for ASCII) against the full-matrix definition.
    @Test func editDistanceMatchesTheFullMatrix() {
        func reference(_ a: String, _ b: String) -> Int {
            let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
            var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
            for i in 0...a.count { d[i][0] = i }
            for j in 0...b.count { d[0][j] = j }
            for i in stride(from: 1, through: a.count, by: 1) {
                for j in stride(from: 1, through: b.count, by: 1) {
                    d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
            }
            return d[a.count][b.count]
        }
        let words = ["", "a", "softmax", "sofmax", "linear", "lnear", "masked_computation", "unmask", "ünmask", "maské",
                     "データ", "データ層", "rec", "cer", "x😀y", "xy", "sampled_logits"]
        for a in words {
            for b in words {
                #expect(ReturnnLayerClasses.editDistance(a, b) == reference(a, b), "\(a) / \(b)")
            }
        }
    }

    @Test func optionsOtherThanFromAreResolvedToo() throws {
        let text = """
            {"extern_data": {"data": {"dim": 4}},
             "network": {
              "m": {"class": "masked_computation", "mask": "nomask", "masked_from": "nofrom",
                    "unit": {"class": "copy", "from": "nosuch"}},
              "u": {"class": "unmask", "from": "m", "mask": "nomask2"},
              "r": {"class": "rec", "from": "data", "unit": {
                "s": {"class": "linear", "from": "prev:s", "initial_output": "noinit", "n_out": 2},
                "output": {"class": "copy", "from": "s", "extra_deps": ["nodep"]}}}}}
            """
        let found = try lint(text, path: "t.json", rules: unknownReference)
        #expect(
            found == [
                "3:48 RL001 layer 'nomask' does not exist in the network",
                "3:73 RL001 layer 'nofrom' does not exist in the network",
                "4:43 RL001 layer 'nosuch' does not exist in the network",
                "5:49 RL001 layer 'nomask2' does not exist in the network",
                "7:66 RL001 layer 'noinit' does not exist in the unit of rec layer 'r'",
                "8:61 RL001 layer 'nodep' does not exist in the unit of rec layer 'r'",
            ])
    }

    @Test func dataKeysOfABareNetworkAreNotChecked() throws {
        let text = "{a: {class: copy, from: \"data:anything\"}, b: {class: copy, from: missing}}"
        let found = try lint(text, rules: unknownReference)
        #expect(found == ["1:66 RL001 layer 'missing' does not exist in the network"])
    }

    @Test func legacyNumOutputsDeclaresTheTargetKey() throws {
        let text = """
            num_inputs: 40
            num_outputs: {classes: [10, 1], bpe: 5}
            network:
              a: {class: copy, from: ["data", "data:classes", "data:bpe", "data:phon"]}
            """
        let found = try lint(text, rules: unknownReference)
        #expect(
            found == [
                "4:63 RL001 data key 'phon' (in 'data:phon') is not declared in extern_data"
            ])
    }

    /// RETURNN skips a `#…` layer entirely, nested dicts included.
    @Test func referencesInsideAnIgnoredLayerAreIgnored() throws {
        let text = """
            network:
              "#old_decoder":
                class: rec
                unit:
                  output: {class: copy, from: gone}
              output: {class: copy, from: data}
            """
        let found = try lint(text, rules: unknownReference)
        #expect(found == [])
    }
}

// MARK: - RL002 missing-class, RL003 unknown-class

@Suite("RL002 missing-class / RL003 unknown-class")
struct ClassRuleTests {
    @Test func missingAndMalformedClasses() throws {
        let text = """
            network:
              no_class: {from: data, n_out: 3}
              not_a_dict: [1, 2]
              null_layer: null
              class_number: {class: 3}
              masked: {class: masked_computation, mask: m, unit: {from: data}}
              m: {class: copy}
              "#ignored": {from: data}
              ok: {class: copy}
            """
        let found = try lint(text, rules: [MissingClassRule.self])
        #expect(
            found == [
                "2:3 RL002 layer 'no_class' has no 'class'",
                "3:15 RL002 layer 'not_a_dict' must be a dict with a 'class', found a list",
                "4:15 RL002 layer 'null_layer' must be a dict with a 'class', found null",
                "5:25 RL002 'class' of layer 'class_number' must be a string, found an integer",
                "6:48 RL002 the unit of 'masked' has no 'class'",
            ])
    }

    @Test func unknownClassesWithSuggestions() throws {
        let text = """
            {"network": {
              "out": {"class": "sofmax", "from": "data"},
              "lin": {"class": "Linear", "from": "data"},
              "ns": {"class": "sampled_logits", "from": "data"},
              "m": {"class": "masked_computation", "mask": "lin", "unit": {"class": "lienar"}},
              "#x": {"class": "no_such_class"},
              "fine": {"class": "rec", "unit": "nativelstm2", "from": "data"}}}
            """
        let found = try findings(text, path: "t.json", rules: [UnknownClassRule.self])
        #expect(
            found.map { "\($0.start) \($0.rule.code) \($0.message)" } == [
                "2:20 RL003 unknown layer class 'sofmax' in layer 'out'",
                "3:20 RL003 unknown layer class 'Linear' in layer 'lin'",
                "4:19 RL003 unknown layer class 'sampled_logits' in layer 'ns'",
                "5:73 RL003 unknown layer class 'lienar' in layer 'm'",
            ])
        #expect(
            found.map { $0.notes.map(\.message) } == [
                ["did you mean 'softmax'?"], ["did you mean 'linear'?"], [], ["did you mean 'linear'?"],
            ])
    }

    @Test func everyRegisteredClassIsAccepted() throws {
        let classes = ReturnnLayerClasses.all.sorted()
        #expect(classes.count == 152)
        let network = classes.enumerated().map { "  l\($0.offset): {class: \"\($0.element)\"}" }.joined(separator: "\n")
        let found = try lint("network:\n" + network, rules: [UnknownClassRule.self])
        #expect(found == [])
    }

    @Test func theClassListIsRETURNNsList() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/returnn-layer-classes.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        let names = Set(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") })
        #expect(names == ReturnnLayerClasses.all)
    }
}

// MARK: - RL004 duplicate-key, RL005 invalid-option

@Suite("RL004 duplicate-key / RL005 invalid-option")
struct KeyAndOptionRuleTests {
    @Test func duplicateKeysInJSON() throws {
        let text = """
            {"network": {
              "lin": {"class": "linear", "n_out": 3, "from": "data", "n_out": 4},
              "lin": {"class": "copy"}},
             "network2": 1}
            """
        let found = try findings(text, path: "t.json", rules: [DuplicateKeyRule.self])
        #expect(
            found.map { "\($0.start) \($0.rule.code) \($0.message)" } == [
                "2:58 RL004 duplicate key 'n_out'; the last definition wins and the earlier one is ignored",
                "3:3 RL004 duplicate key 'lin'; the last definition wins and the earlier one is ignored",
            ])
        let source = SourceText(path: "t.json", text: text)
        #expect(found.map { $0.notes.compactMap(\.span).map { source.location(ofByte: $0.lowerBound).description } } == [["2:30"], ["2:3"]])
        #expect(found.allSatisfy { $0.severity == .warning })
    }

    /// Long mappings hash their keys, short ones compare them pairwise: both find the same repeats, report each
    /// against the first occurrence, and keep a string key apart from an equal-looking number key.
    @Test(arguments: [4, 40])
    func duplicateKeysInShortAndLongMappings(layers: Int) throws {
        var entries = (0..<layers).map { #"  l\#($0): {class: copy, from: data}"# }
        entries.append("  l1: {class: copy}")
        entries.append("  l1: {class: linear}")
        entries.append("  '7': {class: copy}")
        entries.append("  7: {class: copy}")
        let text = "network:\n" + entries.joined(separator: "\n")
        let found = try findings(text, path: "t.yaml", rules: [DuplicateKeyRule.self])
        #expect(found.map { "\($0.start) \($0.message.prefix(18))" } == ["\(layers + 2):3 duplicate key 'l1'", "\(layers + 3):3 duplicate key 'l1'"])
        let source = SourceText(path: "t.yaml", text: text)
        #expect(found.map { $0.notes.compactMap(\.span).map { source.location(ofByte: $0.lowerBound).line } } == [[3], [3]])
    }

    @Test func duplicateKeysInYAMLButNotThroughAliasesOrMerges() throws {
        let text = """
            base: &base {class: linear, n_out: 3}
            network:
              a: {<<: *base, from: data}
              b: {<<: *base, n_out: 5}
              c: *base
              a: {class: copy}
            """
        let found = try lint(text, rules: [DuplicateKeyRule.self])
        #expect(
            found == [
                "6:3 RL004 duplicate key 'a'; the last definition wins and the earlier one is ignored"
            ])
    }

    @Test func invalidOptionTypes() throws {
        let text = """
            extern_data: {data: {dim: 4}, bad: 3, pair: [5]}
            network:
              a: {class: copy, from: 3}
              b: {class: copy, from: [a, 1]}
              m: {class: masked_computation, mask: 1, unit: {class: copy}}
              ok: {class: copy, from: null}
            """
        let found = try lint(text, rules: [InvalidOptionRule.self])
        #expect(
            found == [
                "1:36 RL005 'bad': expected a mapping of data options, found an integer",
                "1:45 RL005 'pair': expected [dim, ndim] with ndim >= 1",
                "3:26 RL005 option 'from' of layer 'a': expected a layer name or a list of layer names, found an integer",
                "4:30 RL005 option 'from' of layer 'b': expected a layer name, found an integer",
                "5:40 RL005 option 'mask' of layer 'm': expected a layer name, found an integer",
            ])
    }

    @Test func aCleanConfigHasNoStructuralFindings() throws {
        let text = """
            extern_data: {data: {dim: 4}, classes: {dim: 3, sparse: true}}
            network:
              enc: {class: linear, from: data, n_out: 8}
              output: {class: softmax, from: enc, loss: ce, target: classes}
            """
        let found = try lint(text)
        #expect(found == [])
    }
}

// MARK: - The corpus

private enum StructuralCorpus {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent("corpus")

    /// `masked/NAME.json` and `plain/NAME.json`, sorted.
    static let files: [String] = ["masked", "plain"].flatMap { folder in
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted().map { "\(folder)/\($0)" }
    }

    /// Every corpus file analysed once (the tests share it); a file that does not load is an error.
    static let analyses: Result<[Analysis], CorpusLoadError> = {
        var result: [Analysis] = []
        for file in files {
            do {
                let data = try Data(contentsOf: directory.appendingPathComponent(file))
                result.append(Analysis(config: try NetworkConfig.load(SourceText(path: file, bytes: [UInt8](data)))))
            } catch {
                return .failure(CorpusLoadError(description: "\(file): \(error)"))
            }
        }
        return .success(result)
    }()

    struct CorpusLoadError: Error, CustomStringConvertible {
        var description: String
    }

    /// The findings of `rules` on every corpus file, as `FILE LINE:COL CODE message [layer]`.
    static func findings(_ rules: [any Rule.Type]) throws -> [String] {
        try analyses.get().flatMap { analysis in
            analysis.findings(rules: rules).map {
                "\(analysis.source.path) \($0.start) \($0.rule.code) \($0.message) [\($0.layerPath ?? "-")]"
            }
        }
    }
}

private let rnaBlank0 =
    "masked/2020-rnn-transducer__rna-tf2.blank0.enc6l-grow2l.scratch-lm.rdrop02.lm1-1024.attwb5-drop02.l2_1e_4.mlr50.json"

/// The rna3c transducer configs: `extern_data` has `bpe` only when `task != "train"` (the JSON is the training
/// config), but the unused layer `targetb_linear` reads `data:bpe`.
private let rna3cWithDataBpe = [
    "2020-rnn-transducer__rna3c-base2_150-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-ctcalign-p0-6l-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.mlr50.emit2.fl2.rep.fixmask.ctcalignfixsame.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a-noatt.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a-nomask.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.l2a_1e_4.nohdf.encbottle256.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-base2-150.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-4la.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l-extprior.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l-lrd05-prep2.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain.retrain1",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.rna-align-blank0-scratch-swap.encctc.devtrain",
    "2020-rnn-transducer__rna3c-lm4a.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n512.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain",
]

private let rna3cNoMask =
    "masked/2020-rnn-transducer__rna3c-lm4a-nomask.convtrain.switchout6.l2a_1e_4.nohdf.encbottle256.attwb5_am.dec1la-n128.decdrop03.decwdrop03.pretrain_less2_rep6.mlr50.emit2.fl2.rep.fixmask.ctcalignfix-ctcalign-p0-6l.chunk60.encctc.devtrain.json"

private let nceLSTM = "plain/2020-lm-domain-robust__teacher_student.nce.trafo-lstm.l32.ff2048.h768.dr00.l5.json"
private let nceTrafo = "plain/2020-lm-domain-robust__teacher_student.nce.trafo-trafo.l32.ff2048.h768.dr00.l5.json"

/// Every RL001/RL003 finding on the corpus, each checked by hand against the config and RETURNN's source:
/// - RL001 real mistakes: the unused `output/lm` copies `lm_embed_unmask`, which does not exist (the unit has
///   `lm_masked`, and `readout_in` reads it directly); the unused `output/prev_label_masked` of the nomask
///   variant reads `prev_out_non_blank`, which does not exist there; the unused `targetb_linear` reads
///   `data:bpe`, which the original config adds to `extern_data` only when `task != "train"`.
/// - RL003: classes that RETURNN does not register — they come from experiment-specific layer code
///   (`hmm_factorization`, `gauss_weighting`, `addonehot`) or a RETURNN fork (`sampled_logits`, `sampling`).
private let expectedCorpusFindings: [String] =
    ["\(rnaBlank0) 473:14 RL001 layer 'lm_embed_unmask' does not exist in the unit of rec layer 'output' [output/lm]"]
    + rna3cWithDataBpe.map {
        "masked/\($0).json 152:5 RL001 data key 'bpe' (in 'data:bpe') is not declared in extern_data [targetb_linear]"
    }
    + [
        "\(rna3cNoMask) 498:14 RL001 layer 'prev_out_non_blank' does not exist in the unit of rec layer 'output' [output/prev_label_masked]",
        "plain/2019-asr-local-attention__local.hou.bpe2k-n.max_step8.win10.adjust_step_sigma.gradnorm5.json 295:15 RL003 unknown layer class 'gauss_weighting' in layer 'energy' [output/energy]",
        "\(nceLSTM) 73:13 RL003 unknown layer class 'sampled_logits' in layer 'output_sampled' [output_sampled]",
        "\(nceLSTM) 88:13 RL003 unknown layer class 'sampling' in layer 'sampler' [sampler]",
        "\(nceLSTM) 96:13 RL003 unknown layer class 'sampled_logits' in layer 'teacher_news_logits' [teacher_news_logits]",
        "\(nceLSTM) 118:13 RL003 unknown layer class 'sampled_logits' in layer 'teacher_movies_logits' [teacher_movies_logits]",
        "\(nceTrafo) 3208:13 RL003 unknown layer class 'sampled_logits' in layer 'output_sampled' [output_sampled]",
        "\(nceTrafo) 3223:13 RL003 unknown layer class 'sampling' in layer 'sampler' [sampler]",
        "\(nceTrafo) 3231:13 RL003 unknown layer class 'sampled_logits' in layer 'teacher_news_logits' [teacher_news_logits]",
        "\(nceTrafo) 3253:13 RL003 unknown layer class 'sampled_logits' in layer 'teacher_movies_logits' [teacher_movies_logits]",
        "plain/2020-st-tight-integration__cascade-g1-mt103-asr150-fr_asr.json 472:13 RL003 unknown layer class 'addonehot' in layer 'add_end' [add_end]",
        "plain/2020-zero-order-latent-attention__librispeech__latent-attention-lstm.json 386:15 RL003 unknown layer class 'hmm_factorization' in layer 'output_prob' [output/output_prob]",
        "plain/2020-zero-order-latent-attention__tedlium-v2__latent-attention-lstm.json 386:15 RL003 unknown layer class 'hmm_factorization' in layer 'output_prob' [output/output_prob]",
    ]

@Suite("Structural rules on the corpus")
struct StructuralCorpusTests {
    @Test func theCorpusIsThere() {
        #expect(StructuralCorpus.files.count == 278)
    }

    @Test func theLmEmbedUnmaskMistakeIsReported() throws {
        let found = try StructuralCorpus.findings([UnknownReferenceRule.self]).filter { $0.hasPrefix(rnaBlank0) }
        #expect(found == [expectedCorpusFindings[0]])
    }

    @Test func unknownReferencesAndClassesEqualTheHandCheckedList() throws {
        let found = try StructuralCorpus.findings([UnknownReferenceRule.self, UnknownClassRule.self])
        #expect(found.count == 29)
        #expect(found.sorted() == expectedCorpusFindings.sorted())
        let missing = Set(expectedCorpusFindings).subtracting(found)
        let extra = Set(found).subtracting(expectedCorpusFindings)
        #expect(missing.isEmpty, "expected but not reported: \(missing.sorted())")
        #expect(extra.isEmpty, "reported but not expected: \(extra.sorted())")
    }

    /// The other structural rules on the corpus: only the 18 `null` layers of the LSH-attention example
    /// (RETURNN asserts that every layer desc is a dict, `TFNetwork.construct_from_dict`).
    @Test func otherStructuralFindingsAreTheNullLayersOfOneConfig() throws {
        let found = try StructuralCorpus.findings([MissingClassRule.self, DuplicateKeyRule.self, InvalidOptionRule.self])
        #expect(found.count == 18)
        #expect(found.allSatisfy {
            $0.hasPrefix("plain/2022-lsh-attention__complete-returnn-example.json ") && $0.contains(" RL002 ")
                && $0.contains("must be a dict with a 'class', found null")
        })
    }
}
