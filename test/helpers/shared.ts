// Locates ../shared (kernel oracle recordings and the public corpus). Suites that need it call
// describeShared(): when the folder is absent they announce it loudly and are skipped — unless
// NFREPLAY_REQUIRE_SHARED=1 (set by .ci/run), in which case the absence is a test failure.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = path.resolve(here, '..', '..');
export const SHARED_DIR = process.env.NFREPLAY_SHARED ?? path.resolve(PROJECT_ROOT, '..', 'shared');
export const CORPUS_DIR = path.join(SHARED_DIR, 'corpus');
export const ORACLE_DIR = path.join(SHARED_DIR, 'oracle');

export function sharedAvailable(): boolean {
  return fs.existsSync(path.join(SHARED_DIR, 'corpus')) && fs.existsSync(path.join(SHARED_DIR, 'oracle'));
}

/** describe() that needs ../shared; loud when it is missing. */
export function describeShared(name: string, body: () => void): void {
  if (sharedAvailable()) {
    describe(name, body);
    return;
  }
  const msg = `\n*** ${name}: ${SHARED_DIR} is missing — this suite needs the shared corpus/oracle and did NOT run ***\n`;
  process.stderr.write(msg);
  if (process.env.NFREPLAY_REQUIRE_SHARED === '1') {
    describe(name, () => {
      it('needs ../shared', () => {
        throw new Error(msg.trim());
      });
    });
  } else {
    describe.skip(`${name} [SKIPPED: ${SHARED_DIR} missing]`, body);
  }
}
