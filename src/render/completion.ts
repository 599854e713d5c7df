// Pure generators of shell completion scripts (bash, zsh, fish) from a description of the commands.
// The scripts complete commands, options, option values and operands; service names come from
// `micro-reg list -o names --timeout 1s` with the connection flags already on the command line.
// Service and context names are data (anyone who can write the registry chooses them): the scripts
// take each as one literal line, never evaluate it (no `compgen -W` over it, whose words bash expands,
// `$(…)` included), offer it quoted for the shell, and leave out lines holding a backslash, which is
// how `list -o names` shows a control character (a name with a newline is not a word one can type).
// One file over 400 lines on purpose: the three shells' scripts come from one spec and the same quoting
// rules, and a new command, option or value kind changes all three together.

/** `versions` and `nodes`: read from etcd for the service named on the line (`__complete versions SERVICE`). */
export type ValueCompletion = { kind: 'words'; words: string[] } | { kind: 'files' } | { kind: 'contexts' } | { kind: 'versions' } | { kind: 'nodes' } | { kind: 'free' };
export type OperandCompletion = { kind: 'services' } | { kind: 'contexts' } | { kind: 'words'; words: string[] } | { kind: 'none' };

export interface OptionSpec {
  /** e.g. ["-o", "--output"] */
  names: string[];
  description: string;
  /** Absent for a switch. */
  value?: ValueCompletion;
}

export interface CommandSpec {
  name: string;
  aliases: string[];
  description: string;
  options: OptionSpec[];
  subcommands: CommandSpec[];
  operand: OperandCompletion;
}

export interface CompletionSpec {
  program: string;
  options: OptionSpec[];
  commands: CommandSpec[];
  /** Options that say which etcd and registry to read (passed on to `list` for service names). */
  connectionOptions: string[];
}

export const shells = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof shells)[number];

/** A shell word in single quotes. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Node {
  /** Every spelling of the command path: "list" and "ls"; "config set-context". */
  patterns: string[];
  options: OptionSpec[];
  subcommands: CommandSpec[];
  operand: OperandCompletion;
}

function nodes(spec: CompletionSpec): Node[] {
  const out: Node[] = [{ patterns: [''], options: spec.options, subcommands: spec.commands, operand: { kind: 'none' } }];
  const walk = (cmds: readonly CommandSpec[], parents: string[]): void => {
    for (const c of cmds) {
      const names = [c.name, ...c.aliases];
      const patterns = parents.flatMap((p) => names.map((n) => (p === '' ? n : `${p} ${n}`)));
      out.push({ patterns, options: c.options, subcommands: c.subcommands, operand: c.operand });
      walk(c.subcommands, patterns);
    }
  };
  walk(spec.commands, ['']);
  return out;
}

/** One value completion per option name, across all commands (an option means the same everywhere). */
function valueCompletions(spec: CompletionSpec): Map<string, ValueCompletion> {
  const map = new Map<string, ValueCompletion>();
  const add = (options: readonly OptionSpec[]): void => {
    for (const o of options) for (const n of o.names) if (o.value && !map.has(n)) map.set(n, o.value);
  };
  add(spec.options);
  const walk = (cmds: readonly CommandSpec[]): void => {
    for (const c of cmds) {
      add(c.options);
      walk(c.subcommands);
    }
  };
  walk(spec.commands);
  return map;
}

const uniq = (xs: readonly string[]): string[] => [...new Set(xs)];

function caseFunction(name: string, comment: string, rows: [string[], string][]): string {
  const arms = rows.filter(([, out]) => out !== '').map(([patterns, out]) => `    ${patterns.map(sq).join('|')}) echo ${sq(out)} ;;`);
  return `# ${comment}\n${name}() {\n  case "$1" in\n${arms.join('\n')}\n  esac\n}\n`;
}

