#!/usr/bin/env bash
# Install what tests/test_qgis_plugin.py needs: Debian's QGIS (qgis_process.bin) and PyQGIS for
# Debian's /usr/bin/python3 (packages qgis, python3-qgis; QGIS 3.22 on bookworm, about 1.2 GB).
# Idempotent: nothing is downloaded when both are there. The tests call /usr/bin/qgis_process.bin
# directly: bookworm's /usr/bin/qgis_process wrapper adds --noversioncheck, which 3.22 rejects.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
fi

have_qgis() {
  [ -x /usr/bin/qgis_process.bin ] && /usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1
}

if ! have_qgis; then
  start=$(date +%s)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    qgis python3-qgis >/dev/null
  echo "install-qgis: installed in $(( $(date +%s) - start )) s"
fi

# a headless smoke test: the binary starts and lists Processing providers; /usr/bin first on
# PATH because QGIS's embedded Python takes its prefix from the first python3 there
providers=$(PATH="/usr/bin:$PATH" QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" \
  /usr/bin/qgis_process.bin list 2>/dev/null || true)
if ! printf '%s\n' "$providers" | grep -qx "QGIS"; then
  echo "install-qgis: qgis_process.bin does not start headless" >&2
  exit 1
fi
echo "install-qgis: $(/usr/bin/python3 -c 'from qgis.core import Qgis; print("QGIS", Qgis.QGIS_VERSION)' 2>/dev/null) works headless"
