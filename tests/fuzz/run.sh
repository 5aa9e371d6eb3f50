#!/bin/sh
# Builds the libFuzzer targets with clang into build/fuzz and runs one of them for
# a bounded time, on its seed corpus (tests/fuzz/corpus/NAME) plus what earlier
# runs found (build/fuzz/corpus-NAME). A crash, leak or sanitizer report fails.
#   tests/fuzz/run.sh json_body 20
set -eu
cd "$(dirname "$0")/../.."
name=$1
secs=${2:-20}
if ! command -v clang >/dev/null 2>&1; then
	echo "skipped: clang is not installed (scripts/deps.sh installs it)"
	exit 77
fi
cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DKEHU_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/fuzz -j2 --target "fuzz_$name" >/dev/null
mkdir -p "build/fuzz/corpus-$name"
exec "build/fuzz/fuzz_$name" -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 \
	"build/fuzz/corpus-$name" "tests/fuzz/corpus/$name"
