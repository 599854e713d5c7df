// The commands the reliability suite runs, in one table: faults.test.ts and cluster.test.ts go through
// every entry, so a new command (register, deregister, watch, wait, check…) is covered by adding it here.

export interface CommandUnderTest {
  /** Name for test titles. */
  name: string;
  /** Arguments of a valid, one-shot run (global options are added by the tests). */
  args: string[];
  /** Options and values of this command that must be refused with exit 2: [arguments, what the message names]. */
  badArguments: [string[], RegExp][];
  /**
   * Whether it talks to etcd. completion and config never connect: they must not wait for a dead etcd,
   * and they ignore the connection options (a bad --timeout or --endpoints is refused where it is used).
   */
  connects: boolean;
}

/** A service name no test registers. */
export const absentService = 'go.micro.srv.absent';

export const commandsUnderTest: CommandUnderTest[] = [
  {
    name: 'list',
    args: ['list'],
    badArguments: [
      [['list', '--selector'], /--selector.*argument missing/],
      [['list', '--selector', 'novalue'], /selector/],
      [['list', '--sort-by', '.a['], /invalid --sort-by "\.a\[": .*column 4/],
      [['list', '-o', 'jsonpath={.a'], /invalid jsonpath template: unclosed action/],
      [['list', '-o', 'xml'], /--output "xml"/],
    ],
    connects: true,
  },
  {
    name: 'get',
    args: ['get', absentService],
    badArguments: [
      [['get'], /missing required argument 'service'/],
      [['get', '..'], /service name "\.\."/],
      [['get', ''], /service name ""/],
      [['get', 'svc', '--version'], /--version.*argument missing/],
      [['get', 'svc', '-o', 'names'], /get does not support -o names/],
      [['get', 'a', 'b', '-o', 'custom-columns=NAME'], /invalid custom-columns: column "NAME"/],
      [['get', 'a', '-o', 'jsonpath'], /-o jsonpath takes a template/],
    ],
    connects: true,
  },
  {
    name: 'export',
    args: ['export'],
    badArguments: [
      [['export', '--revision', 'x'], /invalid --revision "x"/],
      [['export', '--revision', '0'], /invalid --revision "0"/],
      [['export', '-o', 'names'], /export does not support -o names/],
      [['export', 'a', 'b'], /too many arguments/],
    ],
    connects: true,
  },
  {
    name: 'register',
    args: ['register', '--name', absentService, '--address', '127.0.0.1:1', '--id', 'absent-1', '--ttl', '5'],
    badArguments: [
      [['register', '--bogus'], /unknown option '--bogus'/],
      [['register', '--name'], /--name.*argument missing/],
      [['register', '--name', 'a', '--address'], /--address.*argument missing/],
      [['register', '--name', 'a'], /missing --address/],
      [['register', '--address', '127.0.0.1:1'], /missing --name/],
      [['register', '--name', '..', '--address', '127.0.0.1:1'], /invalid --name "\.\."/],
      [['register', '--name', '', '--address', '127.0.0.1:1'], /invalid --name ""/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--id', '..'], /invalid node id "\.\."/],
      [['register', '--name', 'a', '--address', 'nohost'], /invalid --address "nohost"/],
      [['register', '--name', 'a', '--address', ''], /invalid --address ""/],
      [['register', '--name', 'a', '--address', '127.0.0.1:99999'], /invalid --address "127\.0\.0\.1:99999": the port must be 1-65535/],
      [['register', '--name', 'a', '--address', '127.0.0.1:0'], /invalid --address "127\.0\.0\.1:0"/],
      [['register', '--name', 'a', '--address', 'a b:1'], /invalid --address "a b:1"/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--ttl', '5x'], /invalid --ttl "5x"/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--ttl', '-1'], /invalid --ttl "-1"/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--ttl', '1.5'], /invalid --ttl "1\.5"/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--ttl', '99999999999'], /invalid --ttl "99999999999"/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--ttl'], /--ttl.*argument missing/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--ttl', '0', '--keepalive'], /--keepalive needs a lease/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--keepalive', '--dry-run'], /--keepalive and --dry-run exclude each other/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--meta', 'novalue'], /invalid --meta "novalue"/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '--meta', '=v'], /invalid --meta "=v"/],
      [['register', '--file', '/nonexistent/svc.json'], /no such file: \/nonexistent\/svc\.json/],
      [['register', '--file', '/nonexistent/svc.json', '--name', 'a'], /--file describes the whole service: drop --name/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', 'extra'], /too many arguments/],
      [['register', '--name', 'a', '--address', '127.0.0.1:1', '-o', 'names'], /register does not support -o names/],
      [['register', '--layout', 'domain', '--domain', '*', '--name', 'a', '--address', '127.0.0.1:1'], /domain "\*"/],
    ],
    connects: true,
  },
  {
    name: 'deregister',
    args: ['deregister', absentService, '--all', '--yes'],
    badArguments: [
      [['deregister'], /missing required argument 'service'/],
      [['deregister', 'svc', '--bogus'], /unknown option '--bogus'/],
      [['deregister', 'svc', '--node'], /--node.*argument missing/],
      [['deregister', 'svc', '--version'], /--version.*argument missing/],
      [['deregister', '..', '--all', '--yes'], /service name "\.\."/],
      [['deregister', '', '--all', '--yes'], /service name ""/],
      [['deregister', 'svc', '--all', '--node', 'x', '--yes'], /--all and --node exclude each other/],
      [['deregister', 'svc'], /say which nodes to remove/],
      [['deregister', 'svc', '--all'], /refusing to deregister without confirmation/],
      [['deregister', 'a', 'b'], /say which nodes to remove/],
      // After `--` every word is an operand, options too.
      // after --, --all is an operand (a service name), not the option
      [['--', 'deregister', 'svc', '--all'], /say which nodes to remove/],
      [['deregister', 'svc', '--all', '--yes', '-o', 'names'], /deregister does not support -o names/],
    ],
    connects: true,
  },
  {
    name: 'watch',
    // One-shot: it ends after one event or two seconds.
    args: ['watch', absentService, '--count', '1', '--for', '2s'],
    badArguments: [
      [['watch', '--bogus'], /unknown option '--bogus'/],
      [['watch', '--count'], /--count.*argument missing/],
      [['watch', '--count', '0'], /invalid --count "0"/],
      [['watch', '--count', 'x'], /invalid --count "x"/],
      [['watch', '--count', '-1'], /invalid --count "-1"/],
      [['watch', '--count', '1.5'], /invalid --count "1\.5"/],
      [['watch', '--for'], /--for.*argument missing/],
      [['watch', '--for', '5x'], /invalid --for "5x"/],
      [['watch', '--for', '-1s'], /invalid --for "-1s"/],
      [['watch', '--for', '0'], /invalid --for: it must be more than 0/],
      [['watch', '--for', ''], /invalid --for ""/],
      [['watch', '--selector', 'novalue'], /invalid --selector "novalue"/],
      [['watch', '--live'], /--live needs a terminal/],
      [['watch', '-o', 'names'], /watch does not support -o names/],
    ],
    connects: true,
  },
  {
    name: 'wait',
    args: ['wait', absentService, '--gone'],
    badArguments: [
      [['wait'], /missing required argument 'service'/],
      [['wait', 'svc', '--bogus'], /unknown option '--bogus'/],
      [['wait', '..'], /service name "\.\."/],
      [['wait', 'svc', '--nodes'], /--nodes.*argument missing/],
      [['wait', 'svc', '--nodes', '0'], /invalid --nodes "0"/],
      [['wait', 'svc', '--nodes', 'x'], /invalid --nodes "x"/],
      [['wait', 'svc', '--nodes', '-2'], /invalid --nodes "-2"/],
      [['wait', 'svc', '--gone', '--nodes', '2'], /--gone and --nodes do not go together/],
      [['wait', 'svc', '--selector', 'bad'], /invalid --selector "bad"/],
      [['wait', 'a', 'b', '-o', 'jsonpath={end}'], /\{end\} without \{range\} at column 1/],
      [['wait', 'svc', '-o', 'names'], /wait does not support -o names/],
    ],
    connects: true,
  },
  {
    name: 'check',
    args: ['check'],
    badArguments: [
      [['check', '--bogus'], /unknown option '--bogus'/],
      [['check', '..'], /service name "\.\."/],
      [['check', '--concurrency'], /--concurrency.*argument missing/],
      [['check', '--concurrency', '0'], /invalid --concurrency "0"/],
      [['check', '--concurrency', 'x'], /invalid --concurrency "x"/],
      [['check', '--concurrency', '5000'], /invalid --concurrency "5000"/],
      [['check', '--connect-timeout', '5x'], /invalid --connect-timeout "5x"/],
      [['check', '--connect-timeout', '-1s'], /invalid --connect-timeout "-1s"/],
      [['check', '--connect-timeout', '0'], /invalid --connect-timeout: it must be more than 0/],
      [['check', '--connect-timeout'], /--connect-timeout.*argument missing/],
      [['check', '--yes'], /--yes only goes with --prune/],
      [['check', '--prune'], /--prune asks for a confirmation, but there is no terminal/],
      [['check', 'a', 'b', '-o', 'custom-columns-file=/nonexistent/cols'], /cannot read the -o custom-columns-file file \/nonexistent\/cols: ENOENT/],
      [['check', '-o', 'names'], /check does not support -o names/],
    ],
    connects: true,
  },
  {
    name: 'completion',
    args: ['completion', 'bash'],
    badArguments: [
      [['completion'], /missing required argument 'shell'/],
      [['completion', 'tcsh'], /'tcsh' is invalid for argument 'shell'/],
      [['completion', 'bash', 'extra'], /too many arguments/],
      [['completion', '--bogus', 'bash'], /unknown option '--bogus'/],
    ],
    connects: false,
  },
  {
    name: 'config',
    args: ['config', 'get-contexts'],
    badArguments: [
      [['config'], /config needs a subcommand: get-contexts, current-context, use-context, set-context, delete-context/],
      [['config', 'bogus'], /unknown command 'bogus'/],
      [['config', 'get-contexts', '--bogus'], /unknown option '--bogus'/],
      [['config', 'get-contexts', '-o', 'xml'], /invalid --output "xml"/],
      [['config', 'use-context'], /missing required argument 'context'/],
      [['config', 'delete-context'], /missing required argument 'context'/],
      [['config', 'set-context'], /missing required argument 'context'/],
      [['config', 'set-context', ''], /invalid context name ""/],
      [['config', 'set-context', '../x'], /invalid context name "\.\.\/x"/],
      [['config', 'set-context', 'x', '--timeout', '5x'], /invalid context timeout "5x"/],
      [['config', 'set-context', 'x', '--timeout'], /--timeout.*argument missing/],
      [['config', 'set-context', 'x', '--endpoints', 'ftp://h:1'], /invalid endpoint "ftp:\/\/h:1"/],
      [['config', 'set-context', 'x', '--endpoints', 'h:99999'], /invalid endpoint "h:99999"/],
      [['config', 'set-context', 'x', '--layout', 'v9'], /invalid context layout "v9"/],
      [['config', 'set-context', 'x', '--user', ':pw'], /the user name is empty/],
      [['config', 'set-context', 'x', '--cert', 'c.pem'], /--cert and --key go together/],
      [['config', 'set-context', 'x', '--unset', 'bogus'], /invalid --unset "bogus"/],
    ],
    connects: false,
  },
];

