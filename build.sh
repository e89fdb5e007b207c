#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# KeyCustody's one entry point. Run `./build.sh help` for the list of commands.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
CONFIGURATION="${CONFIGURATION:-Release}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Every Debian package the tests, the benchmarks and the dev appliance use.
APT_PACKAGES=(
  softhsm2 opensc                                   # HSM stand-in and pkcs11-tool (interop)
  swtpm swtpm-tools tpm2-tools libtss2-fapi1 libtss2-tcti-swtpm0 libtss2-tcti-device0  # TPM stand-in, FAPI, checkquote
  libgpiod2                                         # GPIO character device (libgpiod v1)
  python3 python3-grpcio python3-grpc-tools         # gRPC interop peer
  nodejs npm                                        # gRPC interop peer (@grpc/grpc-js)
  openssh-client openssl gnupg minisign             # independent verifiers
  sqlite3 gcc libc6-dev libssl-dev                  # inspection, the C baseline loops in `bench` (libssl-dev: pkcs11 verify loop)
  tzdata                                            # IANA time zones for policy time windows (governance)
  lintian binutils-aarch64-linux-gnu                # `package`: lint the .deb, strip the arm64 SQLite build
  mmdebstrap qemu-system-x86 e2fsprogs              # `image vm` and the VM test (KVM + swtpm TPM)
)
# Commands whose presence shows setup has run.
SETUP_PROBES=(softhsm2-util pkcs11-tool swtpm tpm2_checkquote /usr/bin/python3 node npm ssh-keygen openssl gcc)

usage() {
  cat <<'EOF'
usage: ./build.sh COMMAND

  setup    install the Debian packages and npm peers the tests and dev appliance need (idempotent; root or sudo)
  build    build the solution
  test     setup if needed, build, run every test project; prints "N passed, N failed, N skipped"
  run      start the development appliance (SoftHSM2 + swtpm + simulated button) under ./.state
  demo     run the whole high-risk signing flow against a fresh dev appliance and verify the result
  bench    run the benchmarks; prints a table and writes bench/results.json
  package  build the Debian package artifacts/keycustody_VERSION_all.deb and check it with lintian
  image    image vm|rpi: build the appliance image with mmdebstrap (artifacts/vm or artifacts/rpi)
  test-vm  boot the VM image under KVM with swtpm as its TPM and run the appliance VM test
  clean    remove build output and test results
EOF
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "build.sh: '$*' needs root (run as root or install sudo)" >&2; return 1; fi
}

setup_done() {
  local p
  for p in "${SETUP_PROBES[@]}"; do command -v "$p" >/dev/null 2>&1 || return 1; done
  [ -f /usr/lib/softhsm/libsofthsm2.so ] || return 1
  ldconfig -p 2>/dev/null | grep -q libtss2-fapi.so.1 || return 1
  /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || return 1
  npm_peers_done || return 1
}

# npm peers live next to the tests that use them (each folder with a package.json under tests/).
npm_dirs() { find tests -name package.json -not -path '*/node_modules/*' -printf '%h\n' 2>/dev/null | sort; }
npm_peers_done() {
  local d
  for d in $(npm_dirs); do [ -d "$d/node_modules" ] || return 1; done
}

cmd_setup() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    # A Node.js installed outside Debian (e.g. NodeSource) already provides node and npm; Debian's packages
    # would conflict with it.
    case "$p" in nodejs) command -v node >/dev/null 2>&1 && continue ;; npm) command -v npm >/dev/null 2>&1 && continue ;; esac
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  local d
  for d in $(npm_dirs); do
    if [ ! -d "$d/node_modules" ]; then
      echo "setup: npm install in $d"
      (cd "$d" && npm install --no-audit --no-fund --loglevel=error)
    fi
  done
  echo "setup: done"
}

cmd_build() {
  dotnet build KeyCustody.sln -c "$CONFIGURATION" -nologo -clp:ErrorsOnly "$@"
}

# Sums the <Counters> of every TRX file under $1 and prints "N passed, N failed, N skipped".
sum_trx() {
  local dir=$1 passed=0 failed=0 skipped=0 f counters
  for f in "$dir"/*.trx; do
    [ -f "$f" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$f" | head -1)
    local total executed p fl
    total=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
    executed=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    fl=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    fl=$((fl + $(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters") + $(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters") + $(sed -n 's/.* aborted="\([0-9]*\)".*/\1/p' <<<"$counters")))
    passed=$((passed + p)); failed=$((failed + fl)); skipped=$((skipped + total - executed))
  done
  echo "$passed passed, $failed failed, $skipped skipped"
}

