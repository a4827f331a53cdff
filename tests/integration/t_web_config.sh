#!/bin/sh
# --web.config.file, end to end, without the kernel (replay source): real
# certificates made here with openssl (a CA, a server certificate for
# 127.0.0.1 and localhost, a client certificate from the CA and one from
# another CA) and a bcrypt hash made by htpasswd, checked with curl:
# HTTPS, plain HTTP refused on the TLS port, min_version, client
# certificates (RequireAndVerifyClientCert, VerifyClientCertIfGiven,
# client_allowed_sans), cipher_suites, basic auth (401 with
# WWW-Authenticate for none, a wrong password and an unknown user),
# configured headers on every response (200, 401, 404), rate_limit (429),
# bad files: exit code 1 with a message naming the file, the key and the
# line; and reloads while running (as the unprivileged --runas.user): a
# renewed certificate and key, changed users, a bad file, an unreadable
# key, and files that would remove every user or TLS (refused: the old
# configuration stays, fail closed), and SIGHUP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http_lib.sh"

for t in openssl htpasswd curl python3; do
	command -v $t >/dev/null || ae_skip "$t is not installed"
done
fx=$AE_ROOT/tests/fixtures
d=$ae_tmp

# ---- certificates and the password hash -------------------------------------
ca() { # name
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
		-keyout "$d/$1.key" -out "$d/$1.crt" 2>"$d/openssl.err" ||
		ae_fail "openssl: $(cat "$d/openssl.err")"
}
leaf() { # name ca extensions
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$d/$1.key" \
		-out "$d/$1.csr" 2>"$d/openssl.err" ||
		ae_fail "openssl: $(cat "$d/openssl.err")"
	printf '%s\n' "$3" >"$d/$1.ext"
	openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.crt" -CAkey "$d/$2.key" \
		-CAcreateserial -days 2 -extfile "$d/$1.ext" \
		-out "$d/$1.crt" 2>"$d/openssl.err" ||
		ae_fail "openssl: $(cat "$d/openssl.err")"
}
ca ca
ca otherca
leaf server ca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf client ca "subjectAltName=DNS:client.example
extendedKeyUsage=clientAuth"
leaf stranger otherca "subjectAltName=DNS:client.example
extendedKeyUsage=clientAuth"
leaf renewed otherca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
hash=$(htpasswd -nbB user pass | cut -d: -f2-)
hash2=$(htpasswd -nbB other word | cut -d: -f2-)
case $hash in '$2y$'*) ;; *) ae_fail "htpasswd gave '$hash'" ;; esac

# ---- helpers ------------------------------------------------------------------
pid=
start() { # config-text: writes it, starts the exporter with it
	printf '%s\n' "$1" >"$d/web.yml"
	http_replay_start --web.config.file="$d/web.yml"
}
stop() {
	ae_stop_pid "$pid"
}
# status of a GET (000 when there is no HTTP answer); headers lower-cased
# in $d/h, body in $d/body
get() { # path curl-args...
	p=$1
	shift
	rm -f "$d/h" "$d/body"
	curl -s --max-time 20 -o "$d/body" -D "$d/h.raw" -w '%{http_code}' \
		"$@" "https://localhost:$port$p"
	tr -d '\r' <"$d/h.raw" 2>/dev/null | tr 'A-Z' 'a-z' >"$d/h"
}
expect_status() { # want path curl-args...
	want=$1
	shift
	got=$(get "$@")
	[ "$got" = "$want" ] || ae_fail "GET $*: status $got, expected $want"
}
served_metrics() { # the last body is the replay's exposition
	ae_check_expect "$d/body" "$fx/workload.expect" || ae_fail "metrics"
	ae_promtool_check "$d/body"
}
tls_base="tls_server_config:
  cert_file: server.crt
  key_file: $d/server.key"

# ---- TLS, basic auth, headers -------------------------------------------------
start "$tls_base
http_server_config:
  http2: true
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: \"default-src 'none'\"
basic_auth_users:
  user: '$hash'"
ca="--cacert $d/ca.crt"
expect_status 200 /metrics $ca -u user:pass
served_metrics
grep -qx 'x-frame-options: deny' "$d/h" || ae_fail "no X-Frame-Options on 200"
grep -qx 'x-content-type-options: nosniff' "$d/h" || ae_fail "no nosniff"
grep -qx 'strict-transport-security: max-age=31536000' "$d/h" ||
	ae_fail "no Strict-Transport-Security"
