#!/usr/bin/env bash
# The coffer CLI end to end against a dev server: every client command,
# its output and its exit code (0 ok, 1 usage, 2 server error), as Vault's
# CLI behaves. Needs $COFFER_BIN (lib.sh defaults it to ./coffer).
. "$(dirname "$0")/lib.sh"

# No command may wait on a terminal; the ones that read stdin get a pipe.
exec </dev/null
export HOME="$TMP/home"
mkdir -p "$HOME"
unset VAULT_TOKEN VAULT_ADDR VAULT_FORMAT VAULT_CACERT VAULT_SKIP_VERIFY || true

start_dev d
export VAULT_ADDR=$ADDR_d VAULT_TOKEN=$TOKEN
UNSEAL=$(awk '/^Unseal Key:/ {print $NF}' "$TMP/d.out")

# cf [ARGS...]: runs the CLI; OUT, ERR and RC hold what happened. Feed it
# stdin with a redirection, never a pipe: a pipeline runs it in a subshell.
cf() {
    RC=0
    "$COFFER_BIN" "$@" >"$TMP/cf.out" 2>"$TMP/cf.err" || RC=$?
    OUT=$(cat "$TMP/cf.out")
    ERR=$(cat "$TMP/cf.err")
}
# expect WHAT CODE ARGS...: runs and checks the exit code.
expect() {
    local what=$1 code=$2
    shift 2
    cf "$@"
    assert_eq "$what (exit; stderr: ${ERR:0:300})" "$code" "$RC"
}
# matches WHAT REGEX TEXT
matches() {
    if grep -Eq -- "$2" <<<"$3"; then ok; else fail "$1: /$2/ not in [${3:0:400}]"; fi
}

# --- status
expect "status unsealed" 0 status
matches "status table" '^Seal Type +shamir$' "$OUT"
matches "status sealed row" '^Sealed +false$' "$OUT"
matches "status header" '^Key +Value$' "$OUT"
matches "status dashes" '^--- +-----$' "$OUT"
matches "status ha row" '^HA Enabled +(true|false)$' "$OUT"
expect "status json" 0 status -format=json
assert_contains "status json sealed" '"sealed": false' "$OUT"
expect "status -address wins" 0 status -address="$ADDR_d"
VAULT_FORMAT=json cf status
assert_contains "VAULT_FORMAT=json" '"initialized": true' "$OUT"

# --- kv v2 at secret/ (dev default)
expect "kv put" 0 kv put secret/app foo=bar n=1
matches "kv put path banner" '^=+ Secret Path =+$' "$OUT"
assert_contains "kv put data path" "secret/data/app" "$OUT"
matches "kv put version" '^version +1$' "$OUT"
expect "kv get" 0 kv get secret/app
matches "kv get data banner" '^=+ Data =+$' "$OUT"
matches "kv get foo row" '^foo +bar$' "$OUT"
matches "kv get metadata" '^=+ Metadata =+$' "$OUT"
expect "kv get -field" 0 kv get -field=foo secret/app
assert_eq "kv get -field value" bar "$OUT"
expect "kv get -field as next word" 0 kv get -field foo secret/app
assert_eq "kv get -field next word" bar "$OUT"
expect "kv get -field missing" 1 kv get -field=nope secret/app
assert_contains "field missing message" 'Field "nope" not present in secret' "$ERR"
expect "kv get json" 0 kv get -format=json secret/app
assert_eq "kv get json data" bar "$(jq -r .data.data.foo <<<"$OUT")"
expect "kv put cas ok" 0 kv put -cas=1 secret/app foo=baz
expect "kv put cas mismatch" 2 kv put -cas=1 secret/app foo=qux
assert_contains "cas error text" "check-and-set parameter did not match" "$ERR"
assert_contains "api error layout" "Error making API request." "$ERR"
matches "api error url" '^URL: (POST|PUT) http://127\.0\.0\.1:[0-9]+/v1/secret/data/app$' "$ERR"
matches "api error code" '^Code: 400\. Errors:$' "$ERR"
expect "kv get -version" 0 kv get -version=1 -field=foo secret/app
assert_eq "kv get version 1" bar "$OUT"
expect "kv patch" 0 kv patch secret/app extra=x
expect "kv patch result" 0 kv get -field=extra secret/app
assert_eq "kv patch added" x "$OUT"
cf kv get -field=foo secret/app
assert_eq "kv patch kept foo" baz "$OUT"
expect "kv get -mount form" 0 kv get -mount=secret -field=foo app
assert_eq "kv -mount value" baz "$OUT"
expect "kv put -mount form" 0 kv put -mount=secret other k=v
cf kv get -field=k secret/other
assert_eq "kv -mount put readable by path" v "$OUT"