cmd_test() {
  setup_done || cmd_setup
  cmd_build
  local results="$ROOT/TestResults" rc=0 proj name expected=0
  rm -rf "$results"; mkdir -p "$results"
  export CI="${CI:-}"
  for proj in tests/*.Tests/*.csproj tests/KeyCustody.IntegrationTests/*.csproj; do
    [ -f "$proj" ] || continue
    name=$(basename "$proj" .csproj)
    expected=$((expected + 1))
    echo "== $name"
    # One project at a time: the integration fixtures start real swtpm/SoftHSM2/daemon processes and the
    # machines this runs on have two cores.
    # The VM test (ApplianceVmTests) boots the appliance image under KVM: only where /dev/kvm exists. Its first
    # test may build the image (mmdebstrap) before booting, hence the generous hang timeout.
    local filter=()
    [ -e /dev/kvm ] || filter=(--filter 'FullyQualifiedName!~ApplianceVmTests')
    dotnet test "$proj" -c "$CONFIGURATION" --no-build -nologo "${filter[@]}" \
      --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
      --blame-hang-timeout 25m -- RunConfiguration.TreatNoTestsAsError=false || rc=1
  done
  local got
  got=$(find "$results" -maxdepth 1 -name '*.trx' | wc -l)
  if [ "$got" -lt "$expected" ]; then
    echo "test: only $got of $expected test projects wrote results (a test host crashed?)"
    rc=1
  fi
  local line
  line=$(sum_trx "$results")
  case "$line" in *" 0 failed"*) ;; *) rc=1 ;; esac
  echo "$line"
  return $rc
}

# The development appliance in the foreground: SoftHSM2 token, swtpm, TLS material, dev officers/custodians and a
# genesis under ./.state (reused on the next run), a simulated button; Ctrl-C stops it and swtpm.
cmd_run() {
  setup_done || cmd_setup
  cmd_build >/dev/null
  exec dotnet "src/KeyCustody.Daemon/bin/$CONFIGURATION/net10.0/keycustodyd.dll" dev --state "${KEYCUSTODY_STATE:-$ROOT/.state}" "$@"
}

# A fresh dev appliance in a temporary directory, the whole high-risk flow without a person (submit, two officer
# approvals with ssh-keygen, a simulated press), then openssl and the offline audit verifier check the result.
# Exits 0 only when every step passed; `./build.sh demo --keep` keeps the state directory and the daemon's log.
cmd_demo() {
  setup_done || cmd_setup
  cmd_build >/dev/null
  exec dotnet "src/KeyCustody.Cli/bin/$CONFIGURATION/net10.0/keycustody.dll" dev demo \
    --daemon "src/KeyCustody.Daemon/bin/$CONFIGURATION/net10.0/keycustodyd.dll" "$@"
}

cmd_bench() {
  setup_done || cmd_setup
  cmd_build >/dev/null
  mkdir -p bench
  dotnet "tests/KeyCustody.Benchmarks/bin/$CONFIGURATION/net10.0/KeyCustody.Benchmarks.dll" "$ROOT/bench/results.json" "$@"
}

# The Debian package (Architecture: all): framework-dependent daemon + CLI under /usr/lib/keycustody, wrappers
# in /usr/bin, the hardened unit, the default configuration (a conffile) and the udev rules. Built with dpkg-deb,
# then checked with lintian (errors fail the build). Writes artifacts/keycustody_VERSION_all.deb and prints its path.
PACKAGE_VERSION="${PACKAGE_VERSION:-0.1.0}"
# PACKAGE_OUT (default artifacts/) is where the .deb goes; PACKAGE_NO_BUILD=1 publishes the existing build.
cmd_package() {
  local dest="${PACKAGE_OUT:-$ROOT/artifacts}" root deb
  local out="$dest/package" publish=(--no-self-contained -p:UseAppHost=false -nologo -clp:ErrorsOnly)
  [ "${PACKAGE_NO_BUILD:-}" = 1 ] && publish+=(--no-build)
  root="$out/root"
  rm -rf "$out"; mkdir -p "$root"
  local lib="$root/usr/lib/keycustody"
  dotnet publish src/KeyCustody.Daemon -c "$CONFIGURATION" "${publish[@]}" -o "$lib" >&2
  dotnet publish src/KeyCustody.Cli -c "$CONFIGURATION" "${publish[@]}" -o "$lib" >&2
  find "$lib" \( -name '*.pdb' -o -name '*.xml' \) -delete
  # SQLitePCLRaw ships its SQLite build for every runtime id; keep the two the appliance runs on.
  find "$lib/runtimes" -mindepth 1 -maxdepth 1 ! -name linux-x64 ! -name linux-arm64 -exec rm -rf {} +
  strip --strip-unneeded --remove-section=.comment "$lib/runtimes/linux-x64/native/libe_sqlite3.so"
  aarch64-linux-gnu-strip --strip-unneeded --remove-section=.comment "$lib/runtimes/linux-arm64/native/libe_sqlite3.so"

  local name
  install -d "$root/usr/bin"
  for name in keycustody keycustodyd; do
    sed "s/@NAME@/$name/g" image/debian/keycustody.wrapper >"$root/usr/bin/$name"
    chmod 0755 "$root/usr/bin/$name"
  done
  install -D -m 0644 image/keycustody.service "$root/lib/systemd/system/keycustody.service"
  install -D -m 0644 image/keycustody.json "$root/etc/keycustody/keycustody.json"
  install -D -m 0644 hardware/udev/90-keycustody.rules "$root/lib/udev/rules.d/90-keycustody.rules"
  install -D -m 0644 image/debian/copyright "$root/usr/share/doc/keycustody/copyright"
  install -m 0644 README.md "$root/usr/share/doc/keycustody/README.md"
  install -m 0644 image/README.md "$root/usr/share/doc/keycustody/README.appliance.md"
  install -D -m 0644 image/debian/lintian-overrides "$root/usr/share/lintian/overrides/keycustody"
  sed -e "s/@VERSION@/$PACKAGE_VERSION/" -e "s/@DATE@/$(LC_ALL=C date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")/" \
    image/debian/changelog.in | gzip -9n >"$root/usr/share/doc/keycustody/changelog.gz"
  find "$root" -type d -exec chmod 0755 {} +
  find "$root/usr/lib/keycustody" -type f -exec chmod 0644 {} +

  install -d -m 0755 "$root/DEBIAN"
  local f
  for f in postinst prerm postrm; do install -m 0755 "image/debian/$f" "$root/DEBIAN/$f"; done
  echo /etc/keycustody/keycustody.json >"$root/DEBIAN/conffiles"
  (cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
  sed -e "s/@VERSION@/$PACKAGE_VERSION/" -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" \
    image/debian/control.in >"$root/DEBIAN/control"
  deb="$dest/keycustody_${PACKAGE_VERSION}_all.deb"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
  if command -v lintian >/dev/null; then
    # lintian exits non-zero on errors (E:) only; warnings are printed for the reader.
    lintian --fail-on error --display-info "$deb" >&2
  else
    echo "package: lintian is not installed (./build.sh setup)" >&2; return 1
  fi
  echo "$deb"
}

# The appliance image (image/build-image.sh, mmdebstrap): `./build.sh image vm` builds the x86-64 VM disk
# artifacts/vm/{rootfs.img,vmlinuz,initrd.img}; `./build.sh image rpi` the arm64 root file system (see image/README.md).
cmd_image() {
  local target="${1:-vm}" deb
  deb=$(cmd_package | tail -1)
  as_root "$ROOT/image/build-image.sh" "$target" "$ROOT/artifacts/$target" "$deb"
}

# The VM test alone: boots artifacts/vm (built first if missing) under KVM with swtpm as its TPM.
cmd_test_vm() {
  [ -e /dev/kvm ] || { echo "test-vm: /dev/kvm is missing" >&2; return 1; }
  setup_done || cmd_setup
  dotnet build tests/KeyCustody.IntegrationTests -c "$CONFIGURATION" -nologo -clp:ErrorsOnly
  dotnet test tests/KeyCustody.IntegrationTests -c "$CONFIGURATION" --no-build -nologo --filter 'FullyQualifiedName~ApplianceVmTests' "$@"
}

cmd_clean() {
  rm -rf TestResults bench/results.json
  find src tests -maxdepth 2 \( -name bin -o -name obj \) -type d -prune -exec rm -rf {} +
}

case "${1:-help}" in
  setup) shift; cmd_setup "$@" ;;
  build) shift; cmd_build "$@" ;;
  test) shift; cmd_test "$@" ;;
  run) shift; cmd_run "$@" ;;
  demo) shift; cmd_demo "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  package) shift; cmd_package "$@" ;;
  image) shift; cmd_image "$@" ;;
  test-vm) shift; cmd_test_vm "$@" ;;
  clean) shift; cmd_clean "$@" ;;
  help|-h|--help) usage ;;
  *) echo "build.sh: unknown command '$1'" >&2; usage >&2; exit 2 ;;
esac
