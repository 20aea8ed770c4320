/**
 * kit codegen --format: each project layout generated and built as far as this machine allows
 * without the vendor tools. The CMake library is configured and built by CMake with the host
 * compiler (and a program linked to its target runs the model bit-exact) and with three cross
 * compilers through toolchain files. The ESP-IDF component's CMakeLists.txt is built by CMake with
 * a stand-in for ESP-IDF's idf_component_register and the Xtensa compiler. The Arduino library and
 * the PlatformIO project are checked against their documented layouts and keys, and their sources
 * compiled with the Xtensa and RISC-V cross compilers through a stand-in Arduino.h (Serial, micros,
 * delay: only what the example uses) and esp_timer.h; on the host the same sources run and print
 * that the logits match the interpreter. Arduino's IDE, PlatformIO and ESP-IDF themselves are not run.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { generateC, type Generated, libraryName, type ProjectFormat, samplePixels } from '../../src/codegen/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { saveGraph } from '../../src/ir/serialize.js';
import { GraphBuilder } from './graphs.js';
import { kitError, missing, tmpDir } from './helpers.js';

/** lut -> conv (relu) -> add (residual) -> global pool -> dense: every file kind codegen writes. */
function tinyNet(): Graph {
  const b = new GraphBuilder('int8', 7);
  const x = b.lut(b.input([8, 8, 3]), -128);
  const c1 = b.conv(x, { outC: 8, relu: true });
  const c2 = b.conv(c1, { outC: 8 });
  return b.build(b.dense(b.globalAvgPool(b.add(c1, c2, { relu: true })), { outC: 10 }));
}

const graph = tinyNet();
const LIB = libraryName('tiny-net');
const MODEL_C = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.c')).sort();

/** The cross compilers, as CMake toolchain files and as plain compile flags. */
const CROSS = [
  { prefix: 'arm-none-eabi-', flags: ['-mcpu=cortex-m4', '-mthumb'], machine: 'ARM' },
  { prefix: 'xtensa-lx106-elf-', flags: ['-mlongcalls'], machine: 'Tensilica Xtensa Processor' },
  { prefix: 'riscv64-unknown-elf-', flags: ['-march=rv32imc_zicsr', '-mabi=ilp32', '--specs=picolibc.specs'], machine: 'RISC-V' },
];
const ESP_CROSS = CROSS.slice(1);

function generate(format: ProjectFormat, dir: string): Promise<Generated> {
  return generateC({ graph, board: 'esp32', outDir: join(dir, LIB), modelName: 'tiny-net', format });
}

function run(command: string, args: string[], cwd?: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} failed:\n${(r.stderr || r.stdout).split('\n').slice(0, 25).join('\n')}`);
  return r.stdout;
}

function toolchainFile(dir: string, prefix: string, flags: string[]): string {
  const file = join(dir, `${prefix}toolchain.cmake`);
  writeFileSync(
    file,
    [
      'set(CMAKE_SYSTEM_NAME Generic)',
      `set(CMAKE_C_COMPILER ${prefix}gcc)`,
      `set(CMAKE_AR ${prefix}ar)`,
      `set(CMAKE_C_FLAGS_INIT "${flags.join(' ')}")`,
      '# No startup code or linker script for a bare-metal test program: check the compiler on a library.',
      'set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)',
      '',
    ].join('\n'),
  );
  return file;
}

/** Members of a static library, and the ELF machine of its first object. */
function archive(prefix: string, lib: string, work: string): { members: string[]; machine: string } {
  const files = run(`${prefix}ar`, ['t', lib]).trim().split('\n').sort();
  const out = join(work, 'x');
  mkdirSync(out, { recursive: true });
  run(`${prefix}ar`, ['x', lib, files[0]], out);
  const header = run(`${prefix}readelf`, ['-h', join(out, files[0])]);
  // CMake names objects <source>.o, or <source>.obj for CMAKE_SYSTEM_NAME Generic.
  return { members: files.map((f) => f.replace(/\.obj?$/, '')), machine: /Machine:\s+(.*)/.exec(header)![1].trim() };
}

const expectedObjects = (dir: string) => MODEL_C(dir);

/** The logits kit's interpreter computes for the examples' sample input, as stored bytes. */
const sampleLogits = () => Buffer.from(Uint8Array.from(new Interpreter(graph).run(samplePixels(8 * 8 * 3)), (v) => v & 0xff));

/**
 * A stand-in Arduino.h with only what the examples use (Serial.begin/print/println, micros, delay),
 * printing to stdout on the host. For compile checks with the cross compilers and a run on the host;
 * it is not the Arduino core.
 */
function stubArduino(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'Arduino.h'),
    `#pragma once
