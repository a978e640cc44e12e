{
  # Bench-only addon (noop.cc): the same include path, defines and flags as ../../binding.gyp.
  "targets": [
    {
      "target_name": "bench_noop",
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-fstack-protector-strong"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2", "-fstack-protector-strong"],
      "sources": ["noop.cc"]
    }
  ]
}
