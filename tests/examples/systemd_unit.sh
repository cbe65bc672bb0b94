#!/usr/bin/env bash
# examples/systemd/driftwatch.service: `systemd-analyze verify` accepts it without a single warning
# (an unknown or misspelt directive is only a warning there, so any output fails the test), it has
# the settings its comments promise, and `systemd-analyze security` rates its sandbox "OK" (an
# exposure of 3.0 or less). Fails without systemd-analyze (package systemd, installed by setup).
# The unit's /usr/local/bin/driftwatch is pointed at the build's binary, which verify wants to exist.
source "$DW_SRC/tests/lib.sh"
source "$DW_SRC/tests/examples/examples_lib.sh"
UNIT="$EX/systemd/driftwatch.service"

# shellcheck disable=SC2016 # $MAINPID is literal text of the unit
for want in 'Type=simple' 'ExecStart=/usr/local/bin/driftwatch run -c /etc/driftwatch/driftwatch.yaml' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'StateDirectory=driftwatch' 'DynamicUser=yes' 'Restart=on-failure' \
    'ProtectSystem=strict' 'NoNewPrivileges=yes' 'PrivateTmp=yes' 'ProtectHome=yes'; do
    grep -qxF -- "$want" "$UNIT" || fail "driftwatch.service lacks the line: $want"
done
# The config the unit runs reads its secrets from the credentials the unit loads.
for cred in $(sed -n 's/^LoadCredential=\([^:]*\):.*/\1/p' "$UNIT"); do
    grep -qF -- "\${CREDENTIALS_DIRECTORY}/$cred" "$EX/systemd/driftwatch.yaml" ||
        fail "credential '$cred' is loaded but examples/systemd/driftwatch.yaml never reads it"
done
grep -qF 'state_dir: /var/lib/driftwatch ' "$EX/systemd/driftwatch.yaml" ||
    fail "driftwatch.yaml's state_dir is not the unit's StateDirectory"

need_tool systemd-analyze systemd
mkdir -p "$TMP/units"
localize "$UNIT" "$TMP/units/driftwatch.service"
[ -x /bin/kill ] || fail "/bin/kill (ExecReload) is missing"
if ! systemd-analyze verify "$TMP/units/driftwatch.service" >"$TMP/verify.txt" 2>&1 || [ -s "$TMP/verify.txt" ]; then
    cat "$TMP/verify.txt" >&2
    fail "systemd-analyze verify complained about driftwatch.service"
fi
echo "ok: systemd-analyze verify"

# --offline needs systemd 250+; --threshold is on the 0-100 scale of the exposure times ten.
if systemd-analyze security --offline=yes "$TMP/units/driftwatch.service" >"$TMP/security.txt" 2>&1; then
    grep 'Overall exposure level' "$TMP/security.txt"
    systemd-analyze security --offline=yes --threshold=30 "$TMP/units/driftwatch.service" >/dev/null 2>&1 ||
        fail "the sandbox's exposure is above 3.0: $(grep 'Overall exposure' "$TMP/security.txt")"
else
    echo "note: this systemd-analyze cannot rate units offline; exposure not checked"
fi
echo "PASS: examples/systemd/driftwatch.service"
