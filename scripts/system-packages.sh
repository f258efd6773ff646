#!/usr/bin/env bash
# Install the Debian packages Inkseal needs when they are missing. Usage: system-packages.sh run|test
set -euo pipefail
run_packages=(fonts-noto-cjk gettext softhsm2 openssl)
test_packages=(postgresql poppler-utils qpdf libnss3-tools chromium valgrind redis-server haproxy curl)
wanted=("${run_packages[@]}")
[ "${1:-run}" = "test" ] && wanted+=("${test_packages[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