/**
 * Bad global options, refused the same way before any command runs: [options, what the message names].
 * Commands that do not connect (completion, config) refuse those that commander itself refuses (unknown
 * options, missing values) and -o; the connection options they ignore (see `connects`).
 */
export const badGlobalOptions: [string[], RegExp][] = [
  [['--bogus'], /unknown option '--bogus'/],
  [['--timeout'], /--timeout.*argument missing/],
  [['--timeout', '5x'], /invalid --timeout "5x"/],
  [['--timeout', '-1s'], /invalid --timeout "-1s"/],
  [['--timeout', '0'], /invalid --timeout: it must be more than 0/],
  [['--timeout', ''], /invalid --timeout ""/],
  [['--timeout', '1e3'], /invalid --timeout "1e3"/],
  [['--timeout', '1000h'], /invalid --timeout "1000h": at most 24h/],
  [['--timeout', 'NaN'], /invalid --timeout "NaN"/],
  [['--layout', 'v4'], /invalid --layout "v4"/],
  [['--layout'], /--layout.*argument missing/],
  [['--layout', 'auto', '--prefix', '/x/'], /--prefix needs an explicit --layout/],
  [['--prefix', '/'], /invalid --prefix "\/"/],
  [['-o', 'xml'], /invalid --output "xml"/],
  [['--output'], /--output.*argument missing/],
  [['--endpoints'], /--endpoints.*argument missing/],
  [['--endpoints', 'ftp://h:1'], /invalid endpoint "ftp:\/\/h:1"/],
  [['--endpoints', 'h:99999'], /invalid endpoint "h:99999": the port must be 1-65535/],
  [['--endpoints', 'h:0'], /invalid endpoint "h:0"/],
  [['--endpoints', 'h:1/path'], /invalid endpoint "h:1\/path"/],
  [['--endpoints', 'a b:1'], /invalid endpoint "a b:1"/],
  [['--endpoints', ',,'], /no etcd endpoint given/],
  [['--endpoints', '-x'], /invalid endpoint "-x"/],
  [['--endpoints', 'http://a:1,https://b:1'], /mix http:\/\/ and https:\/\//],
  [['--user', ':pw'], /the user name is empty/],
  [['--password', 'x'], /--password needs --user/],
  [['--user', 'root', '--password', 'x', '--password-stdin'], /--password and --password-stdin cannot be used together/],
  [['--password-stdin'], /--password-stdin needs --user/],
  [['--cert', 'c.pem'], /--cert and --key go together/],
  [['--cacert', '/nonexistent/ca.pem', '--endpoints', 'https://127.0.0.1:1'], /no such file: \/nonexistent\/ca\.pem \(--cacert\)/],
  [['--no-color=yes'], /--no-color/],
];

/** Whether a bad global option is refused by every command, connecting or not. */
export function refusedByEveryCommand(message: RegExp): boolean {
  return /argument missing|unknown option|--output|--no-color/.test(message.source);
}
