#!/usr/bin/env bash
# The quick start: the bundled ResNet-8 through quantize -> codegen -> flash -> verify on the
# emulated Cortex-M4, with the bundled CIFAR-10 sample. Writes into runs/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in qemu-system-arm arm-none-eabi-gcc; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is missing; install the emulated board's tools with: bash .ci/setup" >&2; exit 1; }
done
kit() { node --import tsx src/cli/main.ts "$@"; }
data=test/fixtures/cifar10-sample
out=runs/demo
rm -rf "$out" && mkdir -p "$out" && cp -r test/fixtures/resnet8 "$out/resnet8"
kit quantize "$out/resnet8" --scheme int8 --data "$data" --calib 200
kit codegen "$out/resnet8/int8" --board qemu-cortex-m4
kit flash "$out/resnet8/int8/c-qemu-cortex-m4"
kit verify "$out/resnet8/int8/c-qemu-cortex-m4" --data "$data" --samples 200 --jobs 2
