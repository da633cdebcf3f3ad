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
  if alive "$c"; then
    kill -TERM "$pid" 2>/dev/null || true
    # Until the pid is gone, zombie included, so a caller finds no process left; then KILL only
    # if it is still ours and not yet exited.
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if alive "$c"; then kill -KILL "$pid" 2>/dev/null || true; fi
    say "stopped $c"
  elif running "$pid"; then
    # Only alive() vouches for a pid: this one now belongs to someone else.
    say "note: $c's pid file names pid $pid, which is now $(ps -o comm= -p "$pid" 2>/dev/null || echo 'another process'), not our $c (a stale file, e.g. from before a reboot); left it alone"
  fi
  rm -f "$state/run/$c.pid"
done

busy=""
while read -r port _; do
  for _ in $(seq 1 20); do
    port_in_use "$port" || continue 2
    sleep 0.25
  done
  busy="$busy $port"
done < <(cluster_ports)
rm -rf "$state/run" "$state/etcd"
[ -z "$busy" ] || die "ports still in use after stopping:$busy"
say "down"