printf 's3cret' >"$TMP/pw.txt"
cf kv put secret/pw value=- <"$TMP/pw.txt"
assert_eq "kv put k=- exit" 0 "$RC"
cf kv get -field=value secret/pw
assert_eq "kv put k=- value" s3cret "$OUT"
printf 'line1\nline2' >"$TMP/file.txt"
expect "kv put k=@file" 0 kv put secret/file content=@"$TMP/file.txt"
cf kv get -field=content secret/file
assert_eq "kv put @file value" "$(printf 'line1\nline2')" "$OUT"
cf kv put secret/json - <<<'{"num": 5, "nested": {"a": "b"}}'
assert_eq "kv put - JSON exit" 0 "$RC"
expect "kv get typed JSON" 0 kv get -format=json secret/json
assert_eq "kv JSON number kept" 5 "$(jq -r .data.data.num <<<"$OUT")"
expect "kv put bad pair" 1 kv put secret/app novalue
assert_contains "bad pair message" "format must be key=value" "$ERR"
expect "kv put no data" 1 kv put secret/app

expect "kv list" 0 kv list secret
matches "kv list header" '^Keys$' "$OUT"
matches "kv list app" '^app$' "$OUT"
expect "kv list json" 0 kv list -format=json secret/
assert_eq "kv list json has app" 1 "$(jq '[.[] | select(. == "app")] | length' <<<"$OUT")"
expect "kv list missing" 2 kv list secret/nothing-here
assert_contains "kv list missing text" "No value found at secret/metadata/nothing-here" "$ERR"

expect "kv metadata get" 0 kv metadata get secret/app
matches "metadata banner" '^=+ Metadata Path =+$' "$OUT"
matches "metadata version 3" '^=+ Version 3 =+$' "$OUT"
matches "metadata current_version" '^current_version +3$' "$OUT"
expect "kv metadata put" 0 kv metadata put -max-versions=7 -custom-metadata=team=ops secret/app
assert_contains "metadata put message" "Success! Data written to: secret/metadata/app" "$OUT"
cf kv metadata get secret/app
matches "metadata max_versions" '^max_versions +7$' "$OUT"
assert_contains "metadata custom" "map[team:ops]" "$OUT"

expect "kv delete latest" 0 kv delete secret/app
assert_contains "kv delete message" "Success! Data deleted (if it existed) at: secret/data/app" "$OUT"
cf kv get -field=extra secret/app
assert_eq "kv get deleted -field" 1 "$RC"
expect "kv undelete" 0 kv undelete -versions=3 secret/app
cf kv get -field=extra secret/app
assert_eq "kv undeleted value" x "$OUT"
expect "kv undelete needs versions" 1 kv undelete secret/app
assert_contains "undelete message" "No versions provided" "$ERR"
expect "kv delete versions" 0 kv delete -versions=2 secret/app
expect "kv destroy" 0 kv destroy -versions=1 secret/app
cf kv get -version=1 -field=foo secret/app
assert_eq "kv destroyed version gone" 1 "$RC"
expect "kv metadata delete" 0 kv metadata delete secret/app
expect "kv get after metadata delete" 2 kv get secret/app
assert_contains "no value text" "No value found at secret/data/app" "$ERR"

