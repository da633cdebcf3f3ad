#!/usr/bin/env bash
# Stops every component of the local cluster and removes its data, leaving no process or port behind.
# The certificates stay, so the next `up` does not regenerate them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/versions.env"
source "$here/lib.sh"

# Reverse start order: the API server's clients go first, etcd last.
for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
  c="${COMPONENTS[$i]}"
  pid="$(pid_of "$c")"
  [ -n "$pid" ] || continue
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    say "stopped $c"
  fi
done

busy=""
for port in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$CONTROLLER_MANAGER_PORT" "$SCHEDULER_PORT" "$KWOK_PORT"; do
  for _ in $(seq 1 20); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || continue 2
    sleep 0.25
  done
  busy="$busy $port"
done
rm -rf "$state/run" "$state/etcd"
[ -z "$busy" ] || die "ports still in use after stopping:$busy"
say "down"
