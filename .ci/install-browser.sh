#!/usr/bin/env bash
# Install what tests/test_map_browser.py needs: Debian's Chromium and Python playwright.
# `playwright install` is deliberately NOT run: it downloads a browser build from a CDN, which is
# not reachable on CI or on closed networks; the test launches /usr/bin/chromium instead
# (override with PLANNER_CHROMIUM=/path/to/chromium).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
fi

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
fi

if ! python -c "import playwright.sync_api" >/dev/null 2>&1; then
  python -m pip install -q "playwright>=1.45"
fi

python - <<'PY'
import shutil
from playwright.sync_api import sync_playwright

path = "/usr/bin/chromium" if shutil.which("/usr/bin/chromium") else shutil.which("chromium")
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path=path, headless=True, args=["--no-sandbox", "--disable-gpu"]
    )
    print(f"install-browser: Chromium {browser.version} at {path} works with playwright")
    browser.close()
PY
