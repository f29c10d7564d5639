// The error base class of nfreplay: every failure a user can cause (a bad file, a bad rule set, an
// inconsistent snapshot, a bad option) is an NfError with a stable `code` and a location where one exists.
// Errors cross worker boundaries as plain records (toRecord/fromRecord); structured clone drops subclasses.

/** Where in an input a problem sits. Every field is optional; set what is known. */
export interface ErrorLocation {
  /** File the problem is in. */
  path?: string;
  /** Byte offset in that file (uncompressed offset for gzip input). */
  offset?: number;
  /** 0-based index of the packet record or block. */
  record?: number;
  /** 1-based line and column (text inputs: rules, snapshots). */
  line?: number;
  column?: number;
}

/** Plain, cloneable form of an NfError. */
export interface ErrorRecord extends ErrorLocation {
  code: string;
  message: string;
  name: string;
}

export class NfError extends Error implements ErrorLocation {
  readonly code: string;
  path?: string;
  offset?: number;
  record?: number;
  line?: number;
  column?: number;

  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(message);
    this.name = 'NfError';
    this.code = code;
    if (where.path !== undefined) this.path = where.path;
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.record !== undefined) this.record = where.record;
    if (where.line !== undefined) this.line = where.line;
    if (where.column !== undefined) this.column = where.column;
  }

  /** "path: offset 123, record 4: message" style text for terminals. */
  describe(): string {
    const at: string[] = [];
    if (this.line !== undefined) at.push(this.column !== undefined ? `line ${this.line}, column ${this.column}` : `line ${this.line}`);
    if (this.offset !== undefined) at.push(`byte offset ${this.offset}`);
    if (this.record !== undefined) at.push(`record ${this.record}`);
    const where = [this.path, at.join(', ')].filter((s) => s !== undefined && s !== '').join(': ');
    return where ? `${where}: ${this.message} [${this.code}]` : `${this.message} [${this.code}]`;
  }

  toRecord(): ErrorRecord {
    const r: ErrorRecord = { name: this.name, code: this.code, message: this.message };
    if (this.path !== undefined) r.path = this.path;
    if (this.offset !== undefined) r.offset = this.offset;
    if (this.record !== undefined) r.record = this.record;
    if (this.line !== undefined) r.line = this.line;
    if (this.column !== undefined) r.column = this.column;
    return r;
  }

  static fromRecord(r: ErrorRecord): NfError {
    const e = new NfError(r.code, r.message, r);
    e.name = r.name;
    return e;
  }
}

/** A capture file that cannot be read as it claims to be (bad magic, impossible lengths, truncation). */
export class CaptureFormatError extends NfError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, where);
    this.name = 'CaptureFormatError';
  }
}

/** A rule set problem; the parser collects many of these before failing (see rules/issues). */
export class RuleError extends NfError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, where);
    this.name = 'RuleError';
  }
}

/** A host snapshot that is unreadable or inconsistent (missing bridge, route via unknown device...). */
export class SnapshotError extends NfError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, where);
    this.name = 'SnapshotError';
  }
}

/** A command-line option or configuration value that is out of range or malformed. */
export class UsageError extends NfError {
  constructor(message: string, code = 'ERR_USAGE') {
    super(code, message);
    this.name = 'UsageError';
  }
}

export function isNfError(e: unknown): e is NfError {
  return e instanceof NfError;
}
