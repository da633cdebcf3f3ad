# Generates the cluster's certificates once per state directory: a CA, the API server's serving
# cert, client certs whose CN/O map onto Kubernetes' bootstrap RBAC identities, and the
# service-account signing key pair.
# Sourced by up.sh; expects $state and the helpers from lib.sh.

client_cert() {
  local name=$1 subject=$2 pki="$state/pki"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -extfile <(printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n') \
    -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr"
}

ensure_pki() {
  local pki="$state/pki"
  [ -f "$pki/done" ] && return 0
  say "generating certificates in $pki"
  rm -rf "$pki" && mkdir -p "$pki"
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -subj "/CN=towerops-local-ca" \
    -days 3650 -out "$pki/ca.crt" 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/apiserver.key" -subj "/CN=kube-apiserver" \
    -out "$pki/apiserver.csr" 2>/dev/null
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n') \
    -out "$pki/apiserver.crt" 2>/dev/null
  rm -f "$pki/apiserver.csr"
  client_cert admin "/O=system:masters/CN=towerops-admin"
  client_cert controller-manager "/CN=system:kube-controller-manager"
  client_cert scheduler "/CN=system:kube-scheduler"
  client_cert kwok "/O=system:masters/CN=kwok-controller"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  touch "$pki/done"
}

# Writes a kubeconfig that authenticates with one of the client certs above.
write_kubeconfig() {
  local name=$1 out=$2 pki="$state/pki"
  cat >"$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: towerops-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $pki/ca.crt
users:
- name: $name
  user:
    client-certificate: $pki/$name.crt
    client-key: $pki/$name.key
contexts:
- name: towerops-local
  context: { cluster: towerops-local, user: $name }
current-context: towerops-local
EOF
}
