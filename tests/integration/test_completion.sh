#!/usr/bin/env bash
# test_completion.sh - `sluice completion bash|zsh`: the scripts parse, and
# completing through them offers every command of `sluice help` and, for
# each command, every option its `sluice help CMD` lists (both come from the
# same tables, through different code); option values (formats, files) and
# the environment names of ./sluice.yaml complete too. zsh is exercised with
# its completion builtins stubbed, so the test needs no terminal.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"

run "$SLUICE" completion bash; expect_rc 0 "completion bash"
cp "$TMP/out" "$TMP/sluice.bash"
bash -n "$TMP/sluice.bash" && ok || bad "the bash script does not parse"
run "$SLUICE" completion fish; expect_rc 2 "an unknown shell"; expect_err "expected the shell: bash or zsh" "an unknown shell"
run "$SLUICE" completion; expect_rc 2 "no shell"

# complete WORD...: what bash would offer for the last word of "sluice WORD..."
complete_bash() {
  bash -c 'source "$1"; shift; COMP_WORDS=(sluice "$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _sluice; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$TMP/sluice.bash" "$@"
}
commands=$("$SLUICE" help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1}')
[ "$(echo "$commands" | wc -l)" -ge 17 ] && ok || bad "sluice help lists the commands"
offered=$(complete_bash "")
for c in $commands; do
  echo "$offered" | grep -qx "$c" && ok || bad "bash: command $c not offered"
done
[ "$(complete_bash co | sort | tr '\n' ' ')" = "completion contract copy " ] && ok || bad "bash: 'co' completes to completion, contract and copy"

# options_of CMD: the long options `sluice help CMD` lists
options_of() { "$SLUICE" help "$1" | grep -oE '^  (-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'; }
for c in $commands; do
  got=$(complete_bash "$c" --)
  for o in $(options_of "$c"); do
    echo "$got" | grep -qx -- "$o" && ok || bad "bash: sluice $c: option $o not offered"
  done
done
[ "$(complete_bash inspect --format "" | tr '\n' ' ')" = "text json md " ] && ok || bad "bash: --format values"
[ "$(complete_bash diff --mode "" | tr '\n' ' ')" = "auto keyed keyless bisect " ] && ok || bad "bash: --mode values"
[ "$(complete_bash help cop)" = copy ] && ok || bad "bash: help completes commands"
[ "$(complete_bash completion "" | tr '\n' ' ')" = "bash zsh " ] && ok || bad "bash: completion completes shells"
# files after -C, environments of ./sluice.yaml (and files) for positional arguments
mkdir -p "$TMP/proj" && cd "$TMP/proj" || exit 1
cat >sluice.yaml <<'YAML'
project: p
environments:
  dev:
    url: "sqlite:dev.db"
  prod: { url: "postgres://db/app" }
migrations:
  dir: migrations
YAML
touch other.yaml
complete_bash copy -C o | grep -qx other.yaml && ok || bad "bash: -C completes files"
got=$(complete_bash copy "")
echo "$got" | grep -qx dev && echo "$got" | grep -qx prod && ok || bad "bash: environments offered: $got"
echo "$got" | grep -qx migrations && bad "bash: a key of another section was offered as an environment" || ok

# zsh, with its completion functions stubbed to print what they are given
if command -v zsh >/dev/null 2>&1; then
  run "$SLUICE" completion zsh; expect_rc 0 "completion zsh"
  cp "$TMP/out" "$TMP/_sluice"
  zsh -n "$TMP/_sluice" && ok || bad "the zsh script does not parse"
  complete_zsh() { # CURRENT WORD...: the specs _arguments or _describe would get
    zsh -c 'compdef() { : }; _describe() { print -rl -- ${(P)2}; }; _arguments() { print -rl -- "$@"; }
      source "$1"; CURRENT=$2; shift 2; words=(sluice "$@"); _sluice' _ "$TMP/_sluice" "$@"
  }
  got=$(complete_zsh 2 "")
  for c in $commands; do
    echo "$got" | grep -q "^$c:" && ok || bad "zsh: command $c not described"
  done
  for c in $commands; do
    got=$(complete_zsh 3 "$c" "")
    for o in $(options_of "$c"); do
      echo "$got" | grep -qE -- "(^|[{,)])$o([[,}]|$)" && ok || bad "zsh: sluice $c: option $o not in the specs"
    done
  done
  complete_zsh 3 inspect "" | grep -qF -- '--format[output format (default text)]:text|json|md:(text json md)' && ok ||
    bad "zsh: --format values"
  complete_zsh 3 copy "" | grep -qF -- "*--schema[" && ok || bad "zsh: a repeatable option is marked *"
else
  echo "SKIP: zsh is not installed (scripts/deps.sh test installs it)" >&2
fi
finish
