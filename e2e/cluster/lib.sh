# Shared by the cluster scripts: where things live and how to talk about it.
TOWEROPS_CACHE="${TOWEROPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/towerops}"
TOWEROPS_BIN="$TOWEROPS_CACHE/bin"
export TOWEROPS_CACHE TOWEROPS_BIN

# A teardown must not stop at a message it cannot write: on Ctrl-C the reader of a piped stderr (tee,
# a test runner) dies too, and the cleanup traps ignore SIGPIPE, so the write fails with EPIPE.
say() { printf '[cluster] %s\n' "$*" >&2 2>/dev/null || true; }
die() { say "error: $*"; exit 1; }

# Checked before anything looks at a running cluster: without curl every health check fails, so a
# healthy cluster would be taken for a partial one, and stopped. The tools' calls hide their own
# output (2>/dev/null, -s), so a missing one would otherwise show only as a component "not healthy in
# time" a minute later.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null ||
      die "$tool is required to run the local cluster (Debian package: $([ "$tool" = setsid ] && echo util-linux || echo "$tool"))"
  done
}

# Path of a pinned binary in the version-keyed cache.
bin_of() {
  case "$1" in
    kube-apiserver|kube-controller-manager|kube-scheduler|kubectl) echo "$TOWEROPS_BIN/kubernetes-$KUBERNETES_VERSION/$1" ;;
    etcd) echo "$TOWEROPS_BIN/etcd-$ETCD_VERSION/etcd" ;;
    kwok) echo "$TOWEROPS_BIN/kwok-$KWOK_VERSION/kwok" ;;
    helm) echo "$TOWEROPS_BIN/helm-$HELM_VERSION/helm" ;;
    *) die "unknown binary $1" ;;
  esac
}

# Where a running cluster keeps its certs, kubeconfigs, data, logs and pids.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="${TOWEROPS_CLUSTER_DIR:-$repo_root/.towerops/cluster}"
KUBECONFIG_PATH="$state/kubeconfig"

# The pinned binaries up.sh links into $state/bin and runs from there.
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm)
# Which binaries those links named when up.sh launched the cluster. alive() knows a component by its
# link's path, the same for every version, so only this record tells a cluster started before a bump
# in versions.env from one of the versions it names now. Each is recorded by its real path: the
# cache reached through a symlink or spelled with a trailing slash holds the same files, and must not
# restart a healthy cluster (-m: a binary not built yet has a path too).
launched_file="$state/launched"
launch_record() {
  local b
  for b in "${BINARIES[@]}"; do realpath -m -- "$(bin_of "$b")"; done
}
launched_as_now() { [ "$(cat "$launched_file" 2>/dev/null)" = "$(launch_record)" ]; }

# Loopback-only ports, away from the defaults a real node would use and below Linux's ephemeral range
# (32768+), where an outgoing connection can take a port before a component binds it.
ETCD_PORT="${TOWEROPS_ETCD_PORT:-23790}"
ETCD_PEER_PORT="${TOWEROPS_ETCD_PEER_PORT:-23800}"
APISERVER_PORT="${TOWEROPS_APISERVER_PORT:-26443}"
CONTROLLER_MANAGER_PORT="${TOWEROPS_CONTROLLER_MANAGER_PORT:-20257}"
SCHEDULER_PORT="${TOWEROPS_SCHEDULER_PORT:-20259}"
KWOK_PORT="${TOWEROPS_KWOK_PORT:-20247}"

COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# Every port the cluster listens on, each with the variable that moves it.
cluster_ports() {
  printf '%s %s\n' "$ETCD_PORT" TOWEROPS_ETCD_PORT "$ETCD_PEER_PORT" TOWEROPS_ETCD_PEER_PORT \
    "$APISERVER_PORT" TOWEROPS_APISERVER_PORT "$CONTROLLER_MANAGER_PORT" TOWEROPS_CONTROLLER_MANAGER_PORT \
    "$SCHEDULER_PORT" TOWEROPS_SCHEDULER_PORT "$KWOK_PORT" TOWEROPS_KWOK_PORT
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_of() { cat "$state/run/$1.pid" 2>/dev/null || true; }
# A killed daemon whose parent is gone can linger as a zombie, which `kill -0` still counts as alive.
running() {
  local proc_state
  [[ $1 =~ ^[0-9]+$ ]] && proc_state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" && [ -n "$proc_state" ] &&
    [ "$proc_state" != Z ]
}
# Our component is running under its recorded pid. A pid file can outlive its process (a reboot, a
# kill -9), and the pid then names an unrelated process; up.sh's launch() runs "$state/bin/<name>",
# which stays an argument of its command line (the first, or a later one for a script run through
# its interpreter, as test stubs are), so that tells ours from a stranger.
alive() {
  local pid
  pid="$(pid_of "$1")"
  running "$pid" && tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -xF -- "$state/bin/$1" >/dev/null
}

# Each component's health URL; curl talks TLS with the admin cert where the endpoint is secure.
health_url() {
  case "$1" in
    etcd) echo "http://127.0.0.1:$ETCD_PORT/health" ;;
    kube-apiserver) echo "https://127.0.0.1:$APISERVER_PORT/readyz" ;;
    kube-controller-manager) echo "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz" ;;
    kube-scheduler) echo "https://127.0.0.1:$SCHEDULER_PORT/healthz" ;;
    kwok) echo "http://127.0.0.1:$KWOK_PORT/healthz" ;;
  esac
}

healthy() {
  curl -fsS --max-time 3 --cacert "$state/pki/ca.crt" -k --cert "$state/pki/admin.crt" --key "$state/pki/admin.key" \
    "$(health_url "$1")" >/dev/null 2>&1
}

last_log_lines() { tail -n "${2:-15}" "$state/logs/$1.log" 2>/dev/null | sed 's/^/    /'; }
