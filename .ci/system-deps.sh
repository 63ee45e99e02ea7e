#!/usr/bin/env bash
# Install the system packages the test suite needs, where this machine lets us (root + apt):
# CJK fonts and Chromium (charts, browser tests), PostgreSQL and Java (Spark) for the engine tests.
# Already-installed packages cost one dpkg query; nothing is downloaded then.
set -u
packages=(fonts-noto-cjk chromium postgresql default-jre-headless)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "!!! system packages missing and cannot be installed here (need root and apt): ${missing[*]}" >&2
  echo "!!! tests that need them will be SKIPPED (and fail under CI=true)" >&2
  exit 0
fi
echo "Installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "!!! apt-get could not install: ${missing[*]}; tests that need them will be SKIPPED (and fail under CI=true)" >&2
fi
exit 0
