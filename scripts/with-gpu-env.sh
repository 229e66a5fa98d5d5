#!/usr/bin/env bash
# Runs a command with the environment Dawn (npm `webgpu`) needs on a machine without a GPU:
# Mesa 25 lavapipe from .vendor/mesa when scripts/setup-system.sh unpacked it (has shader-f16), else
# Chromium's SwiftShader. PDFCHAT_VK=swiftshader forces SwiftShader (the f32 path, as in the browser).
here=$(cd "$(dirname "$0")/.." && pwd)
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  if [ "${PDFCHAT_VK:-}" != "swiftshader" ] && [ -f "$here/.vendor/mesa/lvp_icd.json" ]; then
    export VK_ICD_FILENAMES="$here/.vendor/mesa/lvp_icd.json"
    export LD_LIBRARY_PATH="$here/.vendor/mesa/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  elif [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
    export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
  fi
fi
exec "$@"