/** The helpers bash and zsh share: plain POSIX-ish functions that print words. */
function sharedHelpers(spec: CompletionSpec, fn: string): string {
  const all = nodes(spec);
  const values = valueCompletions(spec);
  const parts: string[] = [];
  parts.push(caseFunction(`${fn}_options`, 'The options of a command path ("" is the program).', all.map((n) => [n.patterns, uniq(n.options.flatMap((o) => o.names)).join(' ')])));
  parts.push(caseFunction(`${fn}_valued`, 'The options of a command path that take a value.', all.map((n) => [n.patterns, uniq(n.options.filter((o) => o.value).flatMap((o) => o.names)).join(' ')])));
  parts.push(caseFunction(`${fn}_subcommands`, 'The subcommands of a command path.', all.map((n) => [n.patterns, n.subcommands.map((c) => c.name).join(' ')])));

  const run = `# Runs ${spec.program} with the connection flags of the line being completed (in "conn"); quietly.
${fn}_run() {
  "$bin" "\${conn[@]}" "$@" 2>/dev/null
}
`;
  parts.push(run);

  const operandArms = all
    .filter((n) => n.operand.kind !== 'none')
    .map((n) => {
      const o = n.operand;
      const body =
        o.kind === 'services'
          ? `${fn}_run list -o names --timeout 1s`
          : o.kind === 'contexts'
            ? `${fn}_run config get-contexts -o names`
            : `printf '%s\\n' ${(o as { words: string[] }).words.map(sq).join(' ')}`;
      return `    ${n.patterns.map(sq).join('|')}) ${body} ;;`;
    });
  parts.push(`# The operands of a command path, one a line: service names (from etcd, 1s at most), contexts, or fixed words.
${fn}_operands() {
  case "$1" in
${operandArms.join('\n')}
  esac
}
`);

  // Values by command path and option ("$2|$1"): an option's values where a command differs from the
  // rest (`get -o` has no names), then the option's values anywhere. "$3" is the service on the line.
  const bodyOf = (v: ValueCompletion): string =>
    v.kind === 'words'
      ? `printf '%s\\n' ${v.words.map(sq).join(' ')}`
      : v.kind === 'contexts'
        ? `${fn}_run config get-contexts -o names`
        : v.kind === 'files'
          ? 'echo __files__'
          : v.kind === 'versions' || v.kind === 'nodes'
            ? `[ -n "$3" ] && ${fn}_run __complete ${v.kind} "$3" --timeout 1s`
            : '';
  const specific = new Map<string, string[]>();
  for (const n of all) {
    for (const o of n.options) {
      if (!o.value) continue;
      const body = bodyOf(o.value);
      for (const name of o.names) {
        const general = values.get(name);
        if (body === '' || (general && bodyOf(general) === body)) continue;
        specific.set(body, [...(specific.get(body) ?? []), ...n.patterns.map((p) => `${p}|${name}`)]);
      }
    }
  }
  const valueArms: string[] = [];
  for (const [body, keys] of specific) valueArms.push(`    ${uniq(keys).map(sq).join('|')}) ${body} ;;`);
  const byKind = new Map<string, string[]>();
  for (const [name, v] of values) {
    const body = bodyOf(v);
    if (body === '') continue;
    byKind.set(body, [...(byKind.get(body) ?? []), name]);
  }
  for (const [body, names] of byKind) valueArms.push(`    ${names.map((n) => `*${sq(`|${n}`)}`).join('|')}) ${body} ;;`);
  parts.push(`# The values of an option ("__files__": complete file names): $1 the option, $2 the command path, $3 the service.
${fn}_values() {
  case "$2|$1" in
${valueArms.join('\n')}
  esac
}
`);
  return parts.join('\n');
}

