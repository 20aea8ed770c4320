#!/usr/bin/env bash
# The quick start's demo: the bundled ResNet-8 through quantize -> codegen -> flash -> verify with
# the bundled CIFAR-10 sample, on the emulated Cortex-M4 when its tools are installed, else on the
# host board (the generated C compiled with the system compiler, its UART a pseudo-terminal).
# Writes into runs/demo (or $KIT_DEMO_OUT) under the current folder, ending with report.html.
# KIT_DEMO_BOARD picks the board.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$root/src/cli/main.ts" ] && [ -d "$root/node_modules/tsx" ]; then
  kit() { (cd "$root" && node --import tsx src/cli/main.ts "$@"); }   # a clone: run the sources (tsx resolves from there)
else
  kit() { node "$root/dist/cli/main.js" "$@"; }                # an installed package
fi

board=${KIT_DEMO_BOARD:-}
if [ -z "$board" ]; then
  missing=()
  for tool in qemu-system-arm arm-none-eabi-gcc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ ${#missing[@]} -eq 0 ]; then
    board=qemu-cortex-m4
  else
    command -v cc >/dev/null || { echo "demo: needs a C compiler (cc) for the host board, or ${missing[*]} for the emulated Cortex-M4; on Debian/Ubuntu as root: kit setup" >&2; exit 1; }
    echo "demo: ${missing[*]} not found, so this runs on the host board; the emulated Cortex-M4 needs qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi (Debian/Ubuntu, as root or with sudo: npm run setup, or npx kit setup)" >&2
    board=host
  fi
fi

data="$root/test/fixtures/cifar10-sample"
out="$(realpath -m "${KIT_DEMO_OUT:-runs/demo}")"
rm -rf "$out" && mkdir -p "$out" && cp -r "$root/test/fixtures/resnet8" "$out/resnet8"
project="$out/resnet8/int8/c-$board"
kit quantize "$out/resnet8" --scheme int8 --data "$data" --calib 200
kit codegen "$out/resnet8/int8" --board "$board"
kit flash "$project"
kit verify "$project" --data "$data" --samples 200 --jobs 2
kit report "$out/resnet8" --out "$out/report.html"
echo "demo: verified on $board; open $out/report.html"