#include <stdint.h>
#include <stdio.h>
struct StubSerial {
  void begin(unsigned long) {}
  void print(const char *s) { fputs(s, stdout); }
  void print(int v) { printf("%d", v); }
  void print(unsigned long v) { printf("%lu", v); }
  void println(const char *s) { puts(s); }
};
extern StubSerial Serial;
unsigned long micros(void);
void delay(unsigned long ms);
`,
  );
  writeFileSync(join(dir, 'arduino_host.cpp'), `#include "Arduino.h"\n#include <time.h>\nStubSerial Serial;\nunsigned long micros(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (unsigned long)(t.tv_sec * 1000000L + t.tv_nsec / 1000); }\nvoid delay(unsigned long) {}\nvoid setup(); void loop();\nint main() { setup(); return 0; }\n`);
  writeFileSync(join(dir, 'esp_timer.h'), '#pragma once\n#include <stdint.h>\n#ifdef __cplusplus\nextern "C" {\n#endif\nint64_t esp_timer_get_time(void);\n#ifdef __cplusplus\n}\n#endif\n');
  writeFileSync(join(dir, 'esp_idf_host.cpp'), `#include "esp_timer.h"\n#include <time.h>\nint64_t esp_timer_get_time(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000; }\nextern "C" void app_main(void);\nint main() { app_main(); return 0; }\n`);
  return dir;
}

/** key=value lines (library.properties). */
const properties = (text: string) => new Map(text.split('\n').filter((l) => /^[a-z_.]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));

/** [section] -> key -> value (platformio.ini; ';' comments). */
function ini(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    if (!line) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) out.set(head[1], (section = new Map()));
    else if (section && line.includes('=')) section.set(line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim());
  }
  return out;
}

describe('--format cmake', () => {
  const dir = tmpDir('fmt-cmake');
  let gen: Generated;
  before(async () => {
    gen = await generate('cmake', dir);
  });

  test('a CMake library target of the model, built with the host compiler; a program linked to it runs the model bit-exact', { skip: missing('cmake', 'cc') }, () => {
    assert.equal(gen.outDir, gen.projectDir, 'the C stays flat, where kit flash looks for it');
    const text = readFileSync(join(gen.projectDir, 'CMakeLists.txt'), 'utf8');
    assert.match(text, new RegExp(`^add_library\\(${LIB} STATIC\\n${MODEL_C(gen.outDir).map((f) => `  ${f}\\n`).join('')}\\)$`, 'm'));
    // A consumer project: add_subdirectory + target_link_libraries, nothing else (the include path comes with the target).
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'main.c'),
      '#include <stdio.h>\n#include "model.h"\nint main(void) {\n  static uint8_t px[KIT_MODEL_INPUT_BYTES], out[KIT_MODEL_OUTPUT_BYTES];\n  if (fread(px, 1, sizeof px, stdin) != sizeof px) return 2;\n  kit_model_invoke(px, out);\n  fwrite(out, 1, sizeof out, stdout);\n  return 0;\n}\n',
    );
    writeFileSync(join(app, 'CMakeLists.txt'), `cmake_minimum_required(VERSION 3.13)\nproject(app C)\nadd_subdirectory(${gen.projectDir} model)\nadd_executable(app main.c)\ntarget_link_libraries(app PRIVATE ${LIB})\n`);
    run('cmake', ['-S', app, '-B', join(app, 'build'), `-D${LIB.toUpperCase()}_WERROR=ON`]);
    run('cmake', ['--build', join(app, 'build')]);
    const interp = new Interpreter(graph);
    for (const pixels of [samplePixels(192), Uint8Array.from({ length: 192 }, (_, i) => (i * i) & 0xff)]) {
      const r = spawnSync(join(app, 'build', 'app'), { input: pixels });
      assert.equal(r.status, 0);
      assert.deepEqual([...r.stdout], Array.from(interp.run(pixels), (v) => v & 0xff));
    }
  });

  for (const { prefix, flags, machine } of CROSS) {
    test(`built by CMake with ${prefix}gcc through a toolchain file, -Wall -Wextra -Werror`, { skip: missing('cmake', `${prefix}gcc`) }, () => {
      const build = join(dir, `build-${prefix}`);
      run('cmake', ['-S', gen.projectDir, '-B', build, `-DCMAKE_TOOLCHAIN_FILE=${toolchainFile(dir, prefix, flags)}`, `-D${LIB.toUpperCase()}_WERROR=ON`]);
      run('cmake', ['--build', build]);
      const lib = join(build, `lib${LIB}.a`);
      const { members, machine: got } = archive(prefix, lib, build);
      assert.deepEqual(members, expectedObjects(gen.outDir));
      assert.equal(got, machine);
    });
  }
});

