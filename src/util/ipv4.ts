// IPv4 addresses as unsigned 32-bit numbers (host order: 10.0.0.1 = 0x0a000001), prefixes and masks, and
// MAC addresses as two numbers (hi 16 bits, lo 32 bits). Formatting is for reports, never hot paths.

/** Parse dotted quad; returns -1 when malformed (no exceptions: callers attach their own location). */
export function parseIpv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function formatIpv4(v: number): string {
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Netmask for a prefix length 0..32 as unsigned 32-bit. */
export function prefixMask(len: number): number {
  return len <= 0 ? 0 : len >= 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
}

/** Prefix length of a contiguous mask, or -1 if the mask is not contiguous. */
export function maskToPrefix(mask: number): number {
  const m = mask >>> 0;
  const inv = ~m >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  let n = 0;
  for (let x = m; x !== 0; x = (x << 1) >>> 0) n++;
  return n;
}

/** Does `addr` fall inside `net/len`? */
export function inPrefix(addr: number, net: number, len: number): boolean {
  const m = prefixMask(len);
  return ((addr & m) >>> 0) === ((net & m) >>> 0);
}

/** Parse "aa:bb:cc:dd:ee:ff"; returns null when malformed. */
export function parseMac(s: string): { hi: number; lo: number } | null {
  const m = /^([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})$/.exec(s);
  if (!m) return null;
  const b = m.slice(1).map((x) => parseInt(x, 16));
  return { hi: (b[0]! << 8) | b[1]!, lo: ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0 };
}

/** A 48-bit MAC (16-bit high part, 32-bit low part) as one number, for maps and sets. */
export function macKey(hi: number, lo: number): number {
  return hi * 4294967296 + lo;
}

export function formatMac(hi: number, lo: number): string {
  const b = [(hi >>> 8) & 0xff, hi & 0xff, (lo >>> 24) & 0xff, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
