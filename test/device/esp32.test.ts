/**
 * The ESP32 boards, as far as they can be checked without ESP-IDF or a board: the ESP-IDF project
 * kit flash writes (every source it lists exists and is the right set, sdkconfig.defaults, the
 * partition table's arithmetic and its refusal), the portable C (harness, protocol, a generated
 * ResNet-8) compiled for Xtensa with warnings as errors, the ESP-IDF port compiled against
 * stand-in headers of the ESP-IDF calls it makes, the cycle counter's wrap arithmetic run on the
 * host, and what kit flash does with and without idf.py.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { generateC, writeCodegenManifest, type CodegenManifest } from '../../src/codegen/index.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { type Board, BoardSchema, loadBoard } from '../../src/device/boards.js';
import { buildFirmware, FIRMWARE, HARNESS_SOURCES } from '../../src/device/build.js';
import { flashWithEspIdf } from '../../src/device/esp-idf/flash.js';
import { APP_ALIGN, APP_OFFSET, partitionsCsv, planPartitions } from '../../src/device/esp-idf/partitions.js';
import { espIdfDir, writeEspIdfProject } from '../../src/device/esp-idf/project.js';
import { quantizeModel } from '../../src/quantize/index.js';
import { kitError, missing, tmpDir } from './helpers.js';
import { STANDIN_DIR } from './standin-model.js';
import { unavailable } from '../tools.js';

const ROOT = join(import.meta.dirname, '..', '..');
const XTENSA = 'xtensa-lx106-elf-gcc';
const PORT_FILES = ['uart_esp_idf.c', 'timer_ccount.c', 'app_main.c'];

/** A kit codegen project for the board: the bundled trained ResNet-8, quantized on 8 images. */
async function resnet8Project(board: string, dir: string): Promise<CodegenManifest> {
  const sample = loadDataset(join(ROOT, 'test/fixtures/cifar10-sample'));
  const q = await quantizeModel({ modelDir: join(ROOT, 'test/fixtures/resnet8'), scheme: 'int8', calibImages: { images: sample.train.images.subarray(0, 8 * 3072), count: 8, split: 'train' } });
  const gen = await generateC({ graph: q.graph, board, outDir: dir, modelName: 'resnet8' });
  return writeCodegenManifest(dir, { board, quantizedDir: dir, modelHash: gen.hash, arenaBytes: gen.plan.arenaBytes, flashBytes: gen.sizes.flash.total, ramBytes: gen.sizes.ram.total });
}

/** The quoted items of `set(name ...)` in a CMakeLists, with ${KIT_DIR} and ${KIT_MODEL_DIR} expanded. */
function cmakeList(text: string, name: string, vars: Record<string, string>): string[] {
  const m = new RegExp(`${name}\\n([^)]*)\\)`).exec(text);
  assert.ok(m, `${name} in CMakeLists.txt`);
  return [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1].replace(/\$\{(\w+)\}/g, (_, v: string) => vars[v] ?? `<${v}?>`));
}

/** KEY=value lines of sdkconfig.defaults. */
function sdkconfig(file: string): Map<string, string> {
  return new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^CONFIG_/.test(l))
      .map((l) => l.split('=', 2) as [string, string]),
  );
}

function withBoard(board: Board, change: (json: Record<string, unknown>) => void): Board {
  const json = JSON.parse(JSON.stringify(board));
  delete json.file;
  change(json);
  return { ...BoardSchema.parse(json), file: board.file };
}

