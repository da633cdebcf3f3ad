#!/usr/bin/env bash
# Builds the local control plane from Go modules into a cache outside the repo, keyed by version,
# so a second run finds every binary and returns in well under a second.
# Usage: e2e/cluster/build.sh            (progress on stderr; stdout stays empty, since up.sh's
#                                          stdout is the kubeconfig path alone)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
source "$here/lib.sh"

export GOFLAGS=-mod=mod GOTOOLCHAIN=local
src_root="$TOWEROPS_CACHE/src"
mkdir -p "$src_root"

# The pinned modules' go.mod files (kubernetes, etcd, kwok, helm) ask for this Go, and
# GOTOOLCHAIN=local forbids fetching it, so an older go would only fail deep in a build. Checked
# before the first go command, so a run with everything cached needs no Go at all.
go_min=1.26
go_checked=""
require_go() {
  [ -z "$go_checked" ] || return 0
  local v
  v="$(go version 2>/dev/null || true)"
  if ! [[ $v =~ go([0-9]+)\.([0-9]+) ]] || ((BASH_REMATCH[1] == 1 && BASH_REMATCH[2] < ${go_min#1.})); then
    die "building the control plane needs Go $go_min or newer, found: ${v:-no go on PATH}; install it from https://go.dev/dl/"
  fi
  go_checked=1
}

# A background job of a script ignores SIGINT, so on Ctrl-C the build would go on compiling for
# minutes after this script is gone: on any exit, stop it (its whole process group, so go's compiler
# children too) and remove its log.
build_pid="" build_log=""
stop_build() {
  [ -z "$build_pid" ] || kill -TERM -- "-$build_pid" 2>/dev/null || true
  [ -z "$build_log" ] || rm -f "$build_log"
}
trap stop_build EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a long build with a heartbeat, so a 10-minute compile never looks like a hang. It polls each
# second, since bash runs a trap only once the current command (the sleep) is done.
with_heartbeat() {
  local label=$1; shift
  local start=$SECONDS next=$((SECONDS + 15)) rc=0
  build_log="$(mktemp)"
  setsid "$@" >"$build_log" 2>&1 &
  build_pid=$!
  while kill -0 "$build_pid" 2>/dev/null; do
    sleep 1
    if [ $SECONDS -ge $next ] && kill -0 "$build_pid" 2>/dev/null; then
      say "  … $label: $((SECONDS - start))s"
      next=$((next + 15))
    fi
  done
  wait "$build_pid" || rc=$?
  build_pid="" # reaped: the pid may be reused from here on
  if [ $rc -ne 0 ]; then
    cat "$build_log" >&2
    die "$label failed"
  fi
  rm -f "$build_log" && build_log=""
  say "  ✓ $label in $((SECONDS - start))s"
}

# Each component's binaries are recorded (cksum: CRC and byte count) when built and checked before
# they count as cached: a build or copy cut short, or a damaged disk, passes -x, and every up.sh would
# say "binaries ready" and then see a component die at once with an empty log. The record guards
# against damage, not tampering (whoever can write the binaries can write it), so cksum's speed wins
# over a cryptographic hash: all seven binaries (540 MB) take 0.1 s where sha256sum takes 1.7 s.
checksums=CKSUMS
record() {
  local out=$1; shift
  # A name of its own: two runs adopting the same cache at once must not interleave their writes.
  (cd "$out" && cksum "$@") >"$out/$checksums.$$" && mv "$out/$checksums.$$" "$out/$checksums"
}
# Whether directory $1 holds binaries $2... as recorded. A cache from before the record is adopted
# if each binary runs (its --help), rather than spending half an hour rebuilding it.
cached() {
  local out=$1; shift
  local b
  if [ -f "$out/$checksums" ]; then
    [ "$(cd "$out" && cksum "$@" 2>/dev/null)" = "$(cat "$out/$checksums")" ] && return 0
    say "$(basename "$out") is not what was built (a file damaged, cut short or missing); rebuilding it"
    return 1
  fi
  for b in "$@"; do
    [ -e "$out/$b" ] || return 1
    # In braces, so bash's own report of a crash (a truncated binary segfaults) is silenced too.
    { "$out/$b" --help; } >/dev/null 2>&1 || { say "$(basename "$out")/$b does not run; rebuilding it"; return 1; }
  done
  # A cache that cannot be written to is still used, only never recorded.
  record "$out" "$@" 2>/dev/null || true
}

# k8s.io/kubernetes replaces each staging module with ./staging/src/..., which `go install` refuses;
# a wrapper module pins each staging module to its published v0.MINOR.PATCH instead.
kubernetes_wrapper() {
  local dir=$1 staging_version="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$dir"
  local gomod
  gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  {
    echo "module towerops.local/controlplane"
    echo "go $go_min.0"
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "$gomod" | while read -r m; do
      echo "  $m => $m $staging_version"
    done
    echo ")"
  } >"$dir/go.mod"
}

kubernetes_binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
build_kubernetes() {
  local out="$TOWEROPS_BIN/kubernetes-$KUBERNETES_VERSION"
  cached "$out" "${kubernetes_binaries[@]}" && return 0
  require_go
  local dir="$src_root/kubernetes-$KUBERNETES_VERSION" minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  kubernetes_wrapper "$dir"
  local v=k8s.io/component-base/version
  local ldflags="-s -w -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  say "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBERNETES_VERSION (several minutes on 2 cores)"
  with_heartbeat "kubernetes $KUBERNETES_VERSION" bash -c "cd '$dir' && go build -trimpath -ldflags '$ldflags' -o '$out.tmp/' \
    ${kubernetes_binaries[*]/#/k8s.io/kubernetes/cmd/}"
  record "$out.tmp" "${kubernetes_binaries[@]}"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# etcd's server module also replaces its siblings with relative paths: same wrapper trick.
build_etcd() {
  local out="$TOWEROPS_BIN/etcd-$ETCD_VERSION"
  cached "$out" etcd && return 0
  require_go
  local dir="$src_root/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  cat >"$dir/go.mod" <<EOF
module towerops.local/etcd
go $go_min.0
require go.etcd.io/etcd/server/v3 $ETCD_VERSION
replace (
  go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
  go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
  go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
  go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
EOF
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  say "building etcd $ETCD_VERSION"
  with_heartbeat "etcd $ETCD_VERSION" bash -c "cd '$dir' && go build -trimpath -ldflags '-s -w' -o '$out.tmp/etcd' go.etcd.io/etcd/server/v3"
  record "$out.tmp" etcd
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# kwok and helm carry no replace directives, so a plain `go install pkg@version` builds them.
go_install() {
  local name=$1 version=$2 pkg=$3 ldflags=${4:-}
  local out="$TOWEROPS_BIN/$name-$version"
  cached "$out" "$name" && return 0
  require_go
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  say "building $name $version"
  with_heartbeat "$name $version" env GOBIN="$out.tmp" go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version"
  record "$out.tmp" "$name"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# kwok does nothing without Stage policies; its module ships the "fast" set (nodes Ready with lease
# heartbeats, pods Running and Ready, deletions completed) that kwokctl uses, so take them from the
# same module version rather than keeping a copy in this repo.
kwok_stage_files=(node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease
  pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete)
# The cached file opens with the list it was made from: an edit to the list regenerates it.
kwok_stages() {
  local out="$TOWEROPS_BIN/kwok-$KWOK_VERSION/stages.yaml"
  local header="# kwok $KWOK_VERSION stages: ${kwok_stage_files[*]}"
  [ "$(head -n 1 "$out" 2>/dev/null)" = "$header" ] && return 0
  require_go
  local dir f
  dir="$(cd "$src_root" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
  {
    echo "$header"
    for f in "${kwok_stage_files[@]}"; do
      cat "$dir/kustomize/stage/$f.yaml"
      echo "---"
    done
  } >"$out.tmp"
  mv "$out.tmp" "$out"
}

start=$SECONDS
build_etcd
go_install kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
kwok_stages
go_install helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
build_kubernetes
say "control plane binaries ready in $((SECONDS - start))s under $TOWEROPS_BIN"