grep -qx "content-security-policy: default-src 'none'" "$d/h" ||
	ae_fail "no Content-Security-Policy"
expect_status 200 /metrics $ca -u user:pass --tlsv1.2 --tls-max 1.2
# the certificate is the one made here: without our CA curl refuses it
expect_status 000 /metrics -u user:pass
# plain HTTP to the TLS port gets no HTTP answer
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' \
	-u user:pass "http://127.0.0.1:$port/metrics")
[ "$code" = 000 ] || ae_fail "plain HTTP on the TLS port answered $code"
# basic auth: none, wrong password, unknown user -> 401 with a challenge
for creds in "" "-u user:wrong" "-u someone:pass" "-u user:"; do
	# shellcheck disable=SC2086
	expect_status 401 /metrics $ca $creds
	grep -q '^www-authenticate: basic' "$d/h" ||
		ae_fail "401 ($creds) without WWW-Authenticate"
	grep -qx 'x-frame-options: deny' "$d/h" ||
		ae_fail "401 ($creds) without the configured headers"
	grep -q '^audit_' "$d/body" && ae_fail "401 ($creds) with metrics"
done
# every path needs auth, and headers come on a 404 too
expect_status 401 / $ca
expect_status 401 /nope $ca
expect_status 404 /nope $ca -u user:pass
grep -qx 'x-frame-options: deny' "$d/h" || ae_fail "404 without the headers"
grep -qx 'x-content-type-options: nosniff' "$d/h" ||
	ae_fail "404 without nosniff"
expect_status 200 / $ca -u user:pass
stop

# ---- min_version ----------------------------------------------------------------
start "$tls_base
  min_version: TLS13"
expect_status 000 /metrics $ca --tls-max 1.2
expect_status 200 /metrics $ca --tlsv1.3
served_metrics
stop

# ---- client certificates ----------------------------------------------------------
mine="--cert $d/client.crt --key $d/client.key"
theirs="--cert $d/stranger.crt --key $d/stranger.key"
start "$tls_base
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt"
expect_status 000 /metrics $ca
expect_status 000 /metrics $ca $theirs
expect_status 000 /metrics $ca $theirs --tls-max 1.2
expect_status 200 /metrics $ca $mine
served_metrics
expect_status 200 /metrics $ca $mine --tls-max 1.2
stop

start "$tls_base
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: ca.crt"
expect_status 200 /metrics $ca
expect_status 200 /metrics $ca $mine
expect_status 000 /metrics $ca $theirs
stop

start "$tls_base
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [other.example]"
expect_status 000 /metrics $ca $mine
stop
start "$tls_base
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [other.example, client.example]"
expect_status 200 /metrics $ca $mine
stop

# ---- cipher_suites (TLS 1.2; openssl names for curl) --------------------------------
start "$tls_base
  max_version: TLS12
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    - TLS_RSA_WITH_AES_256_CBC_SHA"
expect_status 200 /metrics $ca --ciphers ECDHE-RSA-AES128-GCM-SHA256
served_metrics
expect_status 200 /metrics $ca --ciphers AES256-SHA
# not listed, though GnuTLS allows its parts: nothing is served
expect_status 000 /metrics $ca --ciphers ECDHE-RSA-AES256-SHA
# not listed at all: refused in the handshake
expect_status 000 /metrics $ca --ciphers ECDHE-RSA-CHACHA20-POLY1305
expect_status 000 /metrics $ca --tlsv1.3
stop

# ---- rate_limit, without TLS ------------------------------------------------------
start "rate_limit:
  interval: 1h
  burst: 2
http_server_config:
  headers:
    X-Frame-Options: sameorigin"
codes=""
for _ in 1 2 3 4; do
	codes="$codes $(curl -s --max-time 20 -o /dev/null -D "$d/h.raw" \
		-w '%{http_code}' "http://127.0.0.1:$port/metrics")"
done
[ "$codes" = " 200 200 429 429" ] ||
	ae_fail "rate_limit burst 2: statuses$codes"
