#!/usr/bin/env bash
# Sets everything up, builds a demo bundle (a busybox rootfs from Debian's busybox-static and the
# default config from `tsrun spec`) and runs a container from it in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

bundle=/tmp/tsrun-demo
rm -rf "$bundle" && mkdir -p "$bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$bundle/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$bundle/rootfs/etc/passwd"

bin/tsrun spec --bundle "$bundle"
# Not on a terminal: run a short script instead of the interactive shell.
node -e '
  const f = process.argv[1]; const c = JSON.parse(require("fs").readFileSync(f));
  c.process.terminal = false;
  c.process.args = ["sh", "-c", "echo \"hello from $(hostname): pid $$, uid $(id -u)\"; echo mounts:; cut -d\" \" -f2,3 /proc/mounts | sed \"s/^/  /\""];
  require("fs").writeFileSync(f, JSON.stringify(c, null, 2));' "$bundle/config.json"
exec bin/tsrun run --bundle "$bundle" "demo-$$"
