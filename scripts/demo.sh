#!/usr/bin/env bash
# The README's demo: installs what it needs, starts a throwaway etcd on loopback unless one answers on
# 127.0.0.1:2379, registers a few sample go-micro services, shows `list` and `get`, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-etcd.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

mr() { echo; echo "\$ micro-reg $*"; ./bin/micro-reg "$@"; }

etcd_pid=""
data_dir=""
cleanup() {
  if [ -n "$etcd_pid" ]; then kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
  [ -n "$data_dir" ] && rm -rf "$data_dir"
  return 0
}
trap cleanup EXIT

endpoint=127.0.0.1:2379
if ./bin/micro-reg --endpoints "$endpoint" --timeout 1s list -o names >/dev/null 2>&1; then
  echo "Using the etcd that answers on $endpoint (the sample records are removed at the end, and expire within 2 minutes anyway)."

else
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  peer=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  endpoint=127.0.0.1:$port
  data_dir=$(mktemp -d)
  etcd --name demo --data-dir "$data_dir" --listen-client-urls "http://$endpoint" --advertise-client-urls "http://$endpoint" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "demo=http://127.0.0.1:$peer" >"$data_dir.log" 2>&1 &
  etcd_pid=$!
  for _ in $(seq 1 100); do
    ./bin/micro-reg --endpoints "$endpoint" --timeout 1s list -o names >/dev/null 2>&1 && break
    kill -0 "$etcd_pid" 2>/dev/null || { echo "etcd failed to start:"; cat "$data_dir.log"; exit 1; }
    sleep 0.1
  done
  rm -f "$data_dir.log"
  echo "Started a throwaway etcd on $endpoint (pid $etcd_pid)."
fi
export MICRO_REGISTRY_ADDRESS=$endpoint

# Sample services, as go-micro would register them, on a 2-minute lease.
mr register --file scripts/demo/greeter.json --ttl 120
mr register --file scripts/demo/auth.json --ttl 120
mr register --name go.micro.api.gateway --version 1.4.2 --address 127.0.0.1:9 --id go.micro.api.gateway-0a9b --meta server=mucp --ttl 120

mr list
mr list -o wide
mr get go.micro.srv.greeter
mr get go.micro.srv.auth -o json
mr get go.micro.srv.greter || true
mr check go.micro.api.gateway --connect-timeout 300ms || true
mr list -o 'jsonpath={range .[*]}{.name}{"\t"}{.version}{"\t"}{.nodes.length}{"\n"}{end}'

# The registry as data: a snapshot before the change, and what changed since (diff exits 9: differences).
snapshot_dir=$(mktemp -d)
snapshot=$snapshot_dir/before.json
echo; echo "\$ micro-reg export --no-ttl > before.json"
./bin/micro-reg export --no-ttl >"$snapshot"

for svc in go.micro.srv.greeter go.micro.srv.auth go.micro.api.gateway; do
  mr deregister "$svc" --all --yes
done
mr list
(cd "$snapshot_dir" && echo && echo "\$ micro-reg diff -f before.json" && "$OLDPWD/bin/micro-reg" diff -f before.json) || true
rm -rf "$snapshot_dir"
echo
echo "Done. Try: micro-reg --help"