tr -d '\r' <"$d/h.raw" | grep -qix 'x-frame-options: sameorigin' ||
	ae_fail "429 without the configured headers"
# an HTTP/1.1 request without Host is refused before the bucket is asked
# (as in Go, where the server checks it before any handler), with the
# configured headers on its 400
code=$(curl -s --max-time 20 -o /dev/null -D "$d/h.raw" -H 'Host:' \
	-w '%{http_code}' "http://127.0.0.1:$port/metrics")
[ "$code" = 400 ] || ae_fail "HTTP/1.1 without Host: status $code"
tr -d '\r' <"$d/h.raw" | grep -qix 'x-frame-options: sameorigin' ||
	ae_fail "400 for Host without the configured headers"
stop

# ---- bad files: exit code 1, the problem named ----------------------------------------
bad_run() { # what file expected-message...: exit 1, the messages in stderr
	what=$1
	file=$2
	shift 2
	port=$(ae_free_port)
	timeout 60 "$AE_BIN" --baseline.file= --audit.source=file --audit.file="$fx/workload.log" \
		--sketch.key-file="$fx/sketch.key" \
		--web.listen-address="127.0.0.1:$port" \
		--web.config.file="$file" >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 1 ] || ae_fail "$what: exit code $rc, expected 1"
	for m in "$@"; do
		grep -qF -- "$m" "$d/err" ||
			ae_fail "$what: no '$m' in: $(cat "$d/err")"
	done
}
bad() { # what config-text expected-message...
	what=$1
	printf '%s\n' "$2" >"$d/bad.yml"
	shift 2
	bad_run "$what" "$d/bad.yml" "$@"
}
bad "unknown key" "$tls_base
  client_auth: RequireAndVerifyClientCert" \
	"$d/bad.yml:4:3: tls_server_config: unknown key 'client_auth'"
bad "bad YAML" "tls_server_config:
  cert_file: [server.crt" "$d/bad.yml:3:1: bad YAML"
bad "missing certificate file" "tls_server_config:
  cert_file: nowhere.crt
  key_file: server.key" \
	"$d/bad.yml:2: tls_server_config.cert_file: cannot read $d/nowhere.crt: No such file or directory"
bad "bad client_auth_type" "$tls_base
  client_auth_type: RequireClientCertPlease
  client_ca_file: ca.crt" \
	"$d/bad.yml:4:21: tls_server_config.client_auth_type: unknown client_auth_type 'RequireClientCertPlease'"
bad "unknown cipher" "$tls_base
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_FANCY_CIPHER]" \
	"$d/bad.yml:4:58: tls_server_config.cipher_suites: unknown cipher 'TLS_FANCY_CIPHER'"
bad "header not allowed" "http_server_config:
  headers:
    Server: audit" \
	"$d/bad.yml:3:5: http_server_config.headers: HTTP header 'Server' can not be configured"
bad "not a bcrypt hash" "basic_auth_users:
  user: pass" "$d/bad.yml:2:9: basic_auth_users.user: not a bcrypt hash"
bad "key of another certificate" "tls_server_config:
  cert_file: server.crt
  key_file: client.key" "$d/bad.yml:3: tls_server_config.key_file"
bad_run "missing config file" "$d/none.yml" \
	"$d/none.yml: cannot read the web config file: No such file or directory"
# ---- reloads while running ----------------------------------------------------------
# The exporter runs as nobody after start-up: the files must stay readable.
chmod 755 "$d"
cp "$d/server.crt" "$d/live.crt"
cp "$d/server.key" "$d/live.key"
chmod 644 "$d/live.crt" "$d/live.key"
live() { # users-yaml: the config with the live certificate, atomically
	printf 'tls_server_config:\n  cert_file: live.crt\n  key_file: live.key\n%s\n' \
		"$1" >"$d/web.new"
	chmod 644 "$d/web.new"
	mv "$d/web.new" "$d/web.yml"
}
# polls (one new connection each time, which is when the files are looked
# at) until a GET gets the status wanted
until_status() { # want path curl-args...
	want=$1
	shift
	for _ in $(seq 100); do
		[ "$(get "$@")" = "$want" ] && return 0
		sleep 0.1
	done
	ae_fail "GET $*: status $(get "$@"), never $want; log: $(cat "$d/reload.log")"
}
until_log() { # count pattern: the pattern logged count times, while polled
	for _ in $(seq 100); do
		[ "$(grep -c "$2" "$d/reload.log")" -ge "$1" ] && return 0
		get /metrics $ca >/dev/null
		sleep 0.1
	done
	ae_fail "no $1 log lines '$2' in: $(cat "$d/reload.log")"
}
live "basic_auth_users:
  user: '$hash'"
