{
  # Built by scripts/build-native.mjs, which finds OpenBLAS and passes its include folder and
  # linker flags through KIT_BLAS_INCLUDE / KIT_BLAS_LIBS, and KIT_DNNL=1 when libdnnl (oneDNN) is
  # installed: convolutions then run on it (src/conv_dnnl.cc), otherwise on kit's own kernels.
  "variables": {"kit_dnnl%": "<!(node -p \"process.env.KIT_DNNL || '0'\")"},
  "targets": [
    {
      "target_name": "kit_native",
      "sources": [
        "src/adam.cc",
        "src/addon.cc",
        "src/batchnorm.cc",
        "src/conv.cc",
        "src/conv_direct.cc",
        "src/conv_dnnl.cc",
        "src/conv_dnnl_grad.cc",
        "src/dnnl_util.cc",
        "src/elementwise.cc",
        "src/gemm.cc",
        "src/infer_addon.cc",
        "src/infer_plan.cc",
        "src/int_conv.cc",
        "src/matmul.cc",
        "src/pool2d.cc",
        "src/reduce.cc",
        "src/threads.cc",
        "src/tile.cc"
      ],
      "include_dirs": ["<!(node -p \"process.env.KIT_BLAS_INCLUDE || '/usr/include/x86_64-linux-gnu/openblas-pthread'\")"],
      "libraries": ["<!(node -p \"process.env.KIT_BLAS_LIBS || '-lopenblas'\")"],
      # -march=native: the addon is compiled on the machine that runs it (at npm install).
      # No -ffast-math: results must be reproducible and NaN-aware.
      "cflags_cc": ["-O3", "<!(node -p \"process.env.KIT_NATIVE_MARCH || '-march=native'\")", "-std=gnu++17", "-pthread"],
      "ldflags": ["-pthread"],
      # oneDNN's C++ API reports errors as exceptions (a shape it has no kernel for falls back).
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [
        ["kit_dnnl==1", {
          "defines": ["KIT_HAVE_DNNL"],
          "libraries": ["-ldnnl", "-lgomp"]
        }]
      ]
    }
  ]
}
