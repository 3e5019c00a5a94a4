#!/usr/bin/env python3
"""Generates the bad-input suite: fixtures/bad-input/*.{json,yaml} plus fixtures/bad-input/manifest.tsv.

Usage: scripts/make-bad-inputs.py [OUTDIR]      (default: fixtures/bad-input next to this script's folder)

Standard library only; the output is deterministic (re-running it gives the same bytes, so `git diff` shows
whether the committed files are current). Tests/CLITests/BadInputSuiteTests.swift runs the built CLI on every
file (`check`, `dims`, `check --fix --diff`) and checks the manifest's expectation for each one. The 50 MB
inputs are not generated here: the Swift test writes them into a temporary directory.

manifest.tsv has one line per file, tab-separated:
    NAME    EXPECTATION    WHAT
EXPECTATION is one of
    error                    exit 2, one line `FILE:LINE:COL: error: ...` on standard error
    error@LINE:COL           the same, at that position
    error~TEXT               the same, the message contains TEXT (also error@LINE:COL~TEXT)
    findings:CODE,...        exit 1, and each CODE is among the findings (others may be there too)
    clean                    exit 0 with no findings
"""

import json
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "bad-input")
OUT = os.path.normpath(OUT)

entries = []  # (name, expectation, what)


def write(name, data, expect, what):
    """Writes one file; data is str (UTF-8) or bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert "\t" not in what and "\n" not in what and "\t" not in expect
    assert name not in {e[0] for e in entries}, name
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    entries.append((name, expect, what))


def location(data, offset):
    """1-based LINE:COL of a byte offset, as returnn-lint counts it: lines end at \\n, \\r\\n or a lone \\r;
    columns count Unicode scalars (UTF-8 lead bytes); a leading UTF-8 byte order mark is not counted."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    line, start, i = 1, 0, 0
    while i < offset:
        b = data[i]
        if b == 0x0A:
            line, start = line + 1, i + 1
        elif b == 0x0D:
            if i + 1 < len(data) and data[i + 1] == 0x0A:
                i += 1
            line, start = line + 1, i + 1
        i += 1
    col_bytes = data[start:offset]
    if start == 0 and col_bytes.startswith(b"\xef\xbb\xbf"):
        col_bytes = col_bytes[3:]
    column = 1 + sum(1 for b in col_bytes if b & 0xC0 != 0x80)
    return f"{line}:{column}"


# ----------------------------------------------------------------------------------------------------------
# A tiny YAML emitter (block style, plain scalars where that is unambiguous).

PLAIN_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~", ""}


def yscalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    s = str(v)
    ok = s and (s[0].isalpha() or s[0] == "_") and all(c.isalnum() or c in "_:/.-" for c in s)
    if ok and s.lower() not in PLAIN_WORDS and not s.endswith(":"):
        return s
    return json.dumps(s)


def to_yaml(v, indent=0):
    pad = "  " * indent
    if isinstance(v, dict):
        if not v:
            return pad + "{}"
        lines = []
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                lines.append(f"{pad}{yscalar(k)}:\n{to_yaml(x, indent + 1)}")
            elif isinstance(x, (dict, list)):
                lines.append(f"{pad}{yscalar(k)}: {'{}' if isinstance(x, dict) else '[]'}")
            else:
                lines.append(f"{pad}{yscalar(k)}: {yscalar(x)}")
        return "\n".join(lines)
    if isinstance(v, list):
        if not v:
            return pad + "[]"
        lines = []
        for x in v:
            if isinstance(x, (dict, list)) and x:
                lines.append(f"{pad}-\n{to_yaml(x, indent + 1)}")
            else:
                lines.append(f"{pad}- {to_yaml(x).strip() if isinstance(x, (dict, list)) else yscalar(x)}")
        return "\n".join(lines)
    return pad + yscalar(v)


def dump_json(v):
    return json.dumps(v, indent=2, ensure_ascii=False) + "\n"


def dump_yaml(v):
    return to_yaml(v) + "\n"


def dump_lines(v):
    """JSON with one layer per line: `{"network": {\n"a": {...},\n"b": {...}}}` (big networks stay readable and
    every finding gets a short source line)."""
    net = v["network"]
    head = {k: x for k, x in v.items() if k != "network"}
    parts = [json.dumps(k) + ": " + json.dumps(x) for k, x in net.items()]
    text = "{" + "".join(json.dumps(k) + ": " + json.dumps(x) + ",\n" for k, x in head.items())
    return text + '"network": {\n' + ",\n".join(parts) + "\n}}\n"


def both(name, config, expect, what, expect_yaml=None):
    """A config written as JSON and as YAML."""
    write(name + ".json", dump_json(config), expect, what + " (JSON)")
    write(name + ".yaml", dump_yaml(config), expect_yaml or expect, what + " (YAML)")


# ----------------------------------------------------------------------------------------------------------
# Building blocks.

EXTERN = {"data": {"dim": 5}, "classes": {"dim": 7, "sparse": True}}


def config(network, extern=EXTERN, **settings):
    c = {"extern_data": extern} if extern is not None else {}
    c.update(settings)
    c["network"] = network
    return c


def rec_unit(unit, **options):
    layer = {"class": "rec", "from": "encoder"}
    layer.update(options)
    layer["unit"] = unit
    return layer


ENCODER = {"class": "linear", "from": "data", "activation": "tanh", "n_out": 8}

TRANSDUCER = config({
    "encoder": ENCODER,
    "output": rec_unit({
        "am": {"class": "copy", "from": "data:source"},
        "lm_masked": {
            "class": "masked_computation", "mask": "prev:output_emit", "from": "prev:output",
            "unit": {"class": "linear", "activation": "tanh", "n_out": 8, "from": "data"},
        },
        "lm_unmask": {"class": "unmask", "from": "lm_masked", "mask": "prev:output_emit"},
        "readout": {"class": "linear", "from": ["am", "lm_unmask"], "activation": "tanh", "n_out": 8},
        "output_prob": {"class": "softmax", "from": "readout", "n_out": 7, "target": "classes", "loss": "ce"},
        "output": {"class": "choice", "target": "classes", "beam_size": 4, "from": "output_prob", "initial_output": 0},
        "output_emit": {"class": "compare", "from": "output", "value": 0, "kind": "not_equal", "initial_output": True},
    }),
    "decision": {"class": "decide", "from": "output", "target": "classes"},
})

