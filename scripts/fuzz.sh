#!/usr/bin/env bash
# Runs one libFuzzer target of returnn-lint for a given time.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
#
# TARGET is one of
#   parse     YAML and JSON parsing into values (ConfigParser.parse, both formats on every input)
#   pipeline  parse -> IR (NetworkConfig.load) -> Analysis (loop plans, dims, unmask verdicts) -> findings
#   fix       every offered fix applied alone, then FixEngine (verification off, safe and unsafe): the result
#             loads again, no byte outside the edit ranges changes, and a second run changes nothing
#
# It builds the separate package Fuzz/ (release, -sanitize=fuzzer,address, every module instrumented) into
# .build-fuzz, copies a seed corpus into a fresh temporary directory (../shared/corpus as JSON and as block
# YAML, fixtures/ including fixtures/bad-input and fixtures/fuzz-regressions; files above the -max_len are
# left out), and runs libFuzzer with -timeout=10 (a hang is an input that takes 10 s).
#
# Environment:
#   FUZZ_SCRATCH   SwiftPM scratch path (default: .build-fuzz in the package root)
#   FUZZ_WORK      working directory to use (default: a new mktemp -d); it keeps the corpus libFuzzer grew
#                  (FUZZ_WORK/corpus), crash/timeout artifacts (FUZZ_WORK/artifacts) and the log (FUZZ_WORK/fuzz.log).
#                  Passing the same FUZZ_WORK again continues from the grown corpus.
#   FUZZ_MAX_LEN   largest input in bytes (default 65536)
#   FUZZ_NO_BUILD  set to 1 to skip the build
#
# Long unattended runs: add `-fork=1 -ignore_crashes=1 -ignore_timeouts=1` so that libFuzzer keeps going after
# a crash (every one is still saved in FUZZ_WORK/artifacts).
#
# Exit status: libFuzzer's (0 when nothing was found in the time given; non-zero after a crash, a trap, a
# timeout or a sanitizer report, whose input is then in FUZZ_WORK/artifacts). Never copy the shared corpus
# into the repository: seeds live in the temporary directory only.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; }
if [ $# -lt 2 ]; then usage; exit 2; fi
target=$1
seconds=$2
shift 2
case "$target" in
parse | pipeline | fix) ;;
*) echo "fuzz.sh: unknown target '$target' (parse, pipeline or fix)" >&2; exit 2 ;;
esac
case "$seconds" in
'' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
scratch=${FUZZ_SCRATCH:-$root/.build-fuzz}
max_len=${FUZZ_MAX_LEN:-65536}

# -sil-disable-pass=copy-propagation works around a Swift 6.3.1 optimizer crash ("Found ownership error")
# in ShapeRules.combineOutType that breaks every -O build of the Analyzer module.
build_flags=(
    -c release --scratch-path "$scratch" --product "fuzz-$target"
    -Xswiftc -sanitize=fuzzer,address
    -Xswiftc -Xllvm -Xswiftc -sil-disable-pass=copy-propagation
)
if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    (cd "$root/Fuzz" && swift build "${build_flags[@]}")
fi
binary=$(cd "$root/Fuzz" && swift build "${build_flags[@]}" --show-bin-path)/fuzz-$target

work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/returnn-lint-fuzz-$target.XXXXXX")}
mkdir -p "$work/corpus" "$work/artifacts"
rm -rf "$work/seeds"
mkdir -p "$work/seeds"

# Seeds: copies, by content hash, so that nothing is read from the shared corpus while fuzzing.
python3 - "$root" "$work/seeds" "$max_len" <<'PY'
import hashlib, json, os, sys
root, out, max_len = sys.argv[1], sys.argv[2], int(sys.argv[3])

def save(data):
    if 0 < len(data) <= max_len:
        with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)

sys.path.insert(0, os.path.join(root, "scripts", "bench"))
from gen_synthetic import to_yaml  # block-YAML writer shared with the benchmarks

shared = os.path.join(os.path.dirname(root), "shared", "corpus")
for folder in (shared, os.path.join(root, "fixtures")):
    for dirpath, _, files in os.walk(folder):
        for name in sorted(files):
            if not name.endswith((".json", ".yaml", ".yml")):
                continue
            path = os.path.join(dirpath, name)
            if os.path.getsize(path) > max_len:
                continue
            with open(path, "rb") as f:
                data = f.read()
            save(data)
            if folder == shared:
                try:
                    save((to_yaml(json.loads(data)) + "\n").encode())
                except Exception:
                    pass
print(f"fuzz.sh: {len(os.listdir(out))} seeds", file=sys.stderr)
PY

echo "fuzz.sh: target $target for ${seconds}s; work directory $work" >&2
set +e
# Let libFuzzer and ASan report a trap, not Swift's backtracer (which is slow and confuses ASan).
SWIFT_BACKTRACE=enable=no "$binary" "$work/corpus" "$work/seeds" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len="$max_len" \
    -dict="$root/Fuzz/returnn.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
    "$@" 2>&1 | tee "$work/fuzz.log"
status=${PIPESTATUS[0]}
set -e
echo "fuzz.sh: exit $status; corpus $(ls "$work/corpus" | wc -l) inputs; artifacts: $(ls "$work/artifacts" | tr '\n' ' ')" >&2
exit "$status"
