#!/usr/bin/env python3
"""Writes synthetic RETURNN networks of N layers (JSON and YAML) for the benchmarks.

The network repeats a block: a top-level chain (linear, combine, dropout) and, every 48 layers, a rec layer
whose unit has a masked computation, an unmask of it (redundant today), a prev: recurrence and a nested
subnetwork. Usage: gen_synthetic.py N OUT_PREFIX  ->  OUT_PREFIX.json and OUT_PREFIX.yaml
"""
import json
import re
import sys


def block(i, prev):
    """A 48-layer block: a 36-layer top-level chain, a 2-layer subnetwork, a rec layer with a 7-layer unit
    (masked computation, a redundant unmask, a prev: recurrence) and a copy."""
    layers = {}
    cur = prev
    for j in range(36):
        name = f"l{i}_{j}"
        if j % 3 == 0:
            layers[name] = {"class": "linear", "from": cur, "n_out": 16, "activation": "tanh"}
        elif j % 3 == 1:
            layers[name] = {"class": "combine", "kind": "add", "from": [cur, prev]}
        else:
            layers[name] = {"class": "dropout", "from": cur, "dropout": 0.1}
        cur = name
    sub = f"sub{i}"
    layers[sub] = {"class": "subnetwork", "from": cur, "subnetwork": {
        "a": {"class": "linear", "from": "data", "n_out": 16},
        "output": {"class": "copy", "from": "a"}}}
    rec = f"rec{i}"
    layers[rec] = {"class": "rec", "from": sub, "unit": {
        "in": {"class": "reduce", "mode": "max", "axis": "f", "from": "data:source"},
        "mask": {"class": "compare", "from": "in", "kind": "greater", "value": 0.0},
        "masked": {"class": "masked_computation", "from": "data:source", "mask": "mask",
                   "unit": {"class": "linear", "from": "data", "n_out": 16, "activation": "tanh"}},
        "unmask": {"class": "unmask", "from": "masked", "mask": "mask"},
        "acc": {"class": "combine", "kind": "add", "from": ["unmask", "prev:acc"]},
        "lin": {"class": "linear", "from": "data:source", "n_out": 16},
        "output": {"class": "combine", "kind": "add", "from": ["acc", "lin"]}}}
    layers[f"post{i}"] = {"class": "copy", "from": rec}
    return layers, f"post{i}"


def network(n):
    layers = {}
    cur = "data"
    i = 0
    total = 1
    while total < n:
        block_layers, cur = block(i, cur)
        layers.update(block_layers)
        total += 48
        i += 1
    layers["output"] = {"class": "softmax", "from": cur, "n_out": 10}
    return {"extern_data": {"data": {"dim": 16}}, "network": layers}


PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEYWORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(value):
    """A YAML scalar: plain for identifier-like strings, else JSON's spelling (valid YAML: null, booleans,
    numbers, double-quoted strings)."""
    if isinstance(value, str) and PLAIN.match(value) and value.lower() not in KEYWORDS:
        return value
    return json.dumps(value)


def to_yaml(value, indent=0):
    """Block-style YAML of a JSON value (mappings and lists on their own lines, scalars inline)."""
    pad = "  " * indent
    if isinstance(value, dict) and value:
        lines = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{scalar(k)}:\n{to_yaml(v, indent + 1)}")
            else:
                lines.append(f"{pad}{scalar(k)}: {to_yaml(v) if isinstance(v, (dict, list)) else scalar(v)}")
        return "\n".join(lines)
    if isinstance(value, list) and value:
        lines = []
        for v in value:
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}-\n{to_yaml(v, indent + 1)}")
            else:
                lines.append(f"{pad}- {to_yaml(v) if isinstance(v, (dict, list)) else scalar(v)}")
        return "\n".join(lines)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


def transducer_like(d):
    """A decoder loop over the encoder frames with a masked LSTM label LM (like the corpus RNA setups)."""
    return {
        "extern_data": {"data": {"dim": d}},
        "network": {
            "encoder": {"class": "linear", "from": "data", "n_out": d, "activation": "tanh"},
            "output": {"class": "rec", "from": "encoder", "unit": {
                "am": {"class": "copy", "from": "data:source"},
                "emit_in": {"class": "reduce", "mode": "max", "axis": "f", "from": "prev:s"},
                "emit": {"class": "compare", "from": "emit_in", "kind": "greater", "value": 0.0},
                "lm": {"class": "masked_computation", "from": "prev:s", "mask": "emit",
                       "unit": {"class": "rec", "unit": "nativelstm2", "n_out": d, "from": "data"}},
                "s": {"class": "linear", "from": ["am", "lm"], "n_out": d, "activation": "tanh"},
                "output": {"class": "linear", "from": "s", "n_out": d}}},
        },
    }


def main():
    n = int(sys.argv[1])
    prefix = sys.argv[2]
    net = network(n)
    with open(prefix + ".json", "w") as f:
        json.dump(net, f, indent=1)
    with open(prefix + ".yaml", "w") as f:
        f.write("# synthetic network, %d layers\n" % n)
        f.write(to_yaml(net) + "\n")


if __name__ == "__main__":
    main()
