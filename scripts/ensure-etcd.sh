#!/usr/bin/env bash
# Makes sure the etcd server (and etcdctl, tmux, openssl, zsh, fish, used by the tests) are installed:
# Debian packages etcd-server, etcd-client, tmux, openssl, zsh, fish (the last two: completion tests). Installs what is missing when it can (root + apt-get).
set -euo pipefail
missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} from Debian's packages…" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "error: missing ${missing[*]}; install them, e.g.: sudo apt-get install -y ${missing[*]}" >&2
exit 1
