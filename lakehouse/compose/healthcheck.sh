#!/bin/bash
# A container healthcheck that costs a fork, not an interpreter: Docker runs it every second in
# every container, and a Python probe there (~0.2 s of CPU each) would take a core on its own.
# It checks what the catalogue's probe checks, minus what needs a client library:
#   healthcheck.sh tcp HOST:PORT               the port accepts a connection
#   healthcheck.sh http URL [KEY=VALUE]        GET URL answers 2xx/3xx (and the JSON object KEY has "status"/field = VALUE)
#   healthcheck.sh answers URL                 GET URL gets any HTTP answer (S3 without credentials: 403)
# The last line it prints is what `docker inspect` and the toolkit show as the last probe output.
set -u
kind=$1 target=$2 expect=${3:-}
if [[ $kind == tcp ]]; then
    { exec 3<>"/dev/tcp/${target%:*}/${target##*:}"; } 2>/dev/null || { echo "nothing listens on $target"; exit 1; }
    echo "$target accepts connections"; exit 0
fi
rest=${target#*://} hostport=${rest%%/*} path=/${rest#*/}
[[ $rest == */* ]] || path=/
{ exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"; } 2>/dev/null || { echo "nothing listens on $hostport"; exit 1; }
printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
response=$(timeout 3 cat <&3 | tr -d '\n')  # one line: the JSON may be pretty-printed
status=${response%%$'\r'*}
case $kind in
answers) [[ $status == HTTP/* ]] || { echo "no HTTP answer from $target"; exit 1; } ;;
http)
    [[ $status =~ ^HTTP/[0-9.]+\ [23] ]] || { echo "$status from $target"; exit 1; }
    if [[ -n $expect ]]; then
        key=${expect%%=*} want=${expect#*=} object=${key%.*} field=${key##*.}
        block=$(grep -oE "\"$object\": *\{[^}]*\}" <<<"$response")
        grep -qE "\"$field\": *\"$want\"" <<<"$block" || { echo "$key is not $want at $target: ${block:0:200}"; exit 1; }
    fi ;;
*) echo "unknown check kind $kind"; exit 2 ;;
esac
echo "$status from $target${expect:+ ($expect)}"
