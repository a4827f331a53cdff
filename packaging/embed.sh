#!/bin/sh
# Turns a text file into a C source that defines `const char NAME[]` holding
# its bytes, so the bundled default rules are compiled into the binary.
set -eu
name=$1
file=$2
printf '/* Generated from %s by packaging/embed.sh; do not edit. */\n' "$file"
printf 'extern const char %s[];\nconst char %s[] =\n' "$name" "$name"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$file"
printf '\t"";\n'
