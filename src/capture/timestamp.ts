// Exact conversions between 64-bit timestamp ticks (pcapng: high and low 32-bit words in units of
// if_tsresol) and (seconds, nanoseconds). Nanosecond ticks since 1970 exceed 2^53, so the arithmetic is
// done in 16-bit limbs with plain numbers; only resolutions nobody uses (10^-12...) fall back to BigInt.

import type { CaptureRecord } from './types.js';

const TWO32 = 4294967296;

/** How a TsConverter divides: chosen once per interface. */
const Mode = {
  /** units per second 10^n, n <= 9: nanoseconds = remainder * 10^(9-n). */
  DECIMAL: 0,
  /** units per second 2^n, n <= 32. */
  BINARY: 1,
  /** anything else representable (10^10..10^18, 2^33..2^63): BigInt, allocating. */
  WIDE: 2,
} as const;

/** Decoded if_tsresol: units per second, or null when not representable. */
export function tsresolUnits(tsresol: number): { units: number; binary: boolean; exponent: number } | null {
  const exponent = tsresol & 0x7f;
  const binary = (tsresol & 0x80) !== 0;
  if (binary ? exponent > 63 : exponent > 18) return null;
  return { units: binary ? 2 ** exponent : 10 ** exponent, binary, exponent };
}

/** Converts ticks of one interface to (tsSec, tsNsec), adding if_tsoffset seconds. */
export class TsConverter {
  readonly unitsPerSec: number;
  readonly offsetSec: number;
  private readonly mode: number;
  /** DECIMAL: nanoseconds per unit. BINARY: exponent. */
  private readonly k: number;
  private readonly bigUnits: bigint;
  private readonly bigExponent: number;
  private readonly binary: boolean;

  /** `exponent`/`binary` as in if_tsresol (default 6, decimal: microseconds). */
  constructor(exponent = 6, binary = false, offsetSec = 0) {
    this.binary = binary;
    this.unitsPerSec = binary ? 2 ** exponent : 10 ** exponent;
    this.offsetSec = offsetSec;
    this.bigExponent = exponent;
    this.bigUnits = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
    if (!binary && exponent <= 9) {
      this.mode = Mode.DECIMAL;
      this.k = 10 ** (9 - exponent);
    } else if (binary && exponent <= 32) {
      this.mode = Mode.BINARY;
      this.k = exponent;
    } else {
      this.mode = Mode.WIDE;
      this.k = 0;
    }
  }

  /** Set rec.tsSec / rec.tsNsec from the 64-bit tick count hi:lo. HOT. */
  convert(hi: number, lo: number, rec: CaptureRecord): void {
    const d = this.unitsPerSec;
    let sec: number;
    let rem: number;
    if (this.mode === Mode.WIDE) {
      this.convertWide(hi, lo, rec);
      return;
    }
    if (hi < 0x200000) {
      // value < 2^53: one exact division
      const v = hi * TWO32 + lo;
      sec = Math.floor(v / d);
      rem = v - sec * d;
    } else {
      // long division in limbs of 32, 16 and 16 bits; every intermediate stays below d * 2^16 < 2^53
      const q1 = Math.floor(hi / d);
      let r = hi - q1 * d;
      let t = r * 65536 + (lo >>> 16);
      const q2 = Math.floor(t / d);
      r = t - q2 * d;
      t = r * 65536 + (lo & 0xffff);
      const q3 = Math.floor(t / d);
      rem = t - q3 * d;
      sec = q1 * TWO32 + q2 * 65536 + q3;
    }
    rec.tsSec = sec + this.offsetSec;
    if (this.mode === Mode.DECIMAL) {
      rec.tsNsec = rem * this.k;
    } else if (this.k <= 9) {
      // 1e9 = 2^9 * 1953125: exact for up to 9 binary digits
      rec.tsNsec = (rem * 1e9) / d;
    } else {
      // rem < 2^k, rem * 1953125 < 2^(k+21) <= 2^53: exact, then floor
      rec.tsNsec = Math.floor((rem * 1953125) / 2 ** (this.k - 9));
    }
  }

  private convertWide(hi: number, lo: number, rec: CaptureRecord): void {
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    const sec = v / this.bigUnits;
    const rem = v - sec * this.bigUnits;
    rec.tsSec = Number(sec) + this.offsetSec;
    rec.tsNsec = this.binary
      ? Number((rem * 1000000000n) >> BigInt(this.bigExponent))
      : Number((rem * 1000000000n) / this.bigUnits);
  }
}

/**
 * ticks = sec * unitsPerSec + sub, split into 32-bit words (out[0] high, out[1] low). unitsPerSec <= 2^30,
 * 0 <= sec < 2^32, 0 <= sub < unitsPerSec. Used by the pcapng writer. HOT.
 */
export function ticksHiLo(sec: number, unitsPerSec: number, sub: number, out: Uint32Array): void {
  const p1 = Math.floor(sec / 65536) * unitsPerSec; // < 2^46
  const p0 = (sec % 65536) * unitsPerSec + sub; // < 2^47
  const t = (p1 % 65536) * 65536 + (p0 % TWO32); // < 2^33
  out[1] = t % TWO32;
  out[0] = Math.floor(p1 / 65536) + Math.floor(p0 / TWO32) + Math.floor(t / TWO32);
}
