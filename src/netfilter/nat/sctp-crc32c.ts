// SCTP's checksum (RFC 4960 / RFC 3309): CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) over the
// whole SCTP packet with its checksum field taken as zero, as the kernel's sctp_compute_cksum does when
// sctp_manip_pkt rewrites a port. The value is stored little-endian in the header (cpu_to_le32 on x86).

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** Standard CRC-32C of bytes [off, off+len) (init and final XOR 0xffffffff). HOT. */
export function crc32c(b: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  const end = off + len;
  for (let i = off; i < end; i++) c = TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * sctp_compute_cksum: CRC-32C of the SCTP packet at `off` (`len` bytes) with the 4 checksum bytes at
 * off+8 counted as zero. Returns the CRC value; callers store its bytes little-endian. HOT.
 */
export function sctpChecksum(b: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  const end = off + len;
  for (let i = off; i < end; i++) {
    const byte = i >= off + 8 && i < off + 12 ? 0 : b[i]!;
    c = TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}
