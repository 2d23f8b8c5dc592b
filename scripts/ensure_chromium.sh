#!/usr/bin/env bash
# The distribution's Chromium, which the console's browser tests drive with Playwright (Playwright's own browser
# download is not used). Installed with apt when missing and this user can; otherwise the browser tests say why.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "==> installing the distribution's chromium (apt) for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "warning: /usr/bin/chromium is missing and cannot be installed here (needs root and apt):" \
        "install the 'chromium' package for the console's browser tests" >&2
fi
