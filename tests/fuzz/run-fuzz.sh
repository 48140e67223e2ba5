#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A short libFuzzer run of the virtqueue parser for `make check` (configure --enable-fuzzing):
# a fixed number of runs from a seed corpus the replay program generates, so the run takes a
# few seconds and is the same every time. A crash leaves its input in tests/fuzz/artifacts/;
# replay it with `tests/fuzz/replay-virtqueue FILE`.
set -eu
build=${VMB_TEST_BUILDDIR:-tests}/fuzz
runs=${VMB_FUZZ_RUNS:-200000}
corpus=$build/corpus
rm -rf "$corpus"
mkdir -p "$corpus" "$build/artifacts"
"$build/replay-virtqueue" --write-corpus "$corpus"
# libFuzzer reports a crash with exit status 77 unless told otherwise: automake's "skipped".
exec "$build/fuzz-virtqueue" -runs="$runs" -seed=1 -max_len=131072 -error_exitcode=1 \
    -artifact_prefix="$build/artifacts/" "$corpus"