SMALL_JSON = dump_json(config({
    "encoder": ENCODER,
    "output": {"class": "softmax", "from": "encoder", "n_out": 7, "target": "classes", "loss": "ce"},
}))
SMALL_YAML = dump_yaml(config({
    "encoder": ENCODER,
    "output": {"class": "softmax", "from": "encoder", "n_out": 7, "target": "classes", "loss": "ce"},
}))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith((".json", ".yaml", ".yml", ".tsv")):
            os.remove(os.path.join(OUT, name))

    # ------------------------------------------------------------------------------------------------------
    # Truncated files: every cut of a real-looking config is an error at the end of the file (or a finding,
    # for the few cuts that leave a complete document).
    for source, ext in ((dump_json(TRANSDUCER), "json"), (dump_yaml(TRANSDUCER), "yaml")):
        data = source.encode()
        cuts = sorted({int(len(data) * k / 24) for k in range(1, 24)})
        for i, cut in enumerate(cuts):
            part = data[:cut]
            if ext == "json":
                expect = "error"
            else:
                expect = None  # judged by whether the YAML cut leaves a full mapping (decided below)
            if ext == "yaml":
                # A cut YAML block document is often still valid YAML (a shorter mapping, or a key with a null
                # value). Only the outcome "no crash, an error or findings" is fixed for those.
                expect = "any"
            write(f"truncated-{ext}-{i:02d}.{ext}", part, expect, f"the transducer config cut after {cut} of {len(data)} bytes")

    # ------------------------------------------------------------------------------------------------------
    # Malformed JSON.
    malformed_json = [
        ("empty", "", "error@1:1", "an empty file"),
        ("whitespace-only", "  \n\t \n", "error", "only whitespace"),
        ("trailing-comma-object", '{"network": {"a": {"class": "copy"},}}', "error", "a trailing comma in an object"),
        ("trailing-comma-array", '{"network": {"a": {"class": "copy", "from": ["data",]}}}', "error", "a trailing comma in a list"),
        ("line-comment", '{\n  // a comment\n  "network": {}\n}', "error@2:3", "a // comment"),
        ("block-comment", '{/* c */"network": {}}', "error@1:2", "a /* */ comment"),
        ("single-quotes", "{'network': {}}", "error@1:2", "single-quoted strings"),
        ("unquoted-key", '{network: {}}', "error@1:2", "an unquoted key"),
        ("nan-literal", '{"network": {"a": {"class": "eval", "eval": "source(0)", "x": NaN}}}', "error", "a NaN literal"),
        ("infinity-literal", '{"network": {"a": {"class": "copy", "x": Infinity}}}', "error", "an Infinity literal"),
        ("minus-infinity-literal", '{"network": {"a": {"class": "copy", "x": -Infinity}}}', "error", "a -Infinity literal"),
        ("leading-zero", '{"network": {"a": {"class": "linear", "n_out": 012}}}', "error", "a number with a leading zero"),
        ("plus-sign", '{"network": {"a": {"class": "linear", "n_out": +12}}}', "error", "a number with a plus sign"),
        ("hex-number", '{"network": {"a": {"class": "linear", "n_out": 0x10}}}', "error", "a hex number"),
        ("bare-dot-number", '{"network": {"a": {"class": "dropout", "dropout": .5}}}', "error", "a number starting with a dot"),
        ("exponent-without-digits", '{"network": {"a": {"class": "dropout", "dropout": 1e}}}', "error", "an exponent without digits"),
        ("missing-colon", '{"network" {}}', "error@1:12", "a missing colon"),
        ("missing-value", '{"network": }', "error@1:13", "a missing value"),
        ("missing-comma", '{"network": {"a": {"class": "copy"} "b": {"class": "copy"}}}', "error", "a missing comma"),
        ("unclosed-object", '{"network": {"a": {"class": "copy"}', "error", "an object that is never closed"),
        ("unclosed-array", '{"network": {"a": {"class": "copy", "from": ["data"', "error", "a list that is never closed"),
        ("unclosed-string", '{"network": {"a": {"class": "copy', "error", "a string that is never closed"),
        ("extra-close", '{"network": {}}}', "error@1:16", "an extra closing brace"),
        ("two-documents", '{"network": {}}\n{"network": {}}', "error@2:1", "two JSON values in one file"),
        ("bad-escape", '{"network": {"a": {"class": "co\\qpy"}}}', "error", "an unknown escape \\q"),
        ("short-unicode-escape", '{"network": {"a": {"class": "\\u12"}}}', "error", "a \\u escape with two digits"),
        ("lone-high-surrogate", '{"network": {"a\\ud800": {"class": "copy"}}}', "error", "a lone high surrogate escape"),
        ("lone-low-surrogate", '{"network": {"\\udc00a": {"class": "copy"}}}', "error", "a lone low surrogate escape"),
        ("reversed-surrogates", '{"network": {"a": {"class": "\\udc00\\ud800"}}}', "error", "surrogate escapes in the wrong order"),
        ("control-char-in-string", '{"network": {"a": {"class": "co\x01py"}}}', "error", "a raw control character in a string"),
        ("raw-newline-in-string", '{"network": {"a": {"class": "co\npy"}}}', "error", "a raw newline in a string"),
        ("nul-byte", '{"network": {"a": {"class": "copy"}}}\x00', "error", "a NUL byte after the value"),
        ("true-misspelled", '{"network": {"a": {"class": "copy", "is_output_layer": True}}}', "error", "Python's True"),
        ("none-literal", '{"network": {"a": {"class": "linear", "activation": None}}}', "error", "Python's None"),
        ("top-level-array", '[{"class": "copy"}]', "error~mapping", "a list at the top level"),
        ("top-level-string", '"network"', "error~mapping", "a string at the top level"),
        ("top-level-null", "null", "error~mapping", "null at the top level"),
        ("top-level-number", "42", "error~mapping", "a number at the top level"),
        ("non-string-key", '{1: {"class": "copy"}}', "error@1:2", "a number as a key"),
        ("deep-unclosed", '{"network": ' + "[" * 150, "error", "150 open brackets and the end of the file"),
    ]
    for name, text, expect, what in malformed_json:
        write(f"json-{name}.json", text, expect, what)

    # ------------------------------------------------------------------------------------------------------
    # Malformed YAML.
    malformed_yaml = [
        ("empty", "", "error", "an empty file"),
        ("comments-only", "# nothing here\n# at all\n", "error", "only comments"),
        ("document-marker-only", "---\n", "error", "only a document start marker"),
        ("end-marker-only", "...\n", "error", "only a document end marker"),
        ("tab-indent", "network:\n\ta: {class: copy}\n", "error@2:1", "a tab as indentation"),
        ("bad-dedent", "network:\n    a: {class: copy}\n  b: {class: copy}\n", "error@3:3", "a key indented less than its siblings"),
        ("unclosed-flow-mapping", "network: {a: {class: copy}\n", "error", "a flow mapping that is never closed"),
        ("unclosed-flow-sequence", "network:\n  a: {class: copy, from: [data, b\n", "error", "a flow list that is never closed"),
        ("unclosed-double-quote", 'network:\n  a: {class: "copy}\n', "error", "a double-quoted string that is never closed"),
        ("unclosed-single-quote", "network:\n  a: {class: 'copy}\n", "error", "a single-quoted string that is never closed"),
        ("two-documents", "network: {}\n---\nnetwork: {}\n", "error@2:1", "two documents"),
        ("undefined-alias", "network:\n  a: *nothing\n", "error@2:6", "an alias to an anchor that does not exist"),
        ("alias-before-anchor", "network:\n  a: *x\n  b: &x {class: copy}\n", "error@2:6", "an alias before its anchor"),
        ("recursive-alias", "network: &n\n  a: *n\n", "error", "an alias inside its own anchor"),
        ("python-tag", "network:\n  a: !!python/object:foo.Bar {class: copy}\n", "any", "a !!python/object tag"),
        ("unknown-directive", "%FOO bar\n---\nnetwork: {}\n", "any", "an unknown directive"),
        ("yaml-2-directive", "%YAML 2.0\n---\nnetwork: {}\n", "error", "a %YAML 2.0 directive"),
        ("duplicate-yaml-directive", "%YAML 1.1\n%YAML 1.1\n---\nnetwork: {}\n", "error", "two %YAML directives"),
        ("key-without-colon", "network:\n  a {class: copy}\n", "findings:RL002", "a key without its colon: valid YAML (the key is 'a {class'), a layer that is a string"),
        ("colon-in-plain-key", "network:\n  a: b: c\n", "error@2:7", "a second colon on one line"),
        ("stray-dash", "network:\n  a: {class: copy}\n- b\n", "error@3:1", "a list item after a mapping"),
        ("invalid-escape", 'network:\n  a: {class: "co\\qpy"}\n', "error", "an unknown escape in a double-quoted string"),
        ("block-scalar-bad-indicator", "network:\n  a: |x\n    text\n", "error", "a bad block scalar indicator"),
        ("flow-in-block-key", "network:\n  [a, b]: {class: copy}\n", "any", "a list as a mapping key"),
        ("anchor-without-node", "network: &a\n", "error", "an anchor on nothing (null network)"),
        ("tag-on-alias", "x: &a 1\nnetwork: {a: !!str *a}\n", "error", "a tag on an alias"),
        ("reserved-at", "network:\n  a: {class: @copy}\n", "error", "a plain scalar starting with @"),
        ("reserved-backtick", "network:\n  a: {class: `copy`}\n", "error", "a plain scalar starting with a backtick"),
        ("nul-byte", "network:\n  a: {class: copy}\n\x00\n", "error", "a NUL byte"),
        ("control-char", "network:\n  a: {class: co\x07py}\n", "error", "a bell character in a plain scalar"),
        ("top-level-sequence", "- a\n- b\n", "error~mapping", "a list at the top level"),
        ("top-level-scalar", "network\n", "error~mapping", "a scalar at the top level"),
        ("top-level-null", "~\n", "error~mapping", "null at the top level"),
        ("network-scalar", "network: copy\n", "error~network", "'network' is a string"),
        ("network-list", "network: [a, b]\n", "error~network", "'network' is a list"),
        ("network-null", "network:\n", "error~network", "'network' is null"),
        ("config-without-network", "extern_data: {data: {dim: 5}}\nnum_epochs: 10\n", "error~network", "a config without 'network'"),
        ("merge-of-scalar", "base: &b 5\nnetwork:\n  a: {<<: *b, class: copy}\n", "any", "a << merge of a scalar"),
        ("merge-of-list-of-scalars", "base: &b 5\nnetwork:\n  a: {<<: [*b], class: copy}\n", "any", "a << merge of a list of scalars"),
        ("deep-flow-unclosed", "network: " + "[" * 150 + "\n", "error", "150 open flow brackets"),
    ]
    for name, text, expect, what in malformed_yaml:
        write(f"yaml-{name}.yaml", text, expect, what)

    # ------------------------------------------------------------------------------------------------------
    # Alias bombs and alias-heavy files.
    def laughs(levels, width):
        lines = ["a0: &a0 [lol]"]
        for i in range(1, levels + 1):
            lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * width) + "]")
        lines.append("network:\n  x: {class: copy, from: data, junk: *a%d}" % levels)
        return "\n".join(lines) + "\n"

    write("alias-bomb-billion-laughs.yaml", laughs(9, 10), "error~--max-alias-expansion", "billion laughs: 10^9 copies")
    write("alias-bomb-wide.yaml", laughs(2, 1000), "error~--max-alias-expansion", "1000 x 1000 alias copies")
    write("alias-bomb-deep-narrow.yaml", laughs(40, 2), "error~--max-alias-expansion", "2^40 copies through 40 levels")
    write("alias-bomb-just-below.yaml", laughs(3, 25), "clean", "25^3 copies: about 64000 nodes counted, below the default limit of 100000")
    merge = ["b0: &b0 {k: 1}"]
    for i in range(1, 25):
        merge.append(f"b{i}: &b{i} {{<<: [*b{i-1}, *b{i-1}], k{i}: {i}}}")
    merge.append("network:\n  x: {<<: *b24, class: copy, from: data}")
    write("alias-bomb-merge.yaml", "\n".join(merge) + "\n", "error~--max-alias-expansion", "merge keys doubling 24 times")
    layers = ["proto: &layer {class: copy, from: data}", "network:"]
    layers += [f"  l{i}: *layer" for i in range(3000)]
    write("alias-layers-3000.yaml", "\n".join(layers) + "\n", "clean", "3000 layers that are all one alias")
    nets = ["sub: &sub", "  class: subnetwork", "  from: data", "  subnetwork:"]
    nets += [f"    s{i}: {{class: copy, from: data}}" for i in range(50)]
    nets += ["    output: {class: copy, from: s0}", "network:"]
    nets += [f"  n{i}: *sub" for i in range(200)]
    write("alias-subnetworks-200.yaml", "\n".join(nets) + "\n", "clean", "200 aliases of one subnetwork of 51 layers (about 62000 nodes)")
    write("alias-unmask-fix.yaml",
          "extern_data: {data: {dim: 5}}\nnetwork:\n  m: {class: compare, from: data, kind: greater, value: 0}\n"
          "  masked: &mc {class: masked_computation, mask: m, from: data, unit: {class: copy, from: data}}\n"
          "  un: &un {class: unmask, from: masked, mask: m}\n  un2: *un\n  out: {class: copy, from: [un, un2]}\n",
          "any", "an unmask layer repeated through an alias (fixes must not edit through it)")

    # ------------------------------------------------------------------------------------------------------
    # Deep nesting.
    deep = 100_000
    write("nesting-100k-json-arrays.json", '{"network": ' + "[" * deep + "]" * deep + "}", "error@1:212~--max-nesting",
          "100k nested JSON lists")
    write("nesting-100k-json-objects.json", '{"network": ' + '{"a": ' * deep + "1" + "}" * deep + "}",
          "error~--max-nesting", "100k nested JSON objects")
    write("nesting-100k-yaml-flow.yaml", "network: " + "[" * deep + "]" * deep + "\n", "error~--max-nesting",
          "100k nested YAML flow lists")
    write("nesting-100k-yaml-flow-maps.yaml", "network: " + "{a: " * deep + "1" + "}" * deep + "\n", "error~--max-nesting",
          "100k nested YAML flow mappings")
    block = "".join("  " * i + f"k{i}:\n" for i in range(400)) + "  " * 400 + "leaf\n"
    write("nesting-400-yaml-block.yaml", block, "error~--max-nesting", "400 nested YAML block mappings")
    write("nesting-1000-yaml-dashes.yaml", "network:\n  a: {class: copy, x: " + "- " * 0 + "[" * 1000 + "]" * 1000 + "}\n",
          "error~--max-nesting", "1000 nested flow lists inside a layer")
    # At the default limit (200): 199 containers inside the top-level mapping parse; 200 do not.
    write("nesting-at-limit.json", '{"network": {"a": {"class": "copy", "from": "data", "x": ' + "[" * 197 + "]" * 197 + "}}}",
          "clean", "exactly 200 levels of nesting (the default limit)")
    write("nesting-over-limit.json", '{"network": {"a": {"class": "copy", "from": "data", "x": ' + "[" * 198 + "]" * 198 + "}}}",
          "error@1:255~nesting deeper than 200 levels (--max-nesting)", "201 levels of nesting (the error points at the 201st bracket)")

    def nested_subnetworks(depth):
        layer = {"class": "copy", "from": "data"}
        for i in range(depth):
            layer = {"class": "subnetwork", "from": "data", "subnetwork": {"inner": layer, "output": {"class": "copy", "from": "inner"}}}
        return config({"top": layer})

    both("nesting-subnetworks-60", nested_subnetworks(60), "clean", "subnetworks nested 60 deep (123 levels)")
    both("nesting-subnetworks-100", nested_subnetworks(100), "error~--max-nesting", "subnetworks nested 100 deep (203 levels, over the limit)")

    def nested_recs(depth):
        unit = {"output": {"class": "linear", "from": ["data:source", "prev:output"], "n_out": 4}}
        for i in range(depth):
            unit = {"inner": {"class": "rec", "from": "data:source", "unit": unit},
                    "output": {"class": "combine", "kind": "add", "from": ["inner", "prev:output"]}}
        return config({"encoder": ENCODER, "out": rec_unit(unit)})

    both("nesting-rec-units-40", nested_recs(40), "any", "rec units nested 40 deep")

    def nested_masked(depth):
        unit = {"class": "linear", "from": "data", "n_out": 4}
        for i in range(depth):
            unit = {"class": "masked_computation", "mask": "base:mask", "from": "data", "unit": unit}
        return config({"mask": {"class": "compare", "from": "data", "kind": "greater", "value": 0},
                       "out": {"class": "masked_computation", "mask": "mask", "from": "data", "unit": unit}})

    both("nesting-masked-units-50", nested_masked(50), "any", "masked_computation units nested 50 deep")

    # ------------------------------------------------------------------------------------------------------
    # Encoding: invalid UTF-8, byte order marks, line endings.
    good = SMALL_JSON.encode()
    key_at = good.index(b'"encoder"') + 3
    cases = [
        ("invalid-utf8-ff", good[:key_at] + b"\xff" + good[key_at:], key_at, "a 0xFF byte in a key"),
        ("invalid-utf8-lone-continuation", good[:key_at] + b"\x80" + good[key_at:], key_at, "a lone continuation byte"),
        ("invalid-utf8-overlong", good[:key_at] + b"\xc0\xaf" + good[key_at:], key_at, "an overlong encoding of '/'"),
        ("invalid-utf8-surrogate", good[:key_at] + b"\xed\xa0\x80" + good[key_at:], key_at, "a UTF-8 encoded surrogate"),
        ("invalid-utf8-above-max", good[:key_at] + b"\xf4\x90\x80\x80" + good[key_at:], key_at, "a code point above U+10FFFF"),
        ("invalid-utf8-truncated-at-eof", good + b"\xe2\x82", len(good), "a multi-byte sequence cut at the end of the file"),
        ("invalid-utf8-latin1", good[:key_at] + "é".encode("latin-1") + good[key_at:], key_at, "a Latin-1 é"),
    ]
    for name, data, offset, what in cases:
        write(f"{name}.json", data, f"error@{location(data, offset)}~invalid UTF-8", what)
        ydata = SMALL_YAML.encode()
        yat = ydata.index(b"encoder") + 2
        ybad = ydata[:yat] + data[key_at:key_at + (len(data) - len(good))] + ydata[yat:] if name != "invalid-utf8-truncated-at-eof" else ydata + b"\xe2\x82"
        yoff = yat if name != "invalid-utf8-truncated-at-eof" else len(ydata)
        write(f"{name}.yaml", ybad, f"error@{location(ybad, yoff)}~invalid UTF-8", what + " (YAML)")
    comment_bad = b"# caf\xe9 config\n" + SMALL_YAML.encode()
    write("invalid-utf8-in-comment.yaml", comment_bad, "error@1:6~invalid UTF-8", "Latin-1 in a comment")
    bom = b"\xef\xbb\xbf"
    write("bom-json.json", bom + SMALL_JSON.encode(), "clean", "a UTF-8 byte order mark before JSON")
    write("bom-yaml.yaml", bom + SMALL_YAML.encode(), "clean", "a UTF-8 byte order mark before YAML")
    write("bom-twice.json", bom + bom + SMALL_JSON.encode(), "error@1:1", "two byte order marks")
    write("bom-twice.yaml", bom + bom + SMALL_YAML.encode(), "any", "two byte order marks (YAML)")
    mid = SMALL_JSON.encode()
    write("bom-in-middle.json", mid[:1] + bom + mid[1:], "error@1:2", "a byte order mark after the first brace")
    write("utf16le-bom.json", "\ufeff".encode("utf-16-le") + SMALL_JSON.encode("utf-16-le"), "error", "UTF-16 LE with BOM")
    write("utf16be-bom.yaml", "\ufeff".encode("utf-16-be") + SMALL_YAML.encode("utf-16-be"), "error", "UTF-16 BE with BOM")
    write("utf16le-nobom.json", SMALL_JSON.encode("utf-16-le"), "error", "UTF-16 LE without BOM")
    write("utf32-bom.json", "\ufeff".encode("utf-32-le") + SMALL_JSON.encode("utf-32-le"), "error", "UTF-32 LE with BOM")
    write("crlf.json", SMALL_JSON.replace("\n", "\r\n"), "clean", "CRLF line endings (JSON)")
    write("crlf.yaml", SMALL_YAML.replace("\n", "\r\n"), "clean", "CRLF line endings (YAML)")
    write("cr-only.yaml", SMALL_YAML.replace("\n", "\r"), "clean", "old Mac CR line endings (YAML)")
    write("cr-only.json", SMALL_JSON.replace("\n", "\r"), "clean", "old Mac CR line endings (JSON)")
    write("crlf-error-position.json", '{\r\n  "network": {\r\n    "a": {"class": "copy",}\r\n  }\r\n}\r\n', "error@3:26",
          "a syntax error after CRLF lines (position check: the trailing comma)")
    write("unicode-names.json", dump_json(config({"编码器": ENCODER, "😀": {"class": "copy", "from": "编码器"},
                                                 "out": {"class": "softmax", "from": "😀", "n_out": 7}})),
          "clean", "layer names outside ASCII")
    write("unicode-error-position.json", '{"network": {"😀😀": {"class": "copy"}, }}', "error@1:37",
          "an error after astral characters (columns count scalars: the trailing comma)")
    write("unicode-finding-position.yaml", "network:\n  \"😀\": {class: sofmax, from: data}\n", "findings:RL003",
          "a finding after an astral character")

    # ------------------------------------------------------------------------------------------------------
    # Keys.
    write("duplicate-layer.json", '{"network": {"a": {"class": "copy"}, "a": {"class": "linear", "n_out": 3}}}',
          "findings:RL004", "a layer defined twice")
    write("duplicate-layer.yaml", "network:\n  a: {class: copy}\n  a: {class: linear, n_out: 3}\n", "findings:RL004",
          "a layer defined twice")
    write("duplicate-option.json", '{"network": {"a": {"class": "copy", "from": "data", "from": "b"}, "b": {"class": "copy"}}}',
          "findings:RL004", "an option written twice")
    write("duplicate-option.yaml", "network:\n  a: {class: copy, from: data, from: b}\n  b: {class: copy}\n", "findings:RL004",
          "an option written twice")
    write("duplicate-network.json", '{"network": {"a": {"class": "copy"}}, "network": {"b": {"class": "sofmax"}}}',
          "findings:RL004,RL003", "'network' written twice (the last wins)")
    write("duplicate-class-key.yaml", "network:\n  a: {class: copy, class: nonexistent_class}\n", "findings:RL004,RL003",
          "class written twice, the last is unknown")
    write("duplicate-many.json", '{"network": {' + ", ".join(['"a": {"class": "copy"}'] * 500) + "}}",
          "findings:RL004", "one layer name 500 times")
    write("duplicate-extern-data.yaml", "extern_data: {data: {dim: 5}, data: {dim: 6}}\nnetwork:\n  a: {class: copy, from: data}\n",
          "findings:RL004", "an extern_data key written twice")
    nonstring = [
        ("int", "network:\n  1: {class: copy, from: data}\n"),
        ("bool", "network:\n  true: {class: copy, from: data}\n"),
        ("null", "network:\n  ~: {class: copy, from: data}\n"),
        ("float", "network:\n  1.5: {class: copy, from: data}\n"),
        ("list", "network:\n  ? [a, b]\n  : {class: copy, from: data}\n"),
        ("mapping", "network:\n  ? {a: b}\n  : {class: copy, from: data}\n"),
        ("in-layer", "network:\n  a: {class: copy, from: data, 1: 2, ~: x, [1]: y}\n"),
        ("yes-no", "network:\n  yes: {class: copy, from: data}\n  no: {class: copy, from: \"yes\"}\n"),
        ("ref-to-int-name", "network:\n  1: {class: copy, from: data}\n  b: {class: copy, from: \"1\"}\n"),
        ("empty-key", "network:\n  \"\": {class: copy, from: data}\n  b: {class: copy, from: \"\"}\n"),
    ]
    for name, text in nonstring:
        write(f"nonstring-key-{name}.yaml", text, "any", f"non-string keys: {name}")

    # ------------------------------------------------------------------------------------------------------
    # Reference structure: cycles, self-references, scopes.
    both("cycle-top-2", config({"a": {"class": "copy", "from": "b"}, "b": {"class": "copy", "from": "a"}}), "any",
         "a two-layer cycle at the top level (no prev:)")
    both("cycle-top-long", config({f"l{i}": {"class": "copy", "from": f"l{(i + 1) % 50}"} for i in range(50)}), "any",
         "a 50-layer cycle at the top level")
    both("self-ref-top", config({"a": {"class": "copy", "from": "a"}}), "any", "a layer that reads itself (top level)")
    both("self-ref-prev-top", config({"a": {"class": "copy", "from": "prev:a"}}), "any", "prev: at the top level")
    both("cycle-rec-no-prev", config({"encoder": ENCODER, "out": rec_unit({
        "a": {"class": "copy", "from": "b"}, "b": {"class": "copy", "from": "a"},
        "output": {"class": "copy", "from": "a"}})}), "any", "a cycle in a rec unit without prev:")
    both("cycle-rec-prev", config({"encoder": ENCODER, "out": rec_unit({
        "a": {"class": "linear", "from": ["data:source", "prev:b"], "n_out": 4}, "b": {"class": "copy", "from": "a"},
        "output": {"class": "copy", "from": "b"}})}), "any", "a cycle through prev: in a rec unit (fine)")
    both("self-ref-prev-rec", config({"encoder": ENCODER, "out": rec_unit({
        "output": {"class": "linear", "from": ["data:source", "prev:output"], "n_out": 4}})}), "any",
         "a rec output that reads its own previous value (fine)")
    both("self-ref-rec-no-prev", config({"encoder": ENCODER, "out": rec_unit({
        "output": {"class": "linear", "from": ["data:source", "output"], "n_out": 4}})}), "any",
         "a rec output that reads itself without prev:")
    both("cycle-mask", config({"encoder": ENCODER, "out": rec_unit({
        "m": {"class": "compare", "from": "mc", "kind": "greater", "value": 0},
        "mc": {"class": "masked_computation", "mask": "m", "from": "data:source", "unit": {"class": "copy", "from": "data"}},
        "output": {"class": "copy", "from": "mc"}})}), "any", "a mask computed from its own masked computation")
    both("cycle-unmask", config({"m": {"class": "compare", "from": "u", "kind": "greater", "value": 0},
                                 "mc": {"class": "masked_computation", "mask": "m", "from": "data", "unit": {"class": "copy", "from": "data"}},
                                 "u": {"class": "unmask", "from": "mc", "mask": "m"}}), "any", "unmask -> mask -> masked -> unmask")
    both("cycle-subnetwork", config({"s": {"class": "subnetwork", "from": "data", "subnetwork": {
        "x": {"class": "copy", "from": "base:t"}, "output": {"class": "copy", "from": "x"}}},
        "t": {"class": "copy", "from": "s"}}), "any", "a cycle through base: out of a subnetwork")
    both("cycle-sublayer-path", config({"s": {"class": "subnetwork", "from": "data", "subnetwork": {
        "output": {"class": "copy", "from": "base:s/output"}}}}), "any", "a subnetwork output that reads itself by path")
    both("cycle-initial-output", config({"encoder": ENCODER, "out": rec_unit({
        "a": {"class": "copy", "from": "prev:a", "initial_output": "a"},
        "output": {"class": "copy", "from": "a"}})}), "any", "initial_output names its own layer")
    both("cycle-extra-deps", config({"a": {"class": "copy", "from": "data", "extra_deps": ["b"]},
                                     "b": {"class": "copy", "from": "data", "extra_deps": "a"}}), "any", "extra_deps forming a cycle")
    both("cycle-target-layer", config({"a": {"class": "softmax", "from": "data", "target": "layer:a", "n_out": 3}}), "any",
         "target layer:a on layer a")
    both("chain-prev-prev", config({"encoder": ENCODER, "out": rec_unit({
        "output": {"class": "copy", "from": "prev:prev:output"}})}), "any", "prev:prev:")
    both("base-too-far", config({"a": {"class": "copy", "from": "base:base:base:data"}}), "any", "base: above the top level")
    both("empty-ref", config({"a": {"class": "copy", "from": ""}}), "any", "an empty layer name in from")
    both("prefix-only-refs", config({"a": {"class": "copy", "from": ["prev:", "base:", "data:", ":", "/", "a/"]}}), "any",
         "references that are only a prefix")
    both("step-index-outside", config({"a": {"class": "copy", "from": ":i"}}), "any", ":i outside a rec loop")
    both("data-unknown-key", config({"a": {"class": "copy", "from": "data:nonexistent"}}), "findings:RL001",
         "data:KEY for a key that is not declared")
    both("sublayer-deep-path", config({"a": {"class": "copy", "from": "s/x/y/z/w"},
                                       "s": {"class": "subnetwork", "from": "data", "subnetwork": {"output": {"class": "copy", "from": "data"}}}}),
         "findings:RL001", "a sub-layer path that does not exist")
    both("hash-layers", config({"#a": {"class": "nonexistent"}, "b": {"class": "copy", "from": "#a"}}), "any",
         "a '#' layer and a reference to it")

    # ------------------------------------------------------------------------------------------------------
    # Classes and option types.
    both("class-unknown", config({"a": {"class": "sofmax", "from": "data"}}), "findings:RL003", "a misspelled class")
    both("class-missing", config({"a": {"from": "data"}}), "findings:RL002", "a layer without a class")
    both("class-number", config({"a": {"class": 5, "from": "data"}}), "any", "class is a number")
    both("class-list", config({"a": {"class": ["copy"], "from": "data"}}), "any", "class is a list")
    both("class-null", config({"a": {"class": None, "from": "data"}}), "any", "class is null")
    both("class-empty", config({"a": {"class": "", "from": "data"}}), "findings:RL003", "class is an empty string")
    both("layer-not-dict", config({"a": "copy", "b": 5, "c": None, "d": [1, 2]}), "findings:RL002", "layers that are not dicts")
    for option, value in (("from", 5), ("from", [1, 2]), ("from", {"a": "b"}), ("from", True), ("from", 1.5),
                          ("mask", 3), ("target", 7), ("initial_output", {"x": 1}), ("extra_deps", 4),
                          ("reuse_params", 5), ("collocate_with", 3)):
        # `mask` is a layer reference only where RETURNN reads it as one (masked_computation, unmask).
        layer = {"class": "masked_computation", "from": "data", "unit": {"class": "copy", "from": "data"}} if option == "mask" \
            else {"class": "copy", "from": "data"}
        layer[option] = value
        tag = f"{option}-{type(value).__name__}".replace("_", "-")
        both(f"option-{tag}", config({"a": layer, "b": {"class": "copy", "from": "a"}}),
             "findings:RL005" if option in ("from", "mask") else "any", f"{option} is {json.dumps(value)}")
    both("option-rec-unit-number", config({"r": {"class": "rec", "from": "data", "unit": 5}}), "any", "rec unit is a number")
    both("option-rec-unit-list", config({"r": {"class": "rec", "from": "data", "unit": ["a"]}}), "any", "rec unit is a list")
    both("option-rec-unit-unknown-cell", config({"r": {"class": "rec", "from": "data", "unit": "nosuchcell", "n_out": 3}}), "any",
         "rec unit is an unknown cell name")
    both("option-subnetwork-number", config({"s": {"class": "subnetwork", "from": "data", "subnetwork": 5}}), "any",
         "subnetwork is a number")
    both("option-masked-unit-string", config({"m": {"class": "masked_computation", "mask": "data", "from": "data", "unit": "copy"}}),
         "any", "masked_computation unit is a string")
    both("option-n-out-string", config({"a": {"class": "linear", "from": "data", "n_out": "many"}}), "any", "n_out is a string")
    both("option-n-out-negative", config({"a": {"class": "linear", "from": "data", "n_out": -3}}), "any", "n_out is negative")
    both("option-n-out-zero", config({"a": {"class": "linear", "from": "data", "n_out": 0}}), "any", "n_out is 0")
    both("option-axis-garbage", config({"a": {"class": "reduce", "mode": "max", "from": "data", "axis": {"x": [1]}}}), "any",
         "axis is a mapping")
    both("option-axis-huge", config({"a": {"class": "reduce", "mode": "max", "from": "data", "axis": 10**6}}), "any",
         "axis is 10^6")
    both("option-axis-negative-huge", config({"a": {"class": "reduce", "mode": "max", "from": "data", "axis": -(10**6)}}), "any",
         "axis is -10^6")
    both("option-split-dims-garbage", config({"a": {"class": "split_dims", "from": "data", "axis": "F", "dims": [0, -1, -1]}}), "any",
         "split_dims with zero and two -1 dims")
    both("option-split-dims-huge", config({"a": {"class": "split_dims", "from": "data", "axis": "F", "dims": [2**62, 2**62]}}), "any",
         "split_dims whose product overflows")
    both("option-merge-dims-garbage", config({"a": {"class": "merge_dims", "from": "data", "axes": "nonsense"}}), "any",
         "merge_dims with unknown axes")
    both("option-conv-garbage", config({"a": {"class": "conv", "from": "data", "filter_size": [0, -1], "strides": [0], "padding": "odd", "n_out": 4}}),
         "any", "conv with zero and negative sizes")
    both("option-conv-huge", config({"a": {"class": "conv", "from": "data", "filter_size": [2**62], "strides": [2**62], "dilation_rate": [2**62], "padding": "valid", "n_out": 2**62}}),
         "any", "conv with sizes near 2^62")
    both("option-pool-garbage", config({"a": {"class": "pool", "from": "data", "pool_size": [0], "mode": "max", "padding": "same"}}), "any",
         "pool with pool_size 0")
    both("option-window-garbage", config({"a": {"class": "window", "from": "data", "window_size": -5}}), "any", "window_size -5")
    both("option-slice-garbage", config({"a": {"class": "slice", "from": "data", "axis": "F", "slice_start": 10**18, "slice_end": -10**18, "slice_step": 0}}),
         "any", "slice with step 0 and huge bounds")
    both("option-range-garbage", config({"a": {"class": "range", "limit": 2**62, "start": -2**62, "delta": 0}}), "any", "range with delta 0")
    both("option-constant-garbage", config({"a": {"class": "constant", "value": [[1, 2], [3]], "shape": [-1, 0]}}), "any",
         "a ragged constant with a bad shape")
    both("option-eval-garbage", config({"a": {"class": "eval", "from": "data", "eval": 5, "out_type": 5}}), "any",
         "eval with a number as code and out_type")
    both("option-combine-out-type", config({"a": {"class": "combine", "kind": "add", "from": ["data", "data"],
                                                  "out_type": {"dim": "x", "sparse": 3, "dtype": 1, "time_dim_axis": "T", "feature_dim_axis": 10**9}}}),
         "any", "combine with an out_type of wrong types")
    both("option-reinterpret-garbage", config({"a": {"class": "reinterpret_data", "from": "data", "set_sparse_dim": -1, "set_axes": {"T": 99},
                                                     "size_base": 5, "enforce_batch_major": "x"}}), "any", "reinterpret_data with bad options")
    both("option-expand-dims-garbage", config({"a": {"class": "expand_dims", "from": "data", "axis": "nowhere", "dim": -7}}), "any",
         "expand_dims with a bad axis")
    both("option-gather-garbage", config({"a": {"class": "gather", "from": "data", "position": 10**12, "axis": "T"}}), "any",
         "gather with a huge position")
    both("option-dot-garbage", config({"a": {"class": "dot", "from": ["data", "data"], "red1": "nowhere", "red2": 5, "var1": [], "var2": None}}),
         "any", "dot with bad axes")
    both("option-transpose-garbage", config({"a": {"class": "transpose", "from": "data", "perm": {"T": "T", "F": "x"}}}), "any",
         "transpose with a bad perm")
    both("option-concat-garbage", config({"a": {"class": "concat", "from": [["data", 5], [], "data"]}}), "any", "concat with bad sources")
    both("option-cumsum-garbage", config({"a": {"class": "cumsum", "from": "data", "axis": [], "reverse": "yes"}}), "any",
         "cumsum with a list axis")
    both("option-switch-garbage", config({"a": {"class": "switch", "condition": 5, "true_from": [], "false_from": {"x": 1}}}), "any",
         "switch with wrong types")
    both("option-cond-garbage", config({"a": {"class": "cond", "condition": "data", "true_layer": 5, "false_layer": {"class": "copy", "from": "data"}}}),
         "any", "cond with a number as a branch")
    both("option-length-garbage", config({"a": {"class": "length", "from": "data", "axis": 77}}), "any", "length over axis 77")

    # ------------------------------------------------------------------------------------------------------
    # Numbers and markers.
    numbers = [
        ("huge-int", "99999999999999999999999999999999999999"),
        ("int64-max", "9223372036854775807"),
        ("int64-max-plus-1", "9223372036854775808"),
        ("int64-min", "-9223372036854775808"),
        ("int64-min-minus-1", "-9223372036854775809"),
        ("huge-float", "1e999"),
        ("tiny-float", "1e-999"),
        ("negative-zero", "-0"),
        ("long-mantissa", "0." + "1" * 5000),
        ("long-integer", "1" * 5000),
    ]
    for name, literal in numbers:
        text = '{"extern_data": {"data": {"dim": %s}}, "network": {"a": {"class": "linear", "from": "data", "n_out": %s}}}' % (literal, literal)
        write(f"number-{name}.json", text, "any", f"the number {literal[:30]} as dim and n_out")
        write(f"number-{name}.yaml", f"extern_data: {{data: {{dim: {literal}}}}}\nnetwork:\n  a: {{class: linear, from: data, n_out: {literal}}}\n",
              "any", f"the number {literal[:30]} as dim and n_out (YAML)")
    for spelling in (".inf", "-.inf", ".nan", ".NaN", ".Inf", "inf", "nan", "NaN", "1e400", "0x7fffffffffffffffff", "0o777777777777777777777777", "1_000"):
        tag = spelling.replace(".", "dot-").replace("_", "-")
        write(f"yaml-number-{tag}.yaml",
              f"extern_data: {{data: {{dim: {spelling}}}}}\nnetwork:\n  a: {{class: dropout, from: data, dropout: {spelling}}}\n",
              "any", f"the YAML scalar {spelling} as dim and dropout")
    markers = [
        ("float-inf", {"$float": "inf"}), ("float-nan", {"$float": "nan"}), ("float-bogus", {"$float": "bogus"}),
        ("float-number", {"$float": 5}), ("float-extra-keys", {"$float": "inf", "x": 1}),
        ("dim-bad-kind", {"$dim": "time", "dimension": None, "kind": "sideways"}),
        ("dim-no-kind", {"$dim": "time"}), ("dim-negative", {"$dim": "f", "dimension": -5, "kind": "feature"}),
        ("dim-huge", {"$dim": "f", "dimension": 2**62, "kind": "feature"}), ("dim-name-number", {"$dim": 5, "dimension": 3, "kind": "feature"}),
        ("dim-dimension-string", {"$dim": "f", "dimension": "three", "kind": "feature"}),
        ("callable-number", {"$callable": 5}), ("call-bad-args", {"$call": "f", "args": 5, "kwargs": [1]}),
        ("stub-null", {"$stub": None}), ("two-markers", {"$dim": "t", "$float": "inf", "kind": "spatial"}),
    ]
    for name, marker in markers:
        both(f"marker-{name}", config({"a": {"class": "linear", "from": "data", "n_out": marker, "out_dim": marker,
                                             "dropout": marker}},
                                      extern={"data": {"dim": marker, "shape": [None, marker], "same_dim_tags_as": {"t": marker}}}),
             "any", f"the marker {json.dumps(marker)} as a dim, n_out, out_dim and dropout")

    # ------------------------------------------------------------------------------------------------------
    # Empty and degenerate networks and configs.
    both("empty-network", config({}), "clean", "an empty network in a config")
    write("empty-bare-network.json", "{}", "clean", "an empty bare network")
    write("empty-bare-network.yaml", "{}\n", "clean", "an empty bare network")
    both("extern-data-list", config({"a": {"class": "copy", "from": "data"}}, extern=[1, 2]), "any", "extern_data is a list")
    both("extern-data-entry-number", config({"a": {"class": "copy", "from": "data"}}, extern={"data": 5}), "any",
         "an extern_data entry is a number")
    both("extern-data-garbage", config({"a": {"class": "copy", "from": "data"}},
                                       extern={"data": {"dim": [], "shape": "x", "sparse": "yes", "dtype": 5, "time_dim_axis": "T",
                                                        "dim_tags": 5, "batch_dim_axis": 99, "available_for_inference": "maybe"}}),
         "any", "extern_data options of the wrong types")
    both("num-inputs-garbage", {"num_inputs": "five", "num_outputs": {"classes": "x", "data": [1, 2, 3, 4]},
                                "network": {"a": {"class": "copy", "from": "data"}}}, "any", "num_inputs and num_outputs of the wrong types")
    both("default-input-bogus", {"default_input": 5, "extern_data": EXTERN, "network": {"a": {"class": "copy"}}}, "any",
         "default_input is a number")
    both("optimize-flag-garbage", config({"encoder": ENCODER, "out": rec_unit({"output": {"class": "copy", "from": "data:source"}})},
                                         optimize_move_layers_out="sometimes"), "any", "optimize_move_layers_out is a string")
    both("behavior-version-garbage", config({"a": {"class": "copy", "from": "data"}}, behavior_version=[1]), "any",
         "behavior_version is a list")
    both("rec-without-output", config({"encoder": ENCODER, "out": rec_unit({"a": {"class": "copy", "from": "data:source"}})}), "any",
         "a rec unit without 'output'")
    both("rec-empty-unit", config({"encoder": ENCODER, "out": rec_unit({})}), "any", "a rec unit that is empty")
    both("rec-no-unit", config({"encoder": ENCODER, "out": {"class": "rec", "from": "encoder", "n_out": 3}}), "any", "a rec layer without a unit")
    both("rec-output-not-dict", config({"encoder": ENCODER, "out": rec_unit({"output": "copy"})}), "any", "a rec unit whose output is a string")
    both("rec-only-end", config({"encoder": ENCODER, "out": rec_unit({"end": {"class": "compare", "from": "data:source", "value": 0}})}), "any",
         "a rec unit with only 'end'")
    both("masked-without-unit", config({"m": {"class": "compare", "from": "data", "kind": "greater", "value": 0},
                                        "mc": {"class": "masked_computation", "mask": "m", "from": "data"}}), "any",
         "masked_computation without unit")
    both("masked-without-mask", config({"mc": {"class": "masked_computation", "from": "data", "unit": {"class": "copy", "from": "data"}}}),
         "any", "masked_computation without mask")
    both("masked-empty-unit", config({"m": {"class": "compare", "from": "data", "kind": "greater", "value": 0},
                                      "mc": {"class": "masked_computation", "mask": "m", "from": "data", "unit": {}}}), "any",
         "masked_computation with an empty unit")
    both("unmask-without-mask", config({"m": {"class": "compare", "from": "data", "kind": "greater", "value": 0},
                                        "mc": {"class": "masked_computation", "mask": "m", "from": "data", "unit": {"class": "copy", "from": "data"}},
                                        "u": {"class": "unmask", "from": "mc"}}), "any", "unmask without mask")
    both("unmask-of-data", config({"u": {"class": "unmask", "from": "data", "mask": "data"}}), "any", "unmask of the input data")
    both("unmask-mask-unknown", config({"u": {"class": "unmask", "from": "data", "mask": "nothing"}}), "findings:RL001",
         "unmask with a mask that does not exist")
    both("unmask-chain", config({"m": {"class": "compare", "from": "data", "kind": "greater", "value": 0},
                                 "mc": {"class": "masked_computation", "mask": "m", "from": "data", "unit": {"class": "copy", "from": "data"}},
                                 **{f"u{i}": {"class": "unmask", "from": "mc" if i == 0 else f"u{i-1}", "mask": "m"} for i in range(30)}}),
         "any", "30 unmask layers in a chain")
    both("masked-from-garbage", config({"m": {"class": "compare", "from": "data", "kind": "greater", "value": 0},
                                        "mc": {"class": "masked_computation", "mask": "m", "from": "data", "masked_from": 5,
                                               "unit": {"class": "copy", "from": "data"}}}), "any", "masked_from is a number")
    both("transducer", TRANSDUCER, "any", "the transducer the truncated files come from")

    # ------------------------------------------------------------------------------------------------------
    # Many layers.
    def chain(n, prefix="l"):
        net = {f"{prefix}0": {"class": "copy", "from": "data"}}
        for i in range(1, n):
            net[f"{prefix}{i}"] = {"class": "copy", "from": f"{prefix}{i-1}"}
        return net

    write("layers-10k-chain.json", dump_lines(config(chain(10_000))), "clean", "10k layers in one chain")
    write("layers-10k-chain.yaml", dump_yaml(config(chain(10_000))), "clean", "10k layers in one chain")
    write("layers-10k-independent.json", dump_lines(config({f"l{i}": {"class": "linear", "from": "data", "n_out": 3} for i in range(10_000)})),
          "clean", "10k independent layers")
    write("layers-10k-fan-in.json", dump_lines(config({**{f"l{i}": {"class": "copy", "from": "data"} for i in range(10_000)},
                                                       "sum": {"class": "combine", "kind": "add", "from": [f"l{i}" for i in range(10_000)]}})),
          "any", "one layer reading 10k layers")
    write("layers-10k-unknown-refs.json", dump_lines(config({f"l{i}": {"class": "copy", "from": f"nothing{i}"} for i in range(10_000)})),
          "findings:RL001", "10k references to layers that do not exist")
    # Minified (one line): every finding's source line is the whole file.
    write("layers-1k-unknown-refs-minified.json", json.dumps(config({f"l{i}": {"class": "copy", "from": f"nothing{i}"} for i in range(1000)})),
          "findings:RL001", "1000 references to layers that do not exist, all on one line")
    write("layers-10k-chain-minified.json", json.dumps(config(chain(10_000))), "clean", "10k layers in one chain, all on one line")
    rec_chain = {"x0": {"class": "copy", "from": "data:source"}}
    for i in range(1, 5000):
        rec_chain[f"x{i}"] = {"class": "copy", "from": f"x{i-1}" if i % 100 else f"prev:x{i-1}"}
    rec_chain["output"] = {"class": "copy", "from": "x4999"}
    write("layers-5k-rec-chain.json", dump_json(config({"encoder": ENCODER, "out": rec_unit(rec_chain)})), "any",
          "a rec unit with a chain of 5000 layers, every 100th through prev:")
    write("layers-5k-rec-prev-cycle.json", dump_json(config({"encoder": ENCODER, "out": rec_unit(
        {**{f"x{i}": {"class": "copy", "from": f"prev:x{(i + 1) % 5000}"} for i in range(5000)}, "output": {"class": "copy", "from": "x0"}})})),
          "any", "a rec unit of 5000 layers in one prev: cycle")
    deep_masked = {"m": {"class": "compare", "from": "data", "kind": "greater", "value": 0}}
    prev = "data"
    for i in range(2000):
        deep_masked[f"mc{i}"] = {"class": "masked_computation", "mask": "m", "from": prev, "unit": {"class": "copy", "from": "data"}}
        deep_masked[f"u{i}"] = {"class": "unmask", "from": f"mc{i}", "mask": "m"}
        prev = f"u{i}"
    write("layers-2k-masked-unmask.json", dump_lines(config(deep_masked)), "any", "2000 masked_computation/unmask pairs in a chain")

    with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
        f.write("# Generated by scripts/make-bad-inputs.py; see its docstring for the format.\n")
        for name, expect, what in sorted(entries):
            f.write(f"{name}\t{expect}\t{what}\n")
    total = sum(os.path.getsize(os.path.join(OUT, e[0])) for e in entries)
    print(f"{len(entries)} files, {total} bytes in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
