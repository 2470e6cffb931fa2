#!/usr/bin/env bash
# Installs what tsrun needs on Debian 12 (as root): the Debian packages that are missing, then the
# npm dependencies (which also builds the native addon with cmake-js). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and runtime: the addon's toolchain, libseccomp, a busybox for test rootfs, runc as the
# reference runtime. Then what the tests drive tsrun and tsrund with: podman and containerd
# (rootful, no network, vfs storage; unshare, nsenter and script come with util-linux and
# bsdutils), and for the image tests Debian's registry, skopeo, python3 (bcrypt for htpasswd),
# openssl, zstd for zstd layers (Node 20's zlib has none), and keyutils (keyctl) for the keyring tests.
# tsrund's networks: the CNI plugins (/usr/lib/cni), iptables and iproute2.
# npm run bench: crun, the other anchor, and GNU time for peak RSS. zsh: tsctl's zsh completion is tested in it.
# buildah: the build tests cross-check the Dockerfile parser and the build context against it.
# strace: its fault injection refuses clone3 as a seccomp profile would (test/integration/cgroup-join).
PACKAGES=(cmake g++ make pkg-config libc6-dev libseccomp-dev busybox-static runc
  podman conmon containerd docker-registry skopeo zstd python3 openssl keyutils
  containernetworking-plugins iptables iproute2
  crun time zsh buildah strace)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -f build/native/Release/tsrun_native.node ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
