{
  # One target: the generic VFIO addon (no NIC knowledge). Linux only; elsewhere a stub that throws
  # ENOTSUP on load-time use (native/stub.cc).
  "targets": [
    {
      "target_name": "ixgbevf_vfio",
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-fstack-protector-strong"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2", "-fstack-protector-strong"],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/addon.cc",
            "native/durable.cc",
            "native/lock.cc",
            "native/notify.cc",
            "native/peercred.cc",
            "native/region.cc",
            "native/watcher.cc",
            "native/vfio_device.cc"
          ]
        }, {
          "sources": ["native/stub.cc"]
        }]
      ]
    }
  ]
}