describe('esp32: the ESP-IDF project', () => {
  const project = tmpDir('esp32-project');
  const board = loadBoard('esp32');
  let manifest: CodegenManifest;
  before(async () => {
    manifest = await resnet8Project('esp32', project);
  });

  test('main/CMakeLists.txt lists the harness, every model .c and the port, and each one exists', () => {
    const written = writeEspIdfProject({ project, board, manifest });
    assert.equal(written.dir, espIdfDir(project));
    const text = readFileSync(join(written.dir, 'main', 'CMakeLists.txt'), 'utf8');
    const vars = { KIT_DIR: join(written.dir, 'main', 'kit'), KIT_MODEL_DIR: project };
    const portable = cmakeList(text, 'set\\(kit_portable_sources', vars);
    const port = cmakeList(text, 'set\\(kit_port_sources', vars);
    const includes = cmakeList(text, 'PRIV_INCLUDE_DIRS', vars);
    for (const f of [...portable, ...port, ...includes]) assert.ok(existsSync(f), `${f} exists`);
    const modelC = readdirSync(project).filter((f) => f.endsWith('.c')).sort();
    // model.c is the model's one translation unit; it includes weights.inc and the kernels.
    assert.deepEqual(modelC, ['model.c']);
    assert.ok(existsSync(join(project, 'weights.inc')) && readdirSync(project).some((f) => /^kernel_.*\.inc$/.test(f)));
    assert.deepEqual(portable, [...HARNESS_SOURCES.map((s) => join(vars.KIT_DIR, s)), ...modelC.map((f) => join(project, f))]);
    assert.deepEqual(port, PORT_FILES.map((f) => join(vars.KIT_DIR, 'board', f)));
    assert.deepEqual(new Set(written.sources), new Set([...portable, ...port]));
    // The copies are kit's firmware, byte for byte.
    for (const s of HARNESS_SOURCES) assert.deepEqual(readFileSync(join(vars.KIT_DIR, s)), readFileSync(join(FIRMWARE, s)));
    assert.match(text, /COMPILE_OPTIONS "-std=c99;-Wall;-Wextra;-Werror"/);
    for (const d of ['"KIT_BOARD_NAME=\\"esp32\\""', '"KIT_BOARD_CLOCK_HZ=240000000u"', '"KIT_BOARD_BAUD=921600u"', '"KIT_BOARD_UART=0"', '"KIT_HARNESS_NO_MAIN=1"']) {
      assert.ok(text.includes(d), d);
    }
    assert.ok(!text.includes('KIT_PROFILE'), 'the normal firmware has no per-layer hook');
    // kit flash --profile: the same project with the hook compiled in, for kit verify --profile --port.
    writeEspIdfProject({ project, board, manifest, profile: true });
    assert.ok(readFileSync(join(written.dir, 'main', 'CMakeLists.txt'), 'utf8').includes('"KIT_PROFILE=1"'));
    writeEspIdfProject({ project, board, manifest });
    const top = readFileSync(join(written.dir, 'CMakeLists.txt'), 'utf8');
    assert.match(top, /^set\(IDF_TARGET esp32\)$/m);
    assert.match(top, /^include\(\$ENV\{IDF_PATH\}\/tools\/cmake\/project\.cmake\)$/m);
  });

  test('sdkconfig.defaults: target, 240 MHz, flash size, partition table, console off UART0, watchdog, main task', () => {
    for (const name of ['esp32', 'esp32s3']) {
      const b = loadBoard(name);
      const dir = writeEspIdfProject({ project, board: b, manifest: { ...manifest, board: name } }).dir;
      const c = sdkconfig(join(dir, 'sdkconfig.defaults'));
      assert.equal(c.get('CONFIG_IDF_TARGET'), `"${name}"`);
      assert.equal(c.get('CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240'), 'y');
      assert.equal(c.get(name === 'esp32' ? 'CONFIG_ESPTOOLPY_FLASHSIZE_4MB' : 'CONFIG_ESPTOOLPY_FLASHSIZE_8MB'), 'y');
      assert.equal(c.get('CONFIG_PARTITION_TABLE_CUSTOM'), 'y');
      assert.equal(c.get('CONFIG_PARTITION_TABLE_CUSTOM_FILENAME'), '"partitions.csv"');
      assert.equal(c.get('CONFIG_ESP_CONSOLE_NONE'), 'y');
      assert.equal(c.get('CONFIG_ESP_TASK_WDT_CHECK_IDLE_TASK_CPU0'), 'n');
      assert.equal(c.get('CONFIG_ESP_TASK_WDT_CHECK_IDLE_TASK_CPU1'), 'n');
      assert.equal(c.get('CONFIG_ESP_MAIN_TASK_AFFINITY_CPU0'), 'y');
      assert.equal(c.get('CONFIG_ESP_MAIN_TASK_STACK_SIZE'), '8192');
      assert.equal(c.get('CONFIG_COMPILER_OPTIMIZATION_PERF'), 'y');
      assert.ok(!c.has('CONFIG_ESP_CONSOLE_UART_DEFAULT'));
      assert.equal(b.serial.baud, 921600, 'the harness UART and kit verify default to 921600');
    }
  });

  test('rewriting keeps an unchanged project as it is; changed defaults drop the stale sdkconfig and build', () => {
    const dir = writeEspIdfProject({ project, board, manifest }).dir;
    writeFileSync(join(dir, 'sdkconfig'), '# made by idf.py\n');
    mkdirSync(join(dir, 'build'), { recursive: true });
    writeFileSync(join(dir, 'main', 'kit', 'harness', 'stale.c'), 'int stale;\n');
    const cmake = join(dir, 'main', 'CMakeLists.txt');
    utimesSync(cmake, new Date(2020, 0, 1), new Date(2020, 0, 1));
    writeEspIdfProject({ project, board, manifest });
    assert.ok(existsSync(join(dir, 'sdkconfig')) && existsSync(join(dir, 'build')), 'same settings: incremental build kept');
    assert.equal(statSync(cmake).mtime.getFullYear(), 2020, 'an unchanged file keeps its time: ESP-IDF does not reconfigure');
    assert.ok(!existsSync(join(dir, 'main', 'kit', 'harness', 'stale.c')), 'a file kit does not ship is removed');
    writeEspIdfProject({ project, board: withBoard(board, (j) => ((j as { clockHz: number }).clockHz = 160_000_000)), manifest });
    assert.ok(!existsSync(join(dir, 'sdkconfig')) && !existsSync(join(dir, 'build')), 'new settings: sdkconfig and build start afresh');
    assert.equal(sdkconfig(join(dir, 'sdkconfig.defaults')).get('CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_160'), 'y');
    writeEspIdfProject({ project, board, manifest });
  });

  test('partitions: the app is the estimate plus a margin, to 64 KiB, after nvs and phy_init; too big is refused with the numbers', () => {
    const plan = planPartitions(board, manifest.flashBytes);
    const estimate = manifest.flashBytes + 262_144;
    assert.equal(plan.estimateBytes, estimate);
    assert.equal(plan.appBytes, Math.ceil((estimate + Math.max(APP_ALIGN, Math.ceil(estimate / 10))) / APP_ALIGN) * APP_ALIGN);
    assert.equal(plan.appMaxBytes, (4 << 20) - 0x10000);
    let end = 0x9000; // the partition table occupies 0x8000-0x8fff
    for (const r of plan.rows) {
      assert.ok(r.offset >= end, `${r.name} after the previous one`);
      end = r.offset + r.size;
    }
    const app = plan.rows.at(-1)!;
    assert.deepEqual([app.name, app.type, app.offset % APP_ALIGN, app.size % APP_ALIGN], ['factory', 'app', 0, 0]);
    assert.ok(end <= 4 << 20);
    const csv = readFileSync(join(espIdfDir(project), 'partitions.csv'), 'utf8');
    assert.equal(csv, partitionsCsv(plan, 'esp32'));
    assert.deepEqual(
      csv.split('\n').filter((l) => l && !l.startsWith('#')),
      ['nvs, data, nvs, 0x9000, 0x6000,', 'phy_init, data, phy, 0xf000, 0x1000,', `factory, app, factory, 0x10000, 0x${plan.appBytes.toString(16)},`],
    );

    // Near the top the margin gives way (ESP-IDF's own size check has the last word); past it, a refusal.
    const max = (4 << 20) - APP_OFFSET;
    assert.equal(planPartitions(board, max - 262_144 - 1000).appBytes, max);
    assert.throws(
      () => planPartitions(board, 3_900_000),
      kitError('app-too-large', /esp32's 4,194,304-byte flash: it needs 4,194,304 bytes \(model 3,900,000 from kit codegen \+ ESP-IDF 262,144 \(allowance\), to 64 KiB\) but the app partition can have at most 4,128,768/),
    );
    assert.equal(planPartitions(loadBoard('esp32s3'), 3_900_000).appMaxBytes, (8 << 20) - APP_OFFSET, 'the same model fits the 8 MiB esp32s3');
    assert.throws(() => writeEspIdfProject({ project, board, manifest: { ...manifest, flashBytes: 3_900_000 } }), kitError('app-too-large'));
  });

  test('boards: the ESP32 boards are ESP-IDF boards; build.ts points at kit flash', async () => {
    assert.equal(board.flash.method === 'esptool' && board.flash.baud, 460800);
    assert.deepEqual(board.espIdf, { uart: 0, runtimeBytes: 262144 });
    assert.throws(() => withBoard(board, (j) => delete j.espIdf), /espIdf/);
    await assert.rejects(buildFirmware({ board, modelDir: STANDIN_DIR, outDir: project }), (e: unknown) => {
      kitError('board-unsupported', /esp32 firmware is built by ESP-IDF/)(e);
      assert.match((e as { hint: string }).hint, /kit flash <project> --port/);
      return true;
    });
  });

  describe('kit flash', () => {
    const bin = tmpDir('esp32-bin');
    const fakeIdf = (exit: number) => {
      writeFileSync(join(bin, 'idf.py'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(bin, 'args')}"\nexit ${exit}\n`);
      chmodSync(join(bin, 'idf.py'), 0o755);
    };

    test('without --port: a one-line error, and the project is written', async () => {
      await assert.rejects(flashWithEspIdf({ project, board, manifest, env: { PATH: '' } }), (e: unknown) => {
        kitError('no-port', /needs the serial port of the esp32 board \(--port\)/)(e);
        assert.match((e as { hint: string }).hint, /--port \/dev\/ttyUSB0.*the ESP-IDF project is ready in .*esp-idf$/);
        return true;
      });
      assert.ok(existsSync(join(espIdfDir(project), 'partitions.csv')));
    });

    test('without idf.py on PATH: names what is missing and the command to run by hand', async () => {
      await assert.rejects(flashWithEspIdf({ project, board, manifest, port: '/dev/ttyUSB9', env: { PATH: '/nonexistent' } }), (e: unknown) => {
        kitError('idf-missing', /^ESP-IDF not found \(idf\.py not on PATH\)$/)(e);
        const dir = espIdfDir(project);
        assert.equal(
          (e as { hint: string }).hint,
          `install ESP-IDF v5 and run \`. $IDF_PATH/export.sh\`, then \`idf.py -C ${dir} -p /dev/ttyUSB9 -b 460800 build flash\`; ` +
            `or build ${dir} with \`idf.py build\` on a machine that has ESP-IDF and flash its build folder with kit flash --image DIR`,
        );
        return true;
      });
    });

    test('with idf.py on PATH: runs `idf.py -C dir -p port -b baud build flash`; its failure is a KitError', async () => {
      fakeIdf(0);
      const lines: string[] = [];
      const written = await flashWithEspIdf({ project, board, manifest, port: '/dev/ttyUSB9', env: { PATH: bin }, log: (l) => lines.push(l) });
      assert.deepEqual(readFileSync(join(bin, 'args'), 'utf8').trim().split('\n'), ['-C', written.dir, '-p', '/dev/ttyUSB9', '-b', '460800', 'build', 'flash']);
      assert.ok(lines.some((l) => l.startsWith('$ idf.py -C ')));
      fakeIdf(2);
      await assert.rejects(flashWithEspIdf({ project, board, manifest, port: '/dev/ttyUSB9', env: { PATH: bin } }), kitError('idf-failed', /building and flashing esp32 on \/dev\/ttyUSB9 failed: idf\.py exited with 2/));
    });

    test('the CLI: kit flash <esp32 project> without ESP-IDF is one line on stderr and exit 1', async () => {
      const run = promisify(execFile);
      const env = { ...process.env, PATH: dirname(process.execPath) };
      const r = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'flash', project, '--port', '/dev/ttyUSB9'], { cwd: ROOT, env }).then(
        () => assert.fail('kit flash should fail without idf.py'),
        (e: { code: number; stderr: string; stdout: string }) => e,
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^kit flash: ESP-IDF not found \(idf\.py not on PATH\) \(install ESP-IDF v5 .* -p \/dev\/ttyUSB9 -b 460800 build flash`; or build .* with `idf\.py build` on a machine that has ESP-IDF and flash its build folder with kit flash --image DIR\)\n$/);
      assert.match(r.stdout, /app partition [\d,]+ B of 4,128,768/);
    });
  });

  describe('Xtensa', () => {
    const reason = missing(XTENSA) || unavailable(libcReason());
    const out = tmpDir('esp32-xtensa');

    test('harness + protocol + the generated ResNet-8 compile for Xtensa with -std=c99 -Wall -Wextra -Werror', { skip: reason }, () => {
      const written = writeEspIdfProject({ project, board, manifest });
      const kit = join(written.dir, 'main', 'kit');
      const portable = written.sources.filter((s) => !PORT_FILES.some((p) => s.endsWith(`/board/${p}`)));
      const defines = ['-DKIT_BOARD_NAME="esp32"', '-DKIT_BOARD_CLOCK_HZ=240000000u', '-DKIT_BOARD_BAUD=921600u', '-DKIT_HARNESS_NO_MAIN=1'];
      const includes = ['harness', 'protocol', 'uart', 'timer'].map((d) => `-I${join(kit, d)}`);
      compile([...board.toolchain.cflags, ...defines, ...includes, `-I${project}`, ...portable], out);
      assert.ok(readdirSync(out).includes('model.o') && readdirSync(out).includes('main.o'));
      // KIT_HARNESS_NO_MAIN: no main() in the harness (ESP-IDF has app_main call kit_harness_run).
      const nm = spawnSync('xtensa-lx106-elf-nm', [join(out, 'main.o')], { encoding: 'utf8' });
      if (nm.status === 0) {
        assert.match(nm.stdout, / T kit_harness_run$/m);
        assert.doesNotMatch(nm.stdout, / T main$/m);
      }
    });

    test('the ESP-IDF port compiles against stand-in headers of the ESP-IDF v5 calls it makes', { skip: reason }, () => {
      const stubs = join(out, 'stubs');
      writeStubs(stubs);
      const kit = join(espIdfDir(project), 'main', 'kit');
      const flags = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-mlongcalls', '-DKIT_BOARD_CLOCK_HZ=240000000u', '-DKIT_BOARD_BAUD=921600u', '-DKIT_BOARD_UART=0'];
      const includes = ['harness', 'protocol', 'uart', 'timer'].map((d) => `-I${join(kit, d)}`);
      compile([...flags, `-I${stubs}`, ...includes, `-I${project}`, ...PORT_FILES.map((f) => join(FIRMWARE, 'boards/esp32', f))], join(out, 'port'));
    });
  });
});

describe('esp32: the cycle counter', { skip: missing('cc') }, () => {
  test('64-bit cycle counts across CCOUNT wraps, from the 32-bit counter and the microsecond clock', () => {
    const dir = tmpDir('esp32-ccount');
    writeStubs(join(dir, 'stubs'));
    // Drives timer_ccount.c with a fake clock: CCOUNT = cycles mod 2^32, esp_timer = cycles / 240 in
    // microseconds give or take `jitter` (the two are read at slightly different moments).
    writeFileSync(
      join(dir, 'driver.c'),
      `#include <inttypes.h>
#include <stdio.h>
#include "timer.h"
static uint64_t now; static int64_t jitter;
uint32_t esp_cpu_get_cycle_count(void) { return (uint32_t)now; }
int64_t esp_timer_get_time(void) { return (int64_t)(now / 240u) + jitter; }
uint32_t esp_rom_get_cpu_ticks_per_us(void) { return 240u; }
int main(void) {
  const uint64_t spans[] = {0u, 1000u, 0xFFFFFFFFu, 0x100000000u, 0x100000005u, 5u * 0x100000000u + 12345u, 24000000000u};
  const int64_t jitters[] = {0, 3, -3};
  now = 0xFFFFFF00u; kit_timer_init();
  if (kit_timer_hz() != 240000000u) return 1;
  for (unsigned j = 0; j < 3; j++) for (unsigned i = 0; i < sizeof spans / sizeof spans[0]; i++) {
    now = 123456789u + 0xFFFFFF00u * i; jitter = 0; kit_timer_start();
    now += spans[i]; jitter = jitters[j];
    printf("%" PRIu64 "\\n", kit_timer_elapsed());
  }
  return 0;
}
`,
    );
    const exe = join(dir, 'ccount');
    const cc = spawnSync('cc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-DKIT_BOARD_CLOCK_HZ=240000000u', `-I${join(dir, 'stubs')}`, `-I${join(FIRMWARE, 'timer')}`, join(FIRMWARE, 'boards/esp32/timer_ccount.c'), join(dir, 'driver.c'), '-o', exe], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const r = spawnSync(exe, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const spans = ['0', '1000', '4294967295', '4294967296', '4294967301', '21474848825', '24000000000'];
    assert.deepEqual(r.stdout.trim().split('\n'), [...spans, ...spans, ...spans]);
  });
});

/** Compiles C files to objects in `out` (-c), failing the test with the compiler's first error. */
function compile(args: string[], out: string) {
  mkdirSync(out, { recursive: true });
  const r = spawnSync(XTENSA, ['-c', ...args], { cwd: out, encoding: 'utf8' });
  assert.equal(r.status, 0, `${XTENSA} failed:\n${r.stderr.split('\n').slice(0, 20).join('\n')}`);
  assert.equal(r.stderr.trim(), '', 'no warnings');
}

/** The Debian cross compiler has no C library of its own; picolibc's headers provide <string.h>. */
function libcReason(): string | undefined {
  const r = spawnSync(XTENSA, ['-std=c99', '-fsyntax-only', '-x', 'c', '-'], { input: '#include <string.h>\n#include <stdint.h>\n', encoding: 'utf8' });
  return r.status === 0 ? undefined : 'needs the C headers for xtensa-lx106-elf (apt-get install picolibc-xtensa-lx106-elf, run .ci/setup)';
}

/**
 * Stand-ins for the ESP-IDF v5 headers the port includes: the declarations it uses, with ESP-IDF's
 * signatures (driver/uart.h, esp_cpu.h, esp_timer.h, esp_rom_sys.h, FreeRTOS). They check the port's
 * C, not ESP-IDF itself; that needs a real ESP-IDF build.
 */
function writeStubs(dir: string) {
  const files: Record<string, string> = {
    'sdkconfig.h': '#define CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ 240\n',
    'esp_err.h': '#pragma once\ntypedef int esp_err_t;\n#define ESP_OK 0\n',
    'freertos/FreeRTOS.h': '#pragma once\n#include <stdint.h>\ntypedef uint32_t TickType_t;\n#define portMAX_DELAY ((TickType_t)0xffffffffUL)\ntypedef void *QueueHandle_t;\n',
    'freertos/task.h': '#pragma once\n#include "freertos/FreeRTOS.h"\nvoid vTaskDelay(const TickType_t ticks);\n',
    'driver/uart.h': `#pragma once
#include <stddef.h>
#include <stdint.h>
#include "esp_err.h"
#include "freertos/FreeRTOS.h"
typedef int uart_port_t;
typedef enum { UART_DATA_5_BITS, UART_DATA_6_BITS, UART_DATA_7_BITS, UART_DATA_8_BITS } uart_word_length_t;
typedef enum { UART_PARITY_DISABLE = 0, UART_PARITY_EVEN = 2, UART_PARITY_ODD = 3 } uart_parity_t;
typedef enum { UART_STOP_BITS_1 = 1, UART_STOP_BITS_1_5, UART_STOP_BITS_2 } uart_stop_bits_t;
typedef enum { UART_HW_FLOWCTRL_DISABLE = 0 } uart_hw_flowcontrol_t;
typedef enum { UART_SCLK_APB = 4, UART_SCLK_DEFAULT = 4 } uart_sclk_t;
typedef struct {
  int baud_rate;
  uart_word_length_t data_bits;
  uart_parity_t parity;
  uart_stop_bits_t stop_bits;
  uart_hw_flowcontrol_t flow_ctrl;
  uint8_t rx_flow_ctrl_thresh;
  union { uart_sclk_t source_clk; };
} uart_config_t;
esp_err_t uart_driver_install(uart_port_t uart_num, int rx_buffer_size, int tx_buffer_size, int queue_size, QueueHandle_t *uart_queue, int intr_alloc_flags);
esp_err_t uart_param_config(uart_port_t uart_num, const uart_config_t *uart_config);
int uart_write_bytes(uart_port_t uart_num, const void *src, size_t size);
int uart_read_bytes(uart_port_t uart_num, void *buf, uint32_t length, TickType_t ticks_to_wait);
esp_err_t uart_get_buffered_data_len(uart_port_t uart_num, size_t *size);
`,
    'esp_cpu.h': '#pragma once\n#include <stdint.h>\ntypedef uint32_t esp_cpu_cycle_count_t;\nesp_cpu_cycle_count_t esp_cpu_get_cycle_count(void);\n',
    'esp_rom_sys.h': '#pragma once\n#include <stdint.h>\nuint32_t esp_rom_get_cpu_ticks_per_us(void);\n',
    'esp_timer.h': '#pragma once\n#include <stdint.h>\nint64_t esp_timer_get_time(void);\n',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}
