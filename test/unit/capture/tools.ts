// Runs the independent tools (tshark, capinfos) that capture tests compare against. A missing tool is a
// test failure with a clear message, never a skip: CI installs them (.ci/run).

import { execFileSync } from 'node:child_process';

export function runTool(tool: string, args: string[]): string {
  try {
    return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`${tool} is not installed; this test compares against it (apt-get install tshark)`);
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

/** tshark -T fields over a file: one array of field values per packet (first occurrence, or all joined by ','). */
export function tsharkFields(file: string, fields: string[], occurrence: 'f' | 'a' = 'f'): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', `occurrence=${occurrence}`];
  for (const f of fields) args.push('-e', f);
  const out = runTool('tshark', args);
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}