/** The loop both shells use to find the command path and the connection flags in words[first..last). */
function scanLoop(spec: CompletionSpec, fn: string, first: string, last: string): string {
  const switches = ['--insecure-skip-tls-verify'];
  const valued = spec.connectionOptions.filter((o) => !switches.includes(o));
  const withEquals = valued.map((o) => `${o}=*`);
  return `  for (( i = ${first}; i < ${last}; i++ )); do
    w="\${words[i]}"
    case "$w" in
      ${valued.join('|')})
        conn+=("$w" "\${words[i+1]}"); (( i++ )); continue ;;
      ${[...switches.filter((s) => spec.connectionOptions.includes(s)), ...withEquals].join('|') || '--never'})
        conn+=("$w"); continue ;;
    esac
    if [[ $w == -* ]]; then
      [[ " $(${fn}_valued "$cmdpath") " == *" $w "* ]] && (( i++ ))
      continue
    fi
    if [[ " $(${fn}_subcommands "$cmdpath") " == *" $w "* ]]; then
      cmdpath="\${cmdpath:+$cmdpath }$w"
    elif [[ -z $svc ]]; then
      svc="$w"
    fi
  done`;
}

function bash(spec: CompletionSpec): string {
  const fn = `_${spec.program.replace(/[^A-Za-z0-9]/g, '_')}`;
  return `# bash completion for ${spec.program}
# Install: add this line to ~/.bashrc
#   source <(${spec.program} completion bash)
# or save it once: ${spec.program} completion bash > ~/.local/share/bash-completion/completions/${spec.program}

${sharedHelpers(spec, `_${fn}`)}
# Offers each line of standard input that starts with $1 as one word, quoted for the shell (printf %q):
# never through compgen -W, which would expand $(…) and \`…\` in the words. Lines with a backslash are
# names holding control characters (shown escaped): they are not offered.
_${fn}_literal() {
  local candidate quoted
  while IFS= read -r candidate; do
    [[ -z $candidate || $candidate == *\\\\* || $candidate != "$1"* ]] && continue
    printf -v quoted '%q' "$candidate"
    COMPREPLY+=("$quoted")
  done
}

${fn}() {
  # bash splits words at ":" and "=" (COMP_WORDBREAKS): put host:port and --flag=value back together.
  local -a words=() conn=()
  local i w cmdpath="" svc="" bin
  for (( i = 0; i <= COMP_CWORD; i++ )); do
    w="\${COMP_WORDS[i]}"
    if (( i > 1 )) && [[ $w == [:=] || \${COMP_WORDS[i-1]} == [:=] ]]; then
      words[\${#words[@]}-1]+="$w"
    else
      words+=("$w")
    fi
  done
  local n=\${#words[@]}
  local cur="\${words[n-1]}" prev="\${words[n-2]}"
  bin="\${words[0]}"
  [[ $bin == "~/"* ]] && bin="$HOME/\${bin#"~/"}"
${scanLoop(spec, `_${fn}`, '1', 'n - 1')}
  COMPREPLY=()
  if (( n > 2 )) && [[ " $(_${fn}_valued "$cmdpath") " == *" $prev "* ]]; then
    local values
    values="$(_${fn}_values "$prev" "$cmdpath" "$svc")"
    if [[ $values == __files__ ]]; then
      compopt -o filenames 2>/dev/null
      COMPREPLY=( $(compgen -f -- "$cur") )
    elif [[ -n $values ]]; then
      _${fn}_literal "$cur" <<<"$values"
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$(_${fn}_options "$cmdpath")" -- "$cur") )
    return 0
  fi
  local subs
  subs="$(_${fn}_subcommands "$cmdpath")"
  if [[ -n $subs ]]; then
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
    return 0
  fi
  local operands
  operands="$(_${fn}_operands "$cmdpath")"
  [[ -n $operands ]] && _${fn}_literal "$cur" <<<"$operands"
  return 0
}

complete -F ${fn} ${spec.program}
`;
}

