// Exact conversions between 64-bit timestamp ticks (pcapng: high and low 32-bit words in units of
// if_tsresol) and (seconds, nanoseconds). Nanosecond ticks since 1970 exceed 2^53, so the division is
// split with per-resolution constants into one exact division of a number below 2^49; only resolutions
// nobody uses (10^-10 and finer, 2^-33 and finer) fall back to BigInt.

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
  /** 2^32 = q32 * D + r32 and 2^16 * r32 = q16 * D + r16 (D = unitsPerSec <= 2^32). */
  private readonly q32: number;
  private readonly r32: number;
  private readonly q16: number;
  private readonly r16: number;

  /** `exponent`/`binary` as in if_tsresol (default 6, decimal: microseconds). */
  constructor(exponent = 6, binary = false, offsetSec = 0) {
    this.binary = binary;
    this.unitsPerSec = binary ? 2 ** exponent : 10 ** exponent;
    this.offsetSec = offsetSec;
    this.bigExponent = exponent;
    this.bigUnits = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
    const d = this.unitsPerSec;
    this.q32 = d <= TWO32 ? Math.floor(TWO32 / d) : 0;
    this.r32 = d <= TWO32 ? TWO32 - this.q32 * d : 0;
    this.q16 = d <= TWO32 ? Math.floor((this.r32 * 65536) / d) : 0;
    this.r16 = d <= TWO32 ? this.r32 * 65536 - this.q16 * d : 0;
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
    if (this.mode === Mode.WIDE) {
      this.convertWide(hi, lo, rec);
      return;
    }
    // hi:lo = D * (hi * q32 + h1 * Q16) + t with t = h1 * R16 + h0 * r32 + lo < 2^49: one exact division
    const d = this.unitsPerSec;
    const h1 = hi >>> 16;
    const t = h1 * this.r16 + (hi & 0xffff) * this.r32 + lo;
    const q = Math.floor(t / d);
    const rem = t - q * d;
    rec.tsSec = hi * this.q32 + h1 * this.q16 + q + this.offsetSec;
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
