#!/usr/bin/env bash
# Brings up a real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC, service-account
# token signing), kube-controller-manager, kube-scheduler, and kwok managing fake nodes whose pods
# become Running and Ready. Idempotent: a healthy cluster is left alone; a half-dead one, or one of
# other versions than versions.env names, is restarted (the latter once the new ones are built).
# Prints the admin kubeconfig path on stdout. A start that fails or is interrupted stops the
# daemons it launched, so it never leaves half a cluster holding the ports (the logs stay).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/versions.env"
source "$here/lib.sh"
source "$here/pki.sh"

FAKE_NODES="${TOWEROPS_FAKE_NODES:-3}"

all_healthy() {
  local c
  for c in "${COMPONENTS[@]}"; do alive "$c" && healthy "$c" || return 1; done
}

require_tools curl openssl setsid

# all_healthy() vouches that the running cluster is this state dir's: only then is it ours to restart.
stale=0
if [ -f "$state/pki/done" ] && all_healthy; then
  if launched_as_now; then
    say "already up ($state)"
    echo "$KUBECONFIG_PATH"
    exit 0
  fi
  say "the running cluster was launched from other binaries than versions.env names now (or before up.sh recorded them in $launched_file); restarting it once they are built"
  stale=1
fi

if [ "$stale" -eq 0 ] && [ -d "$state/run" ]; then
  say "found a partial cluster; restarting it cleanly"
  bash "$here/down.sh"
fi

# A daemon that cannot bind its port exits, but whoever holds the port may still answer the health
# check; refuse rather than report a cluster that is not ours.
refuse_taken_ports() {
  local port var holder
  while read -r port var; do
    if port_in_use "$port"; then
      holder="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n 1 || true)"
      die "port $port is already in use${holder:+ by $holder}; stop that process, or move this cluster with $var=<free port>"
    fi
  done < <(cluster_ports)
}
# Up front, not after minutes of building; a stale cluster holds them until it is stopped below.
[ "$stale" -eq 1 ] || refuse_taken_ports

start=$SECONDS
# Before a stale cluster is stopped: a build that fails leaves it up, and one that takes minutes
# does not leave it down meanwhile. stdout is the kubeconfig path alone (with-cluster.sh captures
# it), so the build's output goes to stderr.
bash "$here/build.sh" >&2
if [ "$stale" -eq 1 ]; then
  bash "$here/down.sh"
  refuse_taken_ports
fi

mkdir -p "$state/run" "$state/logs" "$state/bin"
for b in "${BINARIES[@]}"; do
  ln -sf "$(bin_of "$b")" "$state/bin/$b"
done
launch_record >"$launched_file"
ensure_pki
pki="$state/pki"
write_kubeconfig admin "$KUBECONFIG_PATH"
write_kubeconfig controller-manager "$state/controller-manager.kubeconfig"
write_kubeconfig scheduler "$state/scheduler.kubeconfig"
write_kubeconfig kwok "$state/kwok.kubeconfig"

# Set from the first launch: from then on a failed or interrupted start is ours to undo.
# TOWEROPS_KEEP_CLUSTER leaves it as it is, for a look at it.
launched=0
# shellcheck disable=SC2317 # reached through the trap
undo_failed_start() {
  local rc=$?
  trap '' INT TERM PIPE
  if [ "$rc" -ne 0 ] && [ "$launched" -eq 1 ] && [ -z "${TOWEROPS_KEEP_CLUSTER:-}" ]; then
    say "start-up failed; stopping what it started (logs stay in $state/logs)"
    bash "$here/down.sh" >&2 || true
  fi
  exit "$rc"
}
trap undo_failed_start EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# setsid detaches each daemon from the caller's terminal and process group, so an interrupted
# test run does not take the cluster down with it; down.sh is what stops them.
launch() {
  local name=$1; shift
  launched=1
  setsid "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/run/$name.pid"
}

# The pid is our own fresh child, so `running` suffices; alive()'s command-line check could catch it
# before its exec.
still_running() {
  running "$(pid_of "$1")" && return 0
  say "$1 exited during start-up; last log lines:"
  last_log_lines "$1" 30 >&2
  exit 1
}

# Liveness first: a healthy answer alone could come from another process on the port while ours
# died failing to bind it (the port check above leaves only a narrow race for that).
wait_healthy() {
  local name=$1 deadline=$((SECONDS + ${2:-60}))
  while :; do
    still_running "$name"
    healthy "$name" && break
    [ $SECONDS -lt $deadline ] || { say "$name not healthy in time"; last_log_lines "$name" 30 >&2; exit 1; }
    sleep 0.5
  done
  say "  ✓ $name"
}

launch etcd "$state/bin/etcd" --name default --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
wait_healthy etcd

launch kube-apiserver "$state/bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
  --cert-dir "$pki" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --authorization-mode RBAC \
  --service-cluster-ip-range 10.0.0.0/24 --allow-privileged=true \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --profiling=false
wait_healthy kube-apiserver 120

# Each controller runs under its own service account, as kubeadm sets it up, so the bootstrap RBAC
# roles are exercised rather than bypassed.
launch kube-controller-manager "$state/bin/kube-controller-manager" \
  --kubeconfig "$state/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$state/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$CONTROLLER_MANAGER_PORT" \
  --use-service-account-credentials=true \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --leader-elect=false --profiling=false
wait_healthy kube-controller-manager

launch kube-scheduler "$state/bin/kube-scheduler" \
  --kubeconfig "$state/scheduler.kubeconfig" \
  --authentication-kubeconfig "$state/scheduler.kubeconfig" \
  --authorization-kubeconfig "$state/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" \
  --leader-elect=false --profiling=false
wait_healthy kube-scheduler

launch kwok "$state/bin/kwok" --kubeconfig "$state/kwok.kubeconfig" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds 40 --cidr 10.244.0.0/16 --node-ip 127.0.0.1 \
  --server-address "127.0.0.1:$KWOK_PORT" --config "$(dirname "$(bin_of kwok)")/stages.yaml"
wait_healthy kwok

for i in $(seq 0 $((FAKE_NODES - 1))); do
  sed "s/NAME/kwok-node-$i/" "$here/fake-node.yaml"
  echo "---"
done | "$state/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" apply -f - >/dev/null

# The namespace's default service account and Ready nodes are what pods need before they schedule.
"$state/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" wait --for=condition=Ready node --all --timeout=60s >/dev/null
# The controller-manager creates the account; should it never (a controller off, a component gone),
# this says so within a minute rather than waiting out CI's limit.
deadline=$((SECONDS + 60))
until "$state/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" --request-timeout=5s get serviceaccount default -n default >/dev/null 2>&1; do
  for c in "${COMPONENTS[@]}"; do still_running "$c"; done
  if [ $SECONDS -ge $deadline ]; then
    say "no default ServiceAccount in time (the kube-controller-manager creates it); its last log lines:"
    last_log_lines kube-controller-manager 30 >&2
    exit 1
  fi
  sleep 0.5
done
say "up in $((SECONDS - start))s: $FAKE_NODES fake nodes; export KUBECONFIG=$KUBECONFIG_PATH"
echo "$KUBECONFIG_PATH"
