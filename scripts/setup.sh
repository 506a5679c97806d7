#!/usr/bin/env bash
# Installs what keyfleet's demo and tests need on a fresh machine: the system packages behind the
# sandbox's real SSH hosts (openssh-server, openssh-client, git, libnss-wrapper; Debian names,
# via apt-get, with sudo when not root), then the npm packages (npm ci, which also builds).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
{ command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1; } || need+=(openssh-client)
command -v git >/dev/null 2>&1 || need+=(git)
ls /usr/lib/*/libnss_wrapper.so /usr/lib64/libnss_wrapper.so >/dev/null 2>&1 || need+=(libnss-wrapper)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "keyfleet setup: the sandbox needs ${need[*]} (Debian package names); install them as root" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "keyfleet setup: the sandbox needs ${need[*]} (Debian package names); install them with your package manager" >&2
    exit 1
  fi
  echo "keyfleet setup: installing ${need[*]}" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# npm ci runs `prepare`, which builds dist/; otherwise build here so dist/ matches src/.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run --silent build
fi
