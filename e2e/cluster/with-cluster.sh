#!/usr/bin/env bash
# Runs a command against the local cluster: brings it up if needed, exports KUBECONFIG and the
# pinned tools' directory, and tears down afterwards only what it started itself. The run fails if a
# component died underneath the command, even when the command itself passed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/versions.env"
source "$here/lib.sh"

started=0
if ! bash "$here/status.sh" >/dev/null 2>&1; then
  started=1
fi
kubeconfig="$(bash "$here/up.sh")"
export KUBECONFIG="$kubeconfig" TOWEROPS_CLUSTER_BIN="$state/bin"

rc=0
"$@" || rc=$?
if ! bash "$here/status.sh" >/tmp/towerops-cluster-status.$$ 2>&1; then
  say "a control-plane component failed during the run:"
  cat /tmp/towerops-cluster-status.$$ >&2
  [ $rc -ne 0 ] || rc=1
fi
rm -f /tmp/towerops-cluster-status.$$
if [ $started -eq 1 ] && [ -z "${TOWEROPS_KEEP_CLUSTER:-}" ]; then
  bash "$here/down.sh"
fi
exit $rc
