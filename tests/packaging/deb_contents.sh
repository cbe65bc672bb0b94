#!/usr/bin/env bash
# `cpack -G DEB` on this build tree, then the package read back with dpkg-deb: the files of README
# "Build and install" (binary, every plugin, dashboards, unit, default config, example data, docs)
# at this build's install paths, the default config listed as a conffile, Depends naming the Debian 12
# runtime libraries, and the unit calling the installed binary.
. "$(dirname "$0")/../lib.sh"
: "${DW_BUILD:?DW_BUILD must point at the build directory}"
need_tool dpkg-deb dpkg
need_tool cpack cmake

cache() { sed -n "s/^$1:[A-Z]*=//p" "$DW_BUILD/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX)
unitdir=$(cache DW_SYSTEMD_UNIT_DIR)
# The plugin and share dirs as compiled into the binary (build_config.h), relative to /.
plugdir=$(sed -n 's/^#define DW_PLUGIN_INSTALL_DIR "\(.*\)"$/\1/p' "$DW_BUILD/generated/build_config.h")
sharedir=$(sed -n 's/^#define DW_SHARE_INSTALL_DIR "\(.*\)"$/\1/p' "$DW_BUILD/generated/build_config.h")
[ -n "$prefix" ] && [ -n "$plugdir" ] && [ -n "$sharedir" ] && [ -n "$unitdir" ] || fail "install paths not found in $DW_BUILD"
sysconf=/etc
[ "$prefix" = /usr ] || sysconf=$prefix/etc

cpack --config "$DW_BUILD/CPackConfig.cmake" -G DEB -B "$TMP/out" >"$TMP/cpack.log" 2>&1 ||
    { cat "$TMP/cpack.log"; fail "cpack -G DEB failed"; }
debs=("$TMP"/out/driftwatch_*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -s "${debs[0]}" ] || fail "expected one driftwatch_*.deb, got ${debs[*]}"
deb=${debs[0]}
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$TMP/files"

has() { grep -qxF "$1" "$TMP/files" || fail "$1 not in the package"; }
has "$prefix/bin/driftwatch"
for so in "$DW_BUILD"/plugins/*.so; do has "$plugdir/$(basename "$so")"; done
has "$sharedir/dashboards/rules/driftwatch-rules.yml"
for f in train.csv serving_ok.csv serving_drifted.csv serving_drifted.jsonl; do has "$sharedir/examples/data/$f"; done
has "$unitdir/driftwatch.service"
has "$sysconf/driftwatch/driftwatch.yaml"
has "$prefix/share/doc/driftwatch/README.md"
if [ -d "$DW_SRC/docs" ]; then grep -q "^$prefix/share/doc/driftwatch/docs/" "$TMP/files" || fail "docs/ not in the package"; fi

dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$TMP/conffiles"
grep -qxF "$sysconf/driftwatch/driftwatch.yaml" "$TMP/conffiles" || fail "default config is not a conffile: $(cat "$TMP/conffiles")"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libcurl4 libjansson4 libyaml-0-2 libgsl27 libmicrohttpd12 libssl3 zlib1g; do
    [[ ", $depends," =~ ,\ $lib[\ ,] ]] || fail "Depends lacks $lib: $depends"
done
[ "$(dpkg-deb -f "$deb" Package)" = driftwatch ] || fail "package name"

dpkg-deb --fsys-tarfile "$deb" | tar -xO ".$unitdir/driftwatch.service" >"$TMP/unit"
grep -qxF "ExecStart=$prefix/bin/driftwatch run -c $sysconf/driftwatch/driftwatch.yaml" "$TMP/unit" ||
    fail "the unit does not run $prefix/bin/driftwatch: $(grep ^ExecStart "$TMP/unit")"

# The default config validates as shipped (only its state_dir moved to the test's temp dir).
sed "s#/var/lib/driftwatch#$TMP/state#" "$DW_SRC/packaging/driftwatch.yaml" >"$TMP/default.yaml"
"$DW_BIN" validate -c "$TMP/default.yaml" >/dev/null || fail "packaging/driftwatch.yaml does not validate"
echo "deb_contents: $(basename "$deb"): $(wc -l <"$TMP/files") entries, Depends: $depends"