describe('--format esp-idf-component', () => {
  const dir = tmpDir('fmt-idf');
  let gen: Generated;
  before(async () => {
    gen = await generate('esp-idf-component', dir);
  });

  test('idf_component.yml and CMakeLists.txt as ESP-IDF documents them', () => {
    const yml = readFileSync(join(gen.projectDir, 'idf_component.yml'), 'utf8');
    const keys = new Map(yml.split('\n').filter((l) => /^\S[^:]*:/.test(l) && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
    assert.deepEqual([...keys.keys()], ['version', 'description', 'license', 'dependencies']);
    assert.match(keys.get('version')!, /^"\d+\.\d+\.\d+"$/);
    assert.match(yml, /^dependencies:\n {2}idf: ">=5\.0"$/m);
    const cmake = readFileSync(join(gen.projectDir, 'CMakeLists.txt'), 'utf8');
    const call = /idf_component_register\(\n {2}SRCS\n((?: {4}"[^"]+"\n)+) {2}INCLUDE_DIRS "\."\n\)/.exec(cmake);
    assert.ok(call, 'idf_component_register(SRCS ... INCLUDE_DIRS ".")');
    assert.deepEqual([...call[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]), MODEL_C(gen.outDir));
  });

  for (const { prefix, flags, machine } of ESP_CROSS) {
    test(`its CMakeLists.txt builds with ${prefix}gcc under ESP-IDF's C flags, through a stand-in idf_component_register`, { skip: missing('cmake', `${prefix}gcc`) }, () => {
      // What ESP-IDF's build does with a component, reduced to what this one uses: the listed
      // sources into a library named after the folder, with its INCLUDE_DIRS public.
      const host = join(dir, `host-${prefix}`);
      mkdirSync(host, { recursive: true });
      writeFileSync(
        join(host, 'CMakeLists.txt'),
        [
          'cmake_minimum_required(VERSION 3.16)',
          'project(idf_stand_in C)',
          'function(idf_component_register)',
          '  cmake_parse_arguments(ARG "" "" "SRCS;INCLUDE_DIRS" ${ARGN})',
          '  get_filename_component(name ${CMAKE_CURRENT_SOURCE_DIR} NAME)',
          '  set(COMPONENT_LIB __idf_${name} PARENT_SCOPE)',
          '  add_library(__idf_${name} STATIC ${ARG_SRCS})',
          '  target_include_directories(__idf_${name} PUBLIC ${ARG_INCLUDE_DIRS})',
          'endfunction()',
          // ESP-IDF v5's own C flags for components (tools/cmake/build.cmake), -Og as its default.
          'add_compile_options(-std=gnu17 -Og -ffunction-sections -fdata-sections -Wall -Werror=all -Wno-error=unused-function -Wextra -Wno-unused-parameter -Wno-sign-compare)',
          `add_subdirectory(${gen.projectDir} component)`,
          '',
        ].join('\n'),
      );
      const build = join(host, 'build');
      run('cmake', ['-S', host, '-B', build, `-DCMAKE_TOOLCHAIN_FILE=${toolchainFile(host, prefix, flags)}`]);
      const log = run('cmake', ['--build', build, '--', 'VERBOSE=1']);
      assert.match(log, /-Og .* -O2 /, "the component's -O2 comes after ESP-IDF's -Og, so it wins");
      assert.doesNotMatch(log, /warning:/);
      const { members, machine: got } = archive(prefix, join(build, 'component', `lib__idf_${LIB}.a`), build);
      assert.deepEqual(members, expectedObjects(gen.outDir));
      assert.equal(got, machine);
    });
  }
});

describe('--format arduino', () => {
  const dir = tmpDir('fmt-arduino');
  const stubs = stubArduino(join(dir, 'stubs'));
  let gen: Generated;
  before(async () => {
    gen = await generate('arduino', dir);
  });
  const example = `${LIB}_example`;

  test('library.properties, src/ and examples/<name>/<name>.ino as the Arduino library specification (1.5) lays them out', () => {
    assert.equal(gen.outDir, join(gen.projectDir, 'src'));
    const props = properties(readFileSync(join(gen.projectDir, 'library.properties'), 'utf8'));
    for (const key of ['name', 'version', 'author', 'maintainer', 'sentence', 'paragraph', 'category', 'url', 'architectures']) assert.ok(props.has(key), `library.properties has ${key}`);
    assert.equal(props.get('name'), LIB);
    assert.equal(props.get('name'), basename(gen.projectDir), 'the folder is named like the library');
    assert.match(props.get('version')!, /^\d+\.\d+\.\d+$/);
    assert.ok(['Display', 'Communication', 'Signal Input/Output', 'Sensors', 'Device Control', 'Timing', 'Data Storage', 'Data Processing', 'Other'].includes(props.get('category')!));
    assert.equal(props.get('architectures'), '*');
    assert.equal(props.get('includes'), `${LIB}.h`);
    assert.ok(existsSync(join(gen.outDir, `${LIB}.h`)) && existsSync(join(gen.outDir, 'model.h')) && existsSync(join(gen.outDir, 'weights.inc')));
    assert.deepEqual(readdirSync(join(gen.projectDir, 'examples')), [example]);
    assert.deepEqual(readdirSync(join(gen.projectDir, 'examples', example)).sort(), ['kit_sample.h', `${example}.ino`]);
    // Only the library's files: no kit-specific layout (no CMakeLists.txt, no stray folders).
    assert.deepEqual(readdirSync(gen.projectDir).sort(), ['examples', 'library.properties', 'src']);
  });

  test('the sketch runs on the host through the stand-in Arduino.h: the class, the time, and logits equal to the interpreter', { skip: missing('cc', 'c++') }, () => {
    const exDir = join(gen.projectDir, 'examples', example);
    const out = join(dir, 'host');
    mkdirSync(out, { recursive: true });
    // As the Arduino builder does: the .ino as C++ with Arduino.h included first; the library's src/ on the include path.
    for (const c of MODEL_C(gen.outDir)) run('cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', `-I${gen.outDir}`, '-c', join(gen.outDir, c), '-o', join(out, `${c}.o`)]);
    const objects = MODEL_C(gen.outDir).map((c) => join(out, `${c}.o`));
    run('c++', ['-O2', '-Wall', '-Wextra', '-Werror', `-I${stubs}`, `-I${gen.outDir}`, `-I${exDir}`, '-include', 'Arduino.h', '-x', 'c++', join(exDir, `${example}.ino`), '-x', 'none', join(stubs, 'arduino_host.cpp'), ...objects, '-o', join(out, 'sketch')]);
    const printed = run(join(out, 'sketch'), []);
    const expected = sampleLogits();
    const cls = expected.reduce((best, v, i, a) => ((v << 24) >> 24 > (a[best] << 24) >> 24 ? i : best), 0);
    assert.match(printed, new RegExp(`^tiny-net: class ${cls} in \\d+ us\\nlogits match kit's interpreter\\n$`));
    assert.match(readFileSync(join(exDir, 'kit_sample.h'), 'utf8'), new RegExp(`#define KIT_SAMPLE_CLASS ${cls}\\n`));
  });

  for (const { prefix, flags } of ESP_CROSS) {
    test(`the library and the sketch compile with ${prefix}gcc/g++ (stand-in Arduino.h)`, { skip: missing(`${prefix}gcc`, `${prefix}g++`) }, () => {
      const exDir = join(gen.projectDir, 'examples', example);
      const out = join(dir, prefix);
      mkdirSync(out, { recursive: true });
      for (const c of MODEL_C(gen.outDir)) run(`${prefix}gcc`, [...flags, '-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', `-I${gen.outDir}`, '-c', join(gen.outDir, c), '-o', join(out, `${c}.o`)]);
      run(`${prefix}g++`, [...flags, '-std=gnu++17', '-O2', '-Wall', '-Wextra', '-Werror', '-fno-exceptions', '-fno-rtti', `-I${stubs}`, `-I${gen.outDir}`, `-I${exDir}`, '-include', 'Arduino.h', '-x', 'c++', '-c', join(exDir, `${example}.ino`), '-o', join(out, 'sketch.o')]);
      const nm = run(`${prefix}nm`, ['-C', join(out, 'sketch.o')]);
      assert.match(nm, / T setup\(\)$/m);
      assert.match(nm, / U kit_model_invoke$/m, 'called with C linkage (model.h is extern "C" for C++)');
    });
  }
});

describe('--format platformio', () => {
  const dir = tmpDir('fmt-pio');
  const stubs = stubArduino(join(dir, 'stubs'));
  let gen: Generated;
  before(async () => {
    gen = await generate('platformio', dir);
  });

  test('platformio.ini: esp32dev and esp32-c3-devkitm-1 under the Arduino and ESP-IDF frameworks; the ESP-IDF project files; a partition table for 4 MB', () => {
    const conf = ini(readFileSync(join(gen.projectDir, 'platformio.ini'), 'utf8'));
    assert.deepEqual([...conf.keys()], ['platformio', 'env', 'env:esp32dev-arduino', 'env:esp32dev-espidf', 'env:esp32-c3-devkitm-1-arduino', 'env:esp32-c3-devkitm-1-espidf']);
    assert.equal(conf.get('env')!.get('platform'), 'espressif32');
    assert.equal(conf.get('env')!.get('board_build.partitions'), 'partitions.csv');
    for (const board of ['esp32dev', 'esp32-c3-devkitm-1']) {
      for (const framework of ['arduino', 'espidf']) {
        const env = conf.get(`env:${board}-${framework}`)!;
        assert.deepEqual([env.get('board'), env.get('framework')], [board, framework]);
      }
    }
    assert.ok(conf.has(`env:${conf.get('platformio')!.get('default_envs')}`));
    assert.deepEqual(readdirSync(gen.projectDir).sort(), ['CMakeLists.txt', 'partitions.csv', 'platformio.ini', 'sdkconfig.defaults', 'src']);
    assert.match(readFileSync(join(gen.projectDir, 'CMakeLists.txt'), 'utf8'), /^include\(\$ENV\{IDF_PATH\}\/tools\/cmake\/project\.cmake\)\nproject\(kit_tiny_net\)$/m);
    assert.match(readFileSync(join(gen.outDir, 'CMakeLists.txt'), 'utf8'), /^idf_component_register\(SRCS \$\{app_sources\}\)$/m);
    const csv = readFileSync(join(gen.projectDir, 'partitions.csv'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(csv, ['nvs, data, nvs, 0x9000, 0x6000,', 'phy_init, data, phy, 0xf000, 0x1000,', 'factory, app, factory, 0x10000, 0x3f0000,']);
    assert.match(readFileSync(join(gen.projectDir, 'sdkconfig.defaults'), 'utf8'), /^CONFIG_PARTITION_TABLE_CUSTOM_FILENAME="partitions.csv"$/m);
  });

  test('src/main.cpp runs on the host both ways (Arduino setup() and ESP-IDF app_main()), printing logits equal to the interpreter', { skip: missing('cc', 'c++') }, () => {
    const out = join(dir, 'host');
    mkdirSync(out, { recursive: true });
    for (const c of MODEL_C(gen.outDir)) run('cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', `-I${gen.outDir}`, '-c', join(gen.outDir, c), '-o', join(out, `${c}.o`)]);
    const objects = MODEL_C(gen.outDir).map((c) => join(out, `${c}.o`));
    for (const [mode, defines, glue] of [['arduino', ['-DARDUINO=10819'], 'arduino_host.cpp'], ['espidf', [], 'esp_idf_host.cpp']] as const) {
      run('c++', ['-O2', '-Wall', '-Wextra', '-Werror', ...defines, `-I${stubs}`, `-I${gen.outDir}`, join(gen.outDir, 'main.cpp'), join(stubs, glue), ...objects, '-o', join(out, mode)]);
      assert.match(run(join(out, mode), []), /^tiny-net: class \d in \d+ us\nlogits match kit's interpreter\n$/, mode);
    }
  });

  for (const { prefix, flags } of ESP_CROSS) {
    test(`src/ compiles with ${prefix}gcc/g++ for both frameworks (stand-in Arduino.h and esp_timer.h)`, { skip: missing(`${prefix}gcc`, `${prefix}g++`) }, () => {
      const out = join(dir, prefix);
      mkdirSync(out, { recursive: true });
      for (const c of MODEL_C(gen.outDir)) run(`${prefix}gcc`, [...flags, '-std=gnu17', '-O2', '-Wall', '-Wextra', '-Werror', `-I${gen.outDir}`, '-c', join(gen.outDir, c), '-o', join(out, `${c}.o`)]);
      for (const defines of [['-DARDUINO=10819'], []]) {
        run(`${prefix}g++`, [...flags, '-std=gnu++17', '-O2', '-Wall', '-Wextra', '-Werror', '-fno-exceptions', '-fno-rtti', ...defines, `-I${stubs}`, `-I${gen.outDir}`, '-c', join(gen.outDir, 'main.cpp'), '-o', join(out, 'main.o')]);
        const nm = run(`${prefix}nm`, ['-C', join(out, 'main.o')]);
        assert.match(nm, defines.length ? / T setup\(\)$/m : / T app_main$/m, 'app_main with C linkage, as ESP-IDF calls it');
        assert.match(nm, / U kit_model_invoke$/m);
      }
    });
  }

  test('a model too big for the 4 MB boards is refused before anything is written', async () => {
    const b = new GraphBuilder('int8', 3);
    const big = b.build(b.dense(b.flatten(b.lut(b.input([32, 32, 4]), 0)), { outC: 1000 })); // 4 MB of weights
    const out = join(dir, 'big');
    await assert.rejects(generateC({ graph: big, board: 'qemu-cortex-m4', outDir: out, format: 'platformio' }), kitError('app-too-large', /esp32's 4,194,304-byte flash/));
    assert.ok(!existsSync(out));
  });
});

describe('the CLI', () => {
  test('kit codegen --format arduino writes the library and names the folder to copy it to; kit flash refuses it in one line', async () => {
    const dir = tmpDir('fmt-cli');
    await saveGraph(join(dir, 'q'), graph, { meta: { stage: 'quantize', model: 'tiny-net' } });
    const kit = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/main.ts'), ...args], { cwd: join(import.meta.dirname, '../..') });
    const out = join(dir, 'lib');
    const r = await kit('codegen', join(dir, 'q'), '--board', 'esp32', '--format', 'arduino', '--out', out);
    assert.match(r.stdout, new RegExp(`Arduino library written to ${out}: copy it to libraries/${LIB} in your sketchbook and open File > Examples > ${LIB}\\n$`));
    assert.equal(JSON.parse(readFileSync(join(out, 'kit-codegen.json'), 'utf8')).layout, 'arduino');
    assert.ok(existsSync(join(out, 'src', 'model.h')) && existsSync(join(out, 'library.properties')));
    const e = await kit('flash', out).then(() => assert.fail('kit flash should refuse an Arduino library'), (err: { code: number; stderr: string }) => err);
    assert.equal(e.code, 1);
    assert.equal(e.stderr.split('\n').length, 2, 'one line');
    assert.match(e.stderr, /^kit flash: .* is an Arduino library \(kit codegen --format arduino\), which kit flash does not build \(build it with the Arduino IDE or arduino-cli/);
  });
});
