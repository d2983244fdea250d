#!/usr/bin/env bash
# Installs the Debian packages the integration tests run (redis-server, prosody, inspircd)
# when their binaries are missing. Never prompts; no-op when all are present.
#   ensure-debian-packages.sh                   all of them (scripts/test.sh)
#   ensure-debian-packages.sh redis-server ...  only these packages, plus util-linux (scripts/demo.sh)
set -euo pipefail

# binary:package, or file:package for a package without a binary (setpriv lets test daemons
# die with the test process; util-linux is essential on Debian, listed for minimal images;
# prosody-modules brings mod_privilege, with which roomgate adds rooms to users' bookmarks).
wanted=(redis-server:redis-server prosody:prosody prosodyctl:prosody inspircd:inspircd setpriv:util-linux
  /usr/lib/prosody/modules/mod_privilege/mod_privilege.lua:prosody-modules)
if [ $# -gt 0 ]; then
  selected=()
  for entry in "${wanted[@]}"; do
    pkg=${entry#*:}
    if [ "$pkg" = util-linux ] || [[ " $* " == *" $pkg "* ]]; then selected+=("$entry"); fi
  done
  wanted=("${selected[@]}")
fi

have() {
  if [[ $1 == /* ]]; then [ -e "$1" ]; return; fi
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

missing=()
for entry in "${wanted[@]}"; do
  bin=${entry%%:*} pkg=${entry#*:}
  if ! have "$bin" && [[ " ${missing[*]-} " != *" $pkg "* ]]; then missing+=("$pkg"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ensure-debian-packages: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "ensure-debian-packages: missing ${missing[*]} and not root (no passwordless sudo)" >&2
  exit 1
fi

# The packages' maintainer scripts would start system-wide daemons (ports 5222, 6379, 6667);
# a policy-rc.d that answers 101 stops that, as in Docker images. Only ours is removed.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null