http_replay_start --web.config.file="$d/web.yml" --log.level=info \
	2>"$d/reload.log"
expect_status 200 /metrics $ca -u user:pass
# a renewed certificate and key, written in place one after the other
cp "$d/renewed.crt" "$d/live.crt"
cp "$d/renewed.key" "$d/live.key"
until_status 200 /metrics --cacert "$d/otherca.crt" -u user:pass
served_metrics
expect_status 000 /metrics $ca -u user:pass
until_log 1 'msg="web config reloaded"'
# other users
live "basic_auth_users:
  other: '$hash2'"
until_status 200 /metrics --cacert "$d/otherca.crt" -u other:word
expect_status 401 /metrics --cacert "$d/otherca.crt" -u user:pass
ca="--cacert $d/otherca.crt"
# fail closed: a file that would leave no users (basic_auth_users: with no
# value, as a cut or half-edited file reads) or no TLS (an empty file) is
# refused with an error, and requests without credentials still get 401
live "basic_auth_users:"
until_log 1 'level=error.*web config not reloaded.*would remove basic auth (1 user)'
expect_status 401 /metrics $ca
expect_status 200 /metrics $ca -u other:word
: >"$d/web.yml"
until_log 1 'level=error.*web config not reloaded.*would remove TLS'
expect_status 401 /metrics $ca
# a bad file, an unreadable key, TLS switched off: each logged, and the
# configuration in force stays
live "basic_auth_users:
  other: [not a hash]"
until_log 1 'web config not reloaded.*basic_auth_users.other'
# unreadable to the exporter whoever runs the test: as root it runs as
# nobody and the file is root's; as a normal user the file is its own
chmod 000 "$d/live.key"
live "basic_auth_users:
  other: '$hash2'"
until_log 1 'web config not reloaded.*live.key: Permission denied'
printf 'basic_auth_users:\n  other: %s\n' "'$hash2'" >"$d/web.yml"
until_log 2 'web config not reloaded.*would remove TLS'
expect_status 200 /metrics $ca -u other:word
served_metrics
expect_status 401 /metrics $ca -u user:pass
# readable again: loaded at the next look; SIGHUP loads it whatever
chmod 644 "$d/live.key"
live "basic_auth_users:
  user: '$hash'"
until_status 200 /metrics $ca -u user:pass
reloads=$(grep -c 'msg="web config reloaded"' "$d/reload.log")
kill -HUP "$pid"
until_log $((reloads + 1)) 'msg="web config reloaded"'
expect_status 200 /metrics $ca -u user:pass
# files that only exist after the configuration naming them: tried again
# until they do, the error logged once
printf 'tls_server_config:\n  cert_file: next.crt\n  key_file: next.key\n%s\n' \
	"basic_auth_users: {user: '$hash'}" >"$d/web.new"
chmod 644 "$d/web.new"
mv "$d/web.new" "$d/web.yml"
until_log 1 'web config not reloaded.*next.crt: No such file or directory'
for _ in 1 2 3; do # three more looks, each loading it again
	get /metrics $ca >/dev/null
	sleep 1.1
done
[ "$(grep -c 'next.crt' "$d/reload.log")" = 1 ] ||
	ae_fail "the same error logged again: $(cat "$d/reload.log")"
cp "$d/server.crt" "$d/next.crt"
cp "$d/server.key" "$d/next.key"
chmod 644 "$d/next.crt" "$d/next.key"
until_status 200 /metrics --cacert "$d/ca.crt" -u user:pass
served_metrics
grep 'level=error' "$d/reload.log" | grep -qv 'not reloaded' &&
	ae_fail "unexpected errors: $(cat "$d/reload.log")"
stop

echo "web config: TLS, client certificates, suites, basic auth, headers," \
	"rate limit, bad files and reloads as expected"
