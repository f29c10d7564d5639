// Shared command plumbing: run an action, turn failures into a clear message (or a JSON error object with
// --json) and an exit code. Exit codes: 0 ok, 1 the input was rejected (NfError), 2 usage, 70 internal.

import { NfError, UsageError } from '../util/errors.js';

export const ExitCode = { OK: 0, INPUT: 1, USAGE: 2, INTERNAL: 70 } as const;

export interface ActionOptions {
  json?: boolean;
}

/** Run a command action; never throws. */
export async function runAction(opts: ActionOptions, action: () => Promise<number | void> | number | void): Promise<void> {
  try {
    const code = await action();
    process.exitCode = typeof code === 'number' ? code : ExitCode.OK;
  } catch (e) {
    reportFailure(e, opts.json === true);
  }
}

export function reportFailure(e: unknown, json: boolean): void {
  if (e instanceof NfError) {
    if (json) {
      const r = e.toRecord();
      const error: Record<string, unknown> = { code: r.code, message: r.message };
      for (const k of ['path', 'offset', 'record', 'line', 'column'] as const) if (r[k] !== undefined) error[k] = r[k];
      process.stdout.write(JSON.stringify({ error }) + '\n');
    } else {
      process.stderr.write(`nfreplay: ${e.describe()}\n`);
    }
    process.exitCode = e instanceof UsageError ? ExitCode.USAGE : ExitCode.INPUT;
    return;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && typeof err.message === 'string' && err.syscall !== undefined) {
    // file-system errors (ENOENT, EACCES...) are the user's input problems, not crashes
    if (json) process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message, path: err.path } }) + '\n');
    else process.stderr.write(`nfreplay: ${err.message}\n`);
    process.exitCode = ExitCode.INPUT;
    return;
  }
  const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (json) process.stdout.write(JSON.stringify({ error: { code: 'ERR_INTERNAL', message: String(e instanceof Error ? e.message : e) } }) + '\n');
  process.stderr.write(`nfreplay: internal error: ${msg}\n`);
  process.exitCode = ExitCode.INTERNAL;
}

/** Parse a positive integer option or throw a UsageError naming it. */
export function intOption(name: string, value: string | undefined, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return dflt;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`option ${name} must be an integer, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`option ${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}
