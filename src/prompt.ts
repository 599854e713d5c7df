// Prompts on a terminal. @inquirer/prompts is imported when a prompt is shown, never before, so that
// scripts and --help do not pay for it.
import { CancelledError } from './errors.js';
import type { IO } from './io.js';

/** A prompt needs a person: stdin to answer and stderr (where prompts go) to read the question. */
export function canPrompt(io: IO): boolean {
  return io.stdinIsTTY && io.stderrIsTTY;
}

/** Asks a yes/no question on stderr; Ctrl-C at the prompt is exit 130. */
export async function confirmOnTerminal(io: IO, message: string, defaultAnswer = false): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  try {
    return await confirm({ message, default: defaultAnswer }, { input: io.stdin, output: io.stderr as NodeJS.WritableStream });
  } catch (e) {
    if (e instanceof Error && e.name === 'ExitPromptError') throw new CancelledError();
    throw e;
  }
}
