#!/usr/bin/env bash
# `vite build` with a private temp dir that is removed afterwards: vite-plugin-pwa's Workbox step bundles the
# service worker through a temp file (workbox-build → tempy) that it never deletes, which left one
# `<hash>/sw.js` in the system temp dir per build.
set -euo pipefail
private_tmp="$(mktemp -d "${TMPDIR:-/tmp}/pdfchat-build.XXXXXX")"
trap 'rm -rf "$private_tmp"' EXIT
TMPDIR="$private_tmp" npx vite build "$@"