function zsh(spec: CompletionSpec): string {
  const fn = `_${spec.program.replace(/[^A-Za-z0-9]/g, '_')}`;
  return `#compdef ${spec.program}
# zsh completion for ${spec.program}
# Install: add this line to ~/.zshrc, after compinit
#   source <(${spec.program} completion zsh)
# or save it as a file named _${spec.program} in a directory of $fpath.

${sharedHelpers(spec, `_${fn}`)}
# Offers each line of $1 as one word: compadd quotes it for the command line; lines with a backslash
# are names holding control characters (shown escaped) and are not offered.
${fn}_literal() {
  local -a candidates
  candidates=( "\${(@f)1}" )
  candidates=( "\${(@)candidates:#*\\\\*}" )
  (( \${#candidates} )) && compadd -- "\${(@)candidates}"
}

${fn}() {
  local -a conn
  local i w cmdpath="" svc="" cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" bin="\${words[1]}"
  bin="\${~bin}"
${scanLoop(spec, `_${fn}`, '2', 'CURRENT')}
  if (( CURRENT > 2 )) && [[ " $(_${fn}_valued "$cmdpath") " == *" $prev "* ]]; then
    local values
    values="$(_${fn}_values "$prev" "$cmdpath" "$svc")"
    if [[ $values == __files__ ]]; then
      _files
    elif [[ -n $values ]]; then
      ${fn}_literal "$values"
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    compadd -- \${=$(_${fn}_options "$cmdpath")}
    return 0
  fi
  local subs
  subs="$(_${fn}_subcommands "$cmdpath")"
  if [[ -n $subs ]]; then
    compadd -- \${=subs}
    return 0
  fi
  local operands
  operands="$(_${fn}_operands "$cmdpath")"
  [[ -n $operands ]] && ${fn}_literal "$operands"
  return 0
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  # Autoloaded from $fpath: this file is the completion function.
  ${fn} "$@"
else
  compdef ${fn} ${spec.program}
fi
`;
}

