#!/usr/bin/env bash
# Reports each component of the local cluster; exits non-zero if any is down, with its last log
# lines, so a crashed component is seen rather than hidden.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/versions.env"
source "$here/lib.sh"
require_tools curl

if [ ! -d "$state/run" ]; then
  echo "cluster: down ($state)"
  exit 3
fi
failed=0
for c in "${COMPONENTS[@]}"; do
  if ! alive "$c"; then
    printf '%-24s DEAD (process %s exited); last log lines:\n' "$c" "$(pid_of "$c")"
    last_log_lines "$c"
    failed=1
  elif ! healthy "$c"; then
    printf '%-24s UNHEALTHY (%s)\n' "$c" "$(health_url "$c")"
    failed=1
  else
    printf '%-24s ok (pid %s)\n' "$c" "$(pid_of "$c")"
  fi
done
if [ $failed -eq 0 ]; then
  "$state/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" get nodes --no-headers 2>&1 | sed 's/^/node  /'
  echo "KUBECONFIG=$KUBECONFIG_PATH"
fi
exit $failed
