// Reading the JSON files of a host snapshot (`ip -j ...`, `bridge -j ...`) with errors that name the file,
// the line and column of a syntax error, or the entry index and field of a bad value.

import * as fs from 'node:fs';
import { SnapshotError } from '../util/errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Read a file that must hold a JSON array of objects. Missing optional files give `null`. */
export function readJsonArray(path: string, optional: boolean): JsonObject[] | null {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' && optional) return null;
    if (err.code === 'ENOENT') throw new SnapshotError('ERR_SNAPSHOT_MISSING_FILE', `required snapshot file is missing`, { path });
    throw new SnapshotError('ERR_SNAPSHOT_READ', `cannot read: ${err.message}`, { path });
  }
  if (text.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    const where: { path: string; offset?: number; line?: number; column?: number } = { path };
    const pos = m ? Number(m[1]) : jsonErrorOffset(text);
    if (pos >= 0) {
      const before = text.slice(0, pos);
      where.offset = pos;
      where.line = before.split('\n').length;
      where.column = pos - before.lastIndexOf('\n');
    }
    throw new SnapshotError('ERR_SNAPSHOT_JSON', `invalid JSON: ${msg}`, where);
  }
  if (!Array.isArray(value)) throw new SnapshotError('ERR_SNAPSHOT_SHAPE', 'expected a JSON array at the top level', { path });
  value.forEach((v, i) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new SnapshotError('ERR_SNAPSHOT_SHAPE', `entry ${i} is not an object`, { path, record: i });
  });
  return value as JsonObject[];
}

/** Field accessors that raise located errors. */
export class EntryReader {
  constructor(
    readonly path: string,
    readonly index: number,
    readonly entry: JsonObject,
    readonly label: string,
  ) {}

  fail(field: string, what: string): never {
    throw new SnapshotError('ERR_SNAPSHOT_FIELD', `${this.label}: field "${field}" ${what}`, { path: this.path, record: this.index });
  }

  str(field: string): string {
    const v = this.entry[field];
    if (typeof v !== 'string') this.fail(field, v === undefined ? 'is missing' : 'must be a string');
    return v;
  }

  optStr(field: string): string | null {
    const v = this.entry[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(field, 'must be a string');
    return v;
  }

  num(field: string): number {
    const v = this.entry[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, v === undefined ? 'is missing' : 'must be a number');
    return v;
  }

  optNum(field: string, dflt: number): number {
    const v = this.entry[field];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, 'must be a number');
    return v;
  }

  optBool(field: string, dflt: boolean): boolean {
    const v = this.entry[field];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') this.fail(field, 'must be true or false');
    return v;
  }

  strList(field: string): string[] {
    const v = this.entry[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(field, 'must be a list of strings');
    return v as string[];
  }

  objList(field: string): JsonObject[] {
    const v = this.entry[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) this.fail(field, 'must be a list of objects');
    return v as JsonObject[];
  }

  obj(field: string): JsonObject | null {
    const v = this.entry[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(field, 'must be an object');
    return v;
  }
}

/**
 * Offset of the first JSON syntax error in `text` (-1 if none found). Only used to locate an error that
 * JSON.parse already reported, since Node 20's messages do not always carry a position.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const value = (): boolean => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return ++i > 0;
      for (;;) {
        ws();
        if (text[i] !== '"' || !str()) return false;
        ws();
        if (text[i] !== ':') return false;
        i++;
        if (!value()) return false;
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') return ++i > 0;
        return false;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return ++i > 0;
      for (;;) {
        if (!value()) return false;
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') return ++i > 0;
        return false;
      }
    }
    if (c === '"') return str();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  const str = (): boolean => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') return ++i > 0;
      if (c === '\\') i += 2;
      else if (c < ' ') return false;
      else i++;
    }
    return false;
  };
  if (!value()) return Math.min(i, text.length);
  ws();
  return i < text.length ? i : -1;
}