# --- secrets engines, kv v1, generic commands
expect "secrets enable kv v1" 0 secrets enable -path=kv1 -version=1 -description="v1 store" kv
assert_contains "enable message" "Success! Enabled the kv secrets engine at: kv1/" "$OUT"
expect "secrets enable again" 2 secrets enable -path=kv1 kv
expect "secrets list" 0 secrets list
matches "secrets list header" '^Path +Type +Accessor +Description$' "$OUT"
matches "secrets list kv1" '^kv1/ +kv +[^ ]+ +v1 store$' "$OUT"
matches "secrets list secret" '^secret/ +kv ' "$OUT"
expect "secrets list json" 0 secrets list -format=json
assert_eq "secrets list json type" kv "$(jq -r '."kv1/".type' <<<"$OUT")"
expect "secrets tune" 0 secrets tune -max-lease-ttl=2h kv1
assert_contains "tune message" "Success! Tuned the secrets engine at: kv1/" "$OUT"
expect "kv put v1" 0 kv put kv1/foo a=b
assert_contains "kv v1 put message" "Success! Data written to: kv1/foo" "$OUT"
expect "kv get v1" 0 kv get -field=a kv1/foo
assert_eq "kv v1 value" b "$OUT"
expect "read" 0 read kv1/foo
matches "read row" '^a +b$' "$OUT"
expect "read -field" 0 read -field=a kv1/foo
assert_eq "read field" b "$OUT"
expect "read json" 0 read -format=json kv1/foo
assert_eq "read json data" b "$(jq -r .data.a <<<"$OUT")"
expect "write" 0 write kv1/bar x=1 y=2
assert_contains "write message" "Success! Data written to: kv1/bar" "$OUT"
expect "list" 0 list kv1
matches "list bar" '^bar$' "$OUT"
matches "list foo" '^foo$' "$OUT"
expect "write needs data" 1 write kv1/baz
expect "write -force" 0 write -force auth/token/create
matches "write returning auth" '^token +[^ ]+$' "$OUT"
expect "delete" 0 delete kv1/bar
assert_contains "delete message" "Success! Data deleted (if it existed) at: kv1/bar" "$OUT"
expect "read deleted" 2 read kv1/bar
assert_contains "read missing text" "No value found at kv1/bar" "$ERR"
expect "kv delete v1" 0 kv delete kv1/foo
expect "kv list v1 empty" 2 kv list kv1/nothing
expect "secrets enable kv-v2 alias" 0 secrets enable kv-v2
expect "kv put on kv-v2 mount" 0 kv put kv-v2/a b=c
assert_contains "kv-v2 is v2" "kv-v2/data/a" "$OUT"
expect "secrets disable" 0 secrets disable kv-v2
assert_contains "disable message" "Success! Disabled the secrets engine (if it existed) at: kv-v2/" "$OUT"
expect "secrets disable kv1" 0 secrets disable kv1/

# --- policies and tokens
printf 'path "secret/data/ro" {\n  capabilities = ["read"]\n}\n' >"$TMP/ro.hcl"
expect "policy write file" 0 policy write readonly "$TMP/ro.hcl"
assert_contains "policy write message" "Success! Uploaded policy: readonly" "$OUT"
cf policy write fromstdin - <<<'path "secret/*" { capabilities = ["read"] }'
assert_eq "policy write stdin" 0 "$RC"
expect "policy write missing file" 1 policy write x "$TMP/nope.hcl"
expect "policy list" 0 policy list
matches "policy list readonly" '^readonly$' "$OUT"
matches "policy list default" '^default$' "$OUT"
expect "policy read" 0 policy read readonly
assert_contains "policy read rules" 'path "secret/data/ro"' "$OUT"
expect "policy read missing" 2 policy read nosuchpolicy
expect "kv put ro" 0 kv put secret/ro k=v

expect "token create" 0 token create -policy=readonly -ttl=1h -display-name=ci -format=json
T=$(jq -r .auth.client_token <<<"$OUT")
ACC=$(jq -r .auth.accessor <<<"$OUT")
assert_contains "token create policies" readonly "$(jq -r '.auth.policies|join(",")' <<<"$OUT")"
expect "token create table" 0 token create -policy=readonly -use-limit=5
matches "token row" '^token +[^ ]+$' "$OUT"
matches "token_duration row" '^token_duration +(1h|[0-9]+h[0-9m]*|∞)' "$OUT"
matches "token_policies row" '^token_policies +\[.*"readonly".*\]$' "$OUT"
expect "token create -field" 0 token create -policy=readonly -field=token
T2=$OUT
expect "token create orphan" 0 token create -orphan -policy=readonly -renewable=false -field=token
T3=$OUT
expect "token create bad ttl" 1 token create -ttl=soon

VAULT_TOKEN=$T cf kv get -field=k secret/ro
assert_eq "limited token reads" v "$OUT"
VAULT_TOKEN=$T cf kv put secret/ro k=w
assert_eq "limited token write denied" 2 "$RC"
assert_contains "denied text" "permission denied" "$ERR"
VAULT_TOKEN=$T cf read secret/data/app
assert_eq "limited token other path" 2 "$RC"
matches "denied code" '^Code: 403\. Errors:$' "$ERR"

