// The interactive prompts (@inquirer/prompts), loaded only when a command really asks something, drawn
// on stderr so stdout stays data, with Ctrl-C turned into CancelledError (exit 130).
import type { Readable } from 'node:stream';
import { CancelledError } from './errors.js';
import type { IO } from './io.js';
import { sanitize } from './render/sanitize.js';

export interface Choice<T> {
  name: string;
  value: T;
  checked?: boolean;
}

export interface Prompts {
  text(message: string, opts?: { default?: string; validate?: (value: string) => string | undefined }): Promise<string>;
  confirm(message: string, defaultAnswer: boolean): Promise<boolean>;
  checkbox<T>(message: string, choices: readonly Choice<T>[]): Promise<T[]>;
  /** A secret: typed characters shown as `*`, as etcdctl asks for a password. */
  password(message: string): Promise<string>;
}

/**
 * Prompts need a person: keys come from stdin, and the prompt (drawn on stderr) must be seen. stdout
 * may be piped (`deregister -o json > removed.json` still asks).
 */
export function canPrompt(io: IO): boolean {
  return io.stdinIsTTY && io.stderrIsTTY;
}

function cancelled(e: unknown): never {
  const name = (e as Error | undefined)?.name;
  if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') throw new CancelledError('cancelled at the prompt');
  throw e;
}

/**
 * Prompt texts quote service names, node ids and keys read from etcd: they are shown through the
 * sanitiser, as everything else is (the prompt paints them itself, so the escapes are not dimmed).
 */
export async function loadPrompts(io: IO): Promise<Prompts> {
  const { input, confirm, checkbox, password } = await import('@inquirer/prompts');
  const safe = (text: string): string => sanitize(text);
  const context = { input: io.stdin as Readable, output: io.stderr as unknown as NodeJS.WritableStream };
  return {
    text: (message, opts = {}) =>
      input(
        {
          message: safe(message),
          ...(opts.default !== undefined ? { default: opts.default } : {}),
          ...(opts.validate ? { validate: (v: string) => opts.validate!(v) ?? true } : {}),
        },
        context,
      ).catch(cancelled),
    confirm: (message, defaultAnswer) => confirm({ message: safe(message), default: defaultAnswer }, context).catch(cancelled),
    checkbox: <T>(message: string, choices: readonly Choice<T>[]) =>
      checkbox<T>({ message: safe(message), choices: choices.map((c) => ({ name: safe(c.name), value: c.value, checked: c.checked ?? false })), pageSize: 15, loop: false }, context).catch(cancelled),
    password: (message) => password({ message: safe(message), mask: '*' }, context).catch(cancelled),
  };
}
