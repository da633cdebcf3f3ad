# Shared by the cluster scripts: where things live and how to talk about it.
TOWEROPS_CACHE="${TOWEROPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/towerops}"
TOWEROPS_BIN="$TOWEROPS_CACHE/bin"
export TOWEROPS_CACHE TOWEROPS_BIN

say() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

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