expect "token lookup other" 0 token lookup "$T"
matches "lookup display_name" '^display_name +token-ci$' "$OUT"
matches "lookup policies" '^policies +\[default readonly\]$' "$OUT"
assert_contains "lookup hides nothing unexpected" "$ACC" "$OUT"
VAULT_TOKEN=$T cf token lookup
assert_eq "token lookup self" 0 "$RC"
expect "token lookup accessor" 0 token lookup -accessor "$ACC"
matches "lookup-accessor id hidden" '^id +n/a$' "$OUT"
expect "token renew other" 0 token renew -increment=30m "$T"
matches "renew token_duration" '^token_duration +30m$' "$OUT"
VAULT_TOKEN=$T cf token renew
assert_eq "token renew self" 0 "$RC"
expect "token revoke" 0 token revoke "$T"
assert_contains "revoke message" "Success! Revoked token (if it existed)" "$OUT"
VAULT_TOKEN=$T cf token lookup
assert_eq "revoked token rejected" 2 "$RC"
expect "token revoke accessor" 0 token revoke -accessor "$(VAULT_TOKEN=$T2 "$COFFER_BIN" token lookup -field=accessor)"
VAULT_TOKEN=$T2 cf token lookup
assert_eq "revoked by accessor" 2 "$RC"
VAULT_TOKEN=$T3 cf token revoke -self
assert_eq "token revoke -self" 0 "$RC"
VAULT_TOKEN=$T3 cf token lookup
assert_eq "self-revoked rejected" 2 "$RC"
expect "token revoke needs arg" 1 token revoke
expect "policy delete" 0 policy delete readonly
assert_contains "policy delete message" "Success! Deleted policy: readonly" "$OUT"

# --- wrong token, bad flags, unreachable server, token file
VAULT_TOKEN=wrong-token cf kv get secret/ro
assert_eq "wrong token exit 2" 2 "$RC"
assert_contains "wrong token message" "permission denied" "$ERR"
if [[ "$ERR$OUT" == *wrong-token* ]]; then fail "token echoed in output"; else ok; fi
expect "bad flag" 1 kv get -nope secret/ro
assert_contains "bad flag message" "flag provided but not defined: -nope" "$ERR"
expect "bad format" 1 kv get -format=yamlish secret/ro
expect "unknown subcommand" 1 kv frobnicate
expect "too many args" 1 read a b=c d
cf read kv1/x a b
assert_eq "bad read args" 1 "$RC"
expect "unreachable read" 2 read -address=http://127.0.0.1:1 secret/ro
assert_contains "unreachable text" 'Get "http://127.0.0.1:1/v1/secret/ro"' "$ERR"
expect "unreachable status" 1 status -address=http://127.0.0.1:1
echo "$TOKEN" >"$HOME/.vault-token"
(unset VAULT_TOKEN; "$COFFER_BIN" kv get -field=k secret/ro >"$TMP/tf.out" 2>&1) && ok ||
    fail "token from ~/.vault-token: $(cat "$TMP/tf.out")"
assert_eq "token file value" v "$(cat "$TMP/tf.out")"
rm -f "$HOME/.vault-token"

# --- operator
expect "operator key-status" 0 operator key-status
matches "key term" '^Key Term +1$' "$OUT"
matches "install time" '^Install Time +' "$OUT"
expect "operator rotate" 0 operator rotate
assert_contains "rotate message" "Success! Rotated key" "$OUT"
matches "rotated term" '^Key Term +2$' "$OUT"
expect "operator init -status" 0 operator init -status
assert_contains "init status text" "Vault is initialized" "$OUT"
expect "operator init bad threshold" 1 operator init -key-shares=1 -key-threshold=2
expect "operator seal" 0 operator seal
assert_contains "seal message" "Success! Vault is sealed." "$OUT"
expect "status sealed" 2 status
matches "status sealed row" '^Sealed +true$' "$OUT"
matches "status progress" '^Unseal Progress +0/1$' "$OUT"
expect "kv get while sealed" 2 kv get secret/ro
expect "unseal bad key" 2 operator unseal AAAA
expect "unseal reset" 0 operator unseal -reset
cf operator unseal <<<"$UNSEAL"
assert_eq "unseal from stdin" 0 "$RC"
matches "unsealed row" '^Sealed +false$' "$OUT"
if [[ "$OUT$ERR" == *"$UNSEAL"* ]]; then fail "unseal key echoed"; else ok; fi
expect "status after unseal" 0 status
expect "kv works after unseal" 0 kv get -field=k secret/ro
assert_eq "data survived seal" v "$OUT"
expect "unseal when unsealed (arg)" 0 operator unseal "$UNSEAL"
expect "operator init on initialized" 2 operator init -key-shares=1 -key-threshold=1
assert_contains "init refused text" "already initialized" "$ERR"
expect "failed init leaves the server unsealed" 0 status

finish
