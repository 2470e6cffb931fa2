/**
 * `tsctl completion bash|zsh`: a shell script completing tsctl's commands, a group's subcommands
 * and each one's flags, generated from the same tables the parser reads (./parser.ts), so that a
 * new flag completes as soon as it parses. The script holds the whole tree: a Tab runs no tsctl.
 * It walks the words typed so far as the parser would: a flag taking a value skips that value; an
 * operand of a command whose flags end there (run IMAGE ...) ends the completion of tsctl's own words.
 */
import type { FlagSpec } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';

/** A command as completed: its name, its flags, its subcommands (a group, or the names `help` takes). */
export interface CompletionNode {
  name: string;
  flags: FlagSpec[];
  subcommands?: CompletionNode[];
  trailing?: boolean;
}

export const SHELLS = ['bash', 'zsh'] as const;

/** Each command's path ('' for tsctl itself, "images ls") with its node. */
function paths(root: CompletionNode): [string, CompletionNode][] {
  const all: [string, CompletionNode][] = [];
  const walk = (prefix: string, n: CompletionNode) => {
    all.push([prefix, n]);
    for (const s of n.subcommands ?? []) walk(prefix ? `${prefix} ${s.name}` : s.name, s);
  };
  walk('', root);
  return all;
}

const flagWords = (flags: FlagSpec[], valued: boolean) =>
  flags
    .filter((f) => !valued || f.kind !== 'bool')
    .flatMap((f) => [`--${f.name}`, ...(f.aliases ?? []).map((a) => `--${a}`), ...(f.short ? [`-${f.short}`] : [])]);

/** A shell function printing, for the command path in $1, the words `pick` gives of it. */
function lookup(fn: string, all: [string, CompletionNode][], pick: (n: CompletionNode) => string[]): string {
  const cases = all
    .map(([p, n]) => [p, pick(n).join(' ')])
    .filter(([, words]) => words !== '')
    .map(([p, words]) => `    '${p}') echo '${words}' ;;`);
  return `${fn}() {\n  case "$1" in\n${cases.join('\n')}\n  esac\n}\n`;
}

/** The part both shells share: the tree as lookups, and the walk over the words before the cursor. */
function common(root: CompletionNode, words: string, first: number): string {
  const all = paths(root);
  const trailing = all.filter(([, n]) => n.trailing).map(([p]) => `'${p}'`);
  return [
    lookup('__tsctl_subcommands', all, (n) => (n.subcommands ?? []).map((s) => s.name)),
    lookup('__tsctl_flags', all, (n) => flagWords(n.flags, false)),
    lookup('__tsctl_valued_flags', all, (n) => flagWords(n.flags, true)),
    `__tsctl_trailing() {\n  case "$1" in\n    ${trailing.join('|') || "''"}) return 0 ;;\n  esac\n  return 1\n}\n`,
    // Sets __tsctl_path to the command typed before the cursor word (at index $1); fails when the
    // cursor is past the operand that ends tsctl's own words, or on the value of a flag.
    `__tsctl_walk() {\n  local i w\n  __tsctl_path=''\n  for ((i = ${first}; i < $1; i++)); do\n    w="${words}[i]}"\n    if [[ $w == -* ]]; then\n      [[ $w != *=* && " $(__tsctl_valued_flags "$__tsctl_path") " == *" $w "* ]] && ((i++))\n      continue\n    fi\n    if [[ " $(__tsctl_subcommands "$__tsctl_path") " == *" $w "* ]]; then\n      __tsctl_path="\${__tsctl_path:+$__tsctl_path }$w"\n      continue\n    fi\n    __tsctl_trailing "$__tsctl_path" && return 1\n  done\n  (( i == $1 ))\n}\n`,
  ].join('\n');
}

function bash(root: CompletionNode): string {
  return `# bash completion for tsctl: source it, e.g. from ~/.bashrc: source <(tsctl completion bash)
${common(root, '${COMP_WORDS', 1)}
_tsctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" __tsctl_path
  COMPREPLY=()
  __tsctl_walk "$COMP_CWORD" || return 0
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(__tsctl_flags "$__tsctl_path")" -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -W "$(__tsctl_subcommands "$__tsctl_path")" -- "$cur"))
}
complete -o default -F _tsctl tsctl
`;
}

function zsh(root: CompletionNode): string {
  return `# zsh completion for tsctl: source it after compinit, e.g. from ~/.zshrc: source <(tsctl completion zsh)
${common(root, '${words', 2)}
_tsctl() {
  local cur="\${words[CURRENT]}" __tsctl_path
  __tsctl_walk "$CURRENT" || { _files; return; }
  if [[ $cur == -* ]]; then
    compadd -- \${=$(__tsctl_flags "$__tsctl_path")}
    return
  fi
  local subcommands="$(__tsctl_subcommands "$__tsctl_path")"
  if [[ -n $subcommands ]]; then compadd -- \${=subcommands}; else _files; fi
}
(( $+functions[compdef] )) || { autoload -Uz compinit && compinit -u; }
compdef _tsctl tsctl
`;
}

/** The completion script for `shell`. */
export function completionScript(shell: string, root: CompletionNode): string {
  if (shell === 'bash') return bash(root);
  if (shell === 'zsh') return zsh(root);
  throw new TsrunError(`completion: no script for ${JSON.stringify(shell.slice(0, 40))}: give bash or zsh`, { code: 'invalid-argument' });
}
