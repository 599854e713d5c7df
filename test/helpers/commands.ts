// The commands the reliability suite runs, in one table: faults.test.ts and cluster.test.ts go through
// every entry, so a new command (register, deregister, watch, wait, check…) is covered by adding it here.

export interface CommandUnderTest {
  /** Name for test titles. */
  name: string;
  /** Arguments of a valid, one-shot run (global options are added by the tests). */
  args: string[];
  /** Options and values of this command that must be refused with exit 2: [arguments, what the message names]. */
  badArguments: [string[], RegExp][];
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
      [['list', 'a', 'b'], /too many arguments/],
      [['list', '-o', 'yaml'], /--output "yaml"/],
    ],
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
      [['get', 'a', 'b'], /too many arguments/],
    ],
  },
];

/** Bad global options, refused the same way before any command runs: [options, what the message names]. */
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
  [['-o', 'yaml'], /invalid --output "yaml"/],
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
  [['--cacert', '/nonexistent/ca.pem', '--endpoints', 'https://127.0.0.1:1'], /cannot read --cacert file/],
  [['--no-color=yes'], /--no-color/],
];
