#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (Playwright drives it; its own browser
# downloads cannot work here). Installs it with apt-get when missing and we are root; otherwise
# writes why not to $1, which the tests quote when they skip.
set -uo pipefail
note="${1:-.venv/chromium-install.txt}"
rm -f "$note"
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "not root, so apt-get cannot install it: run 'sudo apt-get install chromium'" | tee "$note"
elif ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get on this machine: install a chromium binary named 'chromium' on the PATH" | tee "$note"
else
  echo "installing Debian's chromium for the browser tests (apt-get, a minute or two)"
  log="$(dirname "$note")/chromium-apt.log"
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } >"$log" 2>&1; then
    echo "apt-get install chromium failed: see $log" | tee "$note"
  fi
fi
exit 0