const fishQuote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishOption(program: string, o: OptionSpec, condition: string | undefined, fn: string): string {
  const parts = [`complete -c ${program}`];
  if (condition) parts.push(`-n ${fishQuote(condition)}`);
  for (const n of o.names) parts.push(n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`);
  const v = o.value;
  if (v?.kind === 'words') parts.push('-x', `-a ${fishQuote(v.words.join(' '))}`);
  else if (v?.kind === 'contexts') parts.push('-x', `-a ${fishQuote(`(${fn}_names config get-contexts -o names)`)}`);
  // -k: versions in version order, as micro-reg sorts them, not fish's.
  else if (v?.kind === 'versions' || v?.kind === 'nodes') parts.push('-x', '-k', `-a ${fishQuote(`(${fn}_names __complete ${v.kind} (${fn}_service) --timeout 1s)`)}`);
  else if (v?.kind === 'files') parts.push('-r', '-F');
  else if (v?.kind === 'free') parts.push('-x');
  if (o.description) parts.push(`-d ${fishQuote(o.description)}`);
  return parts.join(' ');
}

function fish(spec: CompletionSpec): string {
  const p = spec.program;
  const fn = `__${p.replace(/[^A-Za-z0-9]/g, '_')}`;
  const valued = spec.connectionOptions.filter((o) => o !== '--insecure-skip-tls-verify');
  const allValued = uniq(nodes(spec).flatMap((n) => n.options.filter((o) => o.value).flatMap((o) => o.names)));
  const lines: string[] = [
    `# fish completion for ${p}`,
    `# Install: ${p} completion fish > ~/.config/fish/completions/${p}.fish`,
    '',
    `# The connection flags already on the command line, one a line, to pass on to ${p} list.`,
    `function ${fn}_conn`,
    '    set -l toks (commandline -opc)',
    '    set -e toks[1]',
    '    set -l n (count $toks)',
    '    set -l i 1',
    '    while test $i -le $n',
    '        switch $toks[$i]',
    `            case ${valued.join(' ')}`,
    '                if test $i -lt $n',
    '                    printf "%s\\n" $toks[$i] $toks[(math $i + 1)]',
    '                end',
    '                set i (math $i + 2)',
    '                continue',
    `            case --insecure-skip-tls-verify ${valued.map((v) => `'${v}=*'`).join(' ')}`,
    '                printf "%s\\n" $toks[$i]',
    '        end',
    '        set i (math $i + 1)',
    '    end',
    'end',
    '',
    `function ${fn}_run`,
    '    set -l bin (commandline -opc)[1]',
    `    $bin (${fn}_conn) $argv 2>/dev/null`,
    'end',
    '',
    '# Names are data: each line is one candidate, taken literally (fish escapes it when it inserts it);',
    '# lines with a backslash are names holding control characters (shown escaped) and are not offered.',
    `function ${fn}_names`,
    `    ${fn}_run $argv | string match -v -e -- '\\\\'`,
    'end',
    '',
    `# The service named on the line (the operand after the command), for --version and --node values.`,
    `function ${fn}_service`,
    '    set -l toks (commandline -opc)',
    '    set -e toks[1]',
    '    set -l words',
    '    set -l skip 0',
    '    for t in $toks',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $t',
    `            case ${allValued.join(' ')}`,
    '                set skip 1',
    "            case '-*'",
    '            case \'*\'',
    '                set -a words $t',
    '        end',
    '    end',
    '    if test (count $words) -ge 2',
    '        echo $words[2]',
    '    end',
    'end',
    '',
    `complete -c ${p} -f`,
  ];
  // A global option whose values differ by command (-o) is offered with the program's values only
  // before a command; each command offers its own.
  const valueKey = (o: OptionSpec): string => JSON.stringify(o.value ?? null);
  const globalByName = new Map(spec.options.flatMap((o) => o.names.map((n) => [n, valueKey(o)] as const)));
  const varying = new Set<string>();
  const scan = (cmds: readonly CommandSpec[]): void => {
    for (const c of cmds) {
      for (const o of c.options) for (const n of o.names) if (globalByName.has(n) && globalByName.get(n) !== valueKey(o)) varying.add(n);
      scan(c.subcommands);
    }
  };
  scan(spec.commands);
  for (const o of spec.options) lines.push(fishOption(p, o, o.names.some((n) => varying.has(n)) ? '__fish_use_subcommand' : undefined, fn));
  for (const c of spec.commands) lines.push(`complete -c ${p} -n '__fish_use_subcommand' -a ${c.name} -d ${fishQuote(c.description)}`);
  const globalNames = new Set(spec.options.flatMap((o) => o.names));
  const emit = (c: CommandSpec, seen: string, notSeen: string[]): void => {
    const cond = `__fish_seen_subcommand_from ${seen}${notSeen.length > 0 ? `; and not __fish_seen_subcommand_from ${notSeen.join(' ')}` : ''}`;
    for (const o of c.options) if (!o.names.every((n) => globalNames.has(n)) || o.names.some((n) => varying.has(n))) lines.push(fishOption(p, o, cond, fn));
    for (const s of c.subcommands) lines.push(`complete -c ${p} -n ${fishQuote(cond)} -a ${s.name} -d ${fishQuote(s.description)}`);
    const o = c.operand;
    const args = o.kind === 'services' ? `(${fn}_names list -o names --timeout 1s)` : o.kind === 'contexts' ? `(${fn}_names config get-contexts -o names)` : o.kind === 'words' ? o.words.join(' ') : undefined;
    if (args !== undefined && c.subcommands.length === 0) lines.push(`complete -c ${p} -n ${fishQuote(cond)} -a ${fishQuote(args)}`);
    for (const s of c.subcommands) emit(s, [s.name, ...s.aliases].join(' '), []);
  };
  for (const c of spec.commands) emit(c, [c.name, ...c.aliases].join(' '), c.subcommands.length > 0 ? c.subcommands.map((s) => s.name) : []);
  return `${lines.join('\n')}\n`;
}

export function renderCompletion(shell: Shell, spec: CompletionSpec): string {
  if (shell === 'bash') return bash(spec);
  if (shell === 'zsh') return zsh(spec);
  return fish(spec);
}
