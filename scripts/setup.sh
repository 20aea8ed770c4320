#!/usr/bin/env bash
# Sets kit up on Debian/Ubuntu: installs the Debian packages it needs (only those missing, as root
# or with sudo), then, in a clone without node_modules, runs npm install, then the demo.
#   - every board's packages, from the "requires" of boards/*.json (compilers, emulators)
#   - g++, make, python3 and libopenblas-dev: the native CPU training kernels, built at npm install
#   - libdnnl-dev (oneDNN): their convolutions on the CPU's widest vector units (optional to the
#     build, which falls back to kit's own kernels without it)
#   - gcc-xtensa-lx106 + picolibc: the tests compile the ESP32 firmware and generated C for Xtensa
#   - gcc-riscv64-unknown-elf + picolibc (rv32imc, ESP32-C3-class) and cmake: the tests build the
#     project formats of kit codegen --format
#   - chromium: the tests render kit's HTML report in headless Chromium
# Where packages cannot be installed (no root or sudo, not Debian) it says what is missing and
# carries on: the demo then runs on the host board.
# Options: --packages-only (just the packages: what CI runs), --strict (fail if they cannot be
# installed), --no-demo.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
packages_only=0 strict=0 demo=1
for arg in "$@"; do
  case "$arg" in
    --packages-only) packages_only=1 ;;
    --strict) strict=1 ;;
    --no-demo) demo=0 ;;
    *) echo "setup: unknown option $arg (known: --packages-only, --strict, --no-demo)" >&2; exit 2 ;;
  esac
done

base=(libopenblas-dev libdnnl-dev g++ make python3 clang gcc-xtensa-lx106 picolibc-xtensa-lx106-elf gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf cmake chromium)
mapfile -t board_packages < <(node "$root/scripts/board-packages.mjs")
packages=("${board_packages[@]}" "${base[@]}")

cannot() {
  echo "setup: $1; kit needs these Debian/Ubuntu packages: ${missing[*]}" >&2
  if [ "$strict" -eq 1 ]; then exit 1; fi
  echo "setup: carrying on without them (kit doctor says what each board lacks; the demo uses the host board)" >&2
}

missing=()
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  missing=("${packages[@]}")
  cannot "not a Debian/Ubuntu system (no apt-get)"
else
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: Debian packages present (${packages[*]})"
  else
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo); elif command -v sudo >/dev/null && [ -t 0 ]; then sudo=(sudo); else sudo=(none); fi
    fi
    if [ "${sudo[*]}" = none ]; then
      cannot "not root and no sudo"
    else
      echo "setup: installing ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      # apt-get update only when something has to be installed: cheap to run on every CI run.
      "${sudo[@]}" apt-get update -qq
      "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
      echo "setup: installed ${missing[*]}"
    fi
  fi
fi

[ "$packages_only" -eq 1 ] && exit 0
if [ -f "$root/src/cli/main.ts" ]; then   # a clone (an installed package has no sources)
  if [ ! -d "$root/node_modules" ]; then
    echo "setup: npm install"
    (cd "$root" && npm install --no-audit --no-fund)
  elif [ ! -f "$root/src/native/build/Release/kit_native.node" ]; then
    # Installed before OpenBLAS was: build the native training kernels now (it notes why if it cannot).
    echo "setup: building the native training kernels"
    (cd "$root" && node scripts/build-native.mjs)
  fi
fi
[ "$demo" -eq 1 ] && exec bash "$root/scripts/demo.sh"
exit 0
