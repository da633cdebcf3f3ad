#!/usr/bin/env bash
# Runs a command against the local cluster: brings it up if needed, exports KUBECONFIG and the
# pinned tools' directory, and tears down afterwards only what it started itself. The run fails if a
# component died underneath the command, even when the command itself passed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/versions.env"
source "$here/lib.sh"

# A cluster of other versions than versions.env names is restarted by up.sh, so that one is ours too
# once up.sh has restarted it: a build that fails leaves it running as it was.
started=0 stale=0
# Before status.sh: without curl it finds a healthy cluster unhealthy, and this would stop it.
require_tools curl openssl setsid
if ! bash "$here/status.sh" >/dev/null 2>&1; then
  started=1
elif ! launched_as_now; then
  stale=1
fi

# From here on up.sh may have started daemons, so tear down on every exit: a failed up (set -e),
# the command's own exit, Ctrl-C or SIGTERM. The exit code stays the command's (or up's); a failed
# teardown only turns a success into a failure. A second Ctrl-C must not cut the teardown short, nor
# must the SIGPIPE of a write to a pipe whose reader that Ctrl-C killed (`... 2>&1 | tee run.log`).
# shellcheck disable=SC2317 # reached through the trap
finish() {
  local rc=$?
  trap '' INT TERM PIPE
  if [ "$started" -eq 1 ] && [ -z "${TOWEROPS_KEEP_CLUSTER:-}" ]; then
    bash "$here/down.sh" || [ "$rc" -ne 0 ] || rc=1
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

kubeconfig="$(bash "$here/up.sh")"
started=$((started | stale))
export KUBECONFIG="$kubeconfig" TOWEROPS_CLUSTER_BIN="$state/bin"

rc=0
"$@" || rc=$?
if ! report="$(bash "$here/status.sh" 2>&1)"; then
  say "a control-plane component failed during the run:"
  printf '%s\n' "$report" >&2
  [ $rc -ne 0 ] || rc=1
fi
exit $rc
