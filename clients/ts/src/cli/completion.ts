/**
 * Shell completion scripts made from the program's own command tree, so a new
 * command or flag completes without editing a list: bash, and zsh through
 * bashcompinit.
 */
import type { Command } from 'commander';

/** The long flags of a command (e.g. "--all"). */
function flagsOf(cmd: Command): string[] {
  return cmd.options.map((o) => o.long).filter((l): l is string => l !== undefined);
}

/** The completion table: "" → top-level words, "<cmd>" / "<cmd> <sub>" → subcommands or flags. */
export function completionTable(program: Command): Map<string, string[]> {
  // --version is a top-level word only; every other global flag applies after any command too.
  const globals = flagsOf(program).filter((f) => f !== '--version');
  const table = new Map<string, string[]>();
  const top = program.commands.map((c) => c.name());
  table.set('', [...top, ...flagsOf(program)]);
  for (const c of program.commands) {
    if (c.commands.length > 0) {
      table.set(
        c.name(),
        c.commands.map((s) => s.name()),
      );
      for (const s of c.commands) table.set(`${c.name()} ${s.name()}`, [...flagsOf(s), ...globals]);
    } else {
      table.set(c.name(), [...flagsOf(c), ...globals]);
    }
  }
  return table;
}

/** A bash completion script for `name` (source it, or save it under bash-completion's completions directory). */
export function bashCompletion(program: Command, name = program.name()): string {
  const table = completionTable(program);
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  const groups = program.commands.filter((c) => c.commands.length > 0).map((c) => c.name());
  const cases = [...table.entries()]
    .filter(([k]) => k !== '')
    .map(([k, words]) => `    "${k}") words="${words.join(' ')}" ;;`)
    .join('\n');
  return `# ${name} completion (bash): source <(${name} completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local key="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    if [[ -z "$key" ]]; then key="$w"
    elif [[ " ${groups.join(' ')} " == *" $key "* && "$key" != *" "* ]]; then key="$key $w"
    fi
  done
  local words
  case "$key" in
    "") words="${table.get('')!.join(' ')}" ;;
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F ${fn} ${name}
`;
}

/** A zsh completion script: the bash one through bashcompinit. */
export function zshCompletion(program: Command, name = program.name()): string {
  return `# ${name} completion (zsh): source <(${name} completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program, name)}`;
}
