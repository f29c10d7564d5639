#!/usr/bin/env node
// Builds the malformed capture fixtures in captures/malformed/ byte by byte, with no dependency (not even
// nfreplay's own writers), so that each file holds exactly the defect captures/README.md describes.
// Deterministic: running it again reproduces the committed files bit for bit.
//
// Usage: node captures/make-malformed.mjs [OUTPUT_DIR]   (default: captures/malformed next to this script)

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'malformed');
fs.mkdirSync(outDir, { recursive: true });

// ---- byte helpers --------------------------------------------------------------------------------

const le32 = (v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const le16 = (v) => [v & 0xff, (v >>> 8) & 0xff];
const be16 = (v) => [(v >>> 8) & 0xff, v & 0xff];
const hex = (s) => s.replace(/\s+/g, '').match(/../g).map((h) => parseInt(h, 16));

/** RFC 1071 checksum of a byte array (odd length padded with a zero byte). */
function checksum(bytes) {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---- classic pcap (little-endian, microseconds) --------------------------------------------------

/** File header: magic a1b2c3d4 (written little-endian), version 2.4, snaplen, LINKTYPE. */
const pcapHeader = (snaplen, linkType = 1, magic = 0xa1b2c3d4) => [...le32(magic), ...le16(2), ...le16(4), ...le32(0), ...le32(0), ...le32(snaplen), ...le32(linkType)];
/** Record header + data. */
const pcapRecord = (sec, usec, data, origLen = data.length, caplen = data.length) => [...le32(sec), ...le32(usec), ...le32(caplen), ...le32(origLen), ...data];

// ---- frames ----------------------------------------------------------------------------------------

const SRC_MAC = hex('02 00 c6 33 64 0a');
const DST_MAC = hex('02 00 c6 33 64 01');
const SRC_IP = [198, 51, 100, 10];
const DST_IP = [198, 51, 100, 1];

/** Ethernet II header carrying IPv4. */
const ether = () => [...DST_MAC, ...SRC_MAC, ...be16(0x0800)];

/** IPv4 header; `ihl` in 32-bit words as written into the header (the bytes are always 20). */
function ipv4(proto, payloadLen, { ihl = 5, id = 0x1234 } = {}) {
  const h = [0x40 | ihl, 0x00, ...be16(20 + payloadLen), ...be16(id), ...be16(0x4000), 64, proto, 0, 0, ...SRC_IP, ...DST_IP];
  const c = checksum(h);
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return h;
}

/**
 * TCP segment with a correct checksum. `doff` is the data offset written into the header (in 32-bit
 * words); `options` are appended as given, whatever doff claims.
 */
function tcp({ sport = 40000, dport = 80, seq = 1000, ack = 0, flags = 0x02, doff, options = [], payload = [], window = 64240 }) {
  const d = doff ?? 5 + options.length / 4;
  const seg = [...be16(sport), ...be16(dport), ...be32(seq), ...be32(ack), d << 4, flags, ...be16(window), 0, 0, 0, 0, ...options, ...payload];
  const pseudo = [...SRC_IP, ...DST_IP, 0, 6, ...be16(seg.length)];
  const c = checksum([...pseudo, ...seg]);
  seg[16] = c >>> 8;
  seg[17] = c & 0xff;
  return seg;
}

function be32(v) {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** Ethernet + IPv4 + TCP frame. */
function tcpFrame(segOpts, ipOpts) {
  const seg = tcp(segOpts);
  return [...ether(), ...ipv4(6, seg.length, ipOpts), ...seg];
}

// ---- pcapng (little-endian) ------------------------------------------------------------------------

const pad4 = (a) => [...a, ...new Array((4 - (a.length % 4)) % 4).fill(0)];
const block = (type, body) => [...le32(type), ...le32(12 + body.length), ...body, ...le32(12 + body.length)];
const shb = () => block(0x0a0d0d0a, [...le32(0x1a2b3c4d), ...le16(1), ...le16(0), ...le32(0xffffffff), ...le32(0xffffffff)]);
const idb = (linkType, snaplen) => block(1, [...le16(linkType), ...le16(0), ...le32(snaplen)]);
/** EPB with a microsecond timestamp. */
function epb(ifId, usec, data) {
  const hi = Math.floor(usec / 4294967296);
  const lo = usec % 4294967296;
  return block(6, [...le32(ifId), ...le32(hi), ...le32(lo), ...le32(data.length), ...le32(data.length), ...pad4(data)]);
}

// ---- the fixtures ----------------------------------------------------------------------------------

const T0 = 1700000000; // 2023-11-14T22:13:20Z
const syn = () => tcpFrame({ options: hex('020405b4 0402 080a 00000001 00000000 01 030307') });

const fixtures = {
  // file-level defects
  'bad-magic.pcap': [...pcapHeader(65535, 1, 0xdeadbeef), ...pcapRecord(T0, 0, syn())],
  'caplen-above-snaplen.pcap': [...pcapHeader(64), ...pcapRecord(T0, 0, syn())],
  'caplen-too-big.pcap': [...pcapHeader(65535), ...pcapRecord(T0, 0, syn()), ...le32(T0), ...le32(1), ...le32(300000), ...le32(300000), ...syn()],
  'truncated-record.pcap': (() => {
    const whole = [...pcapHeader(65535), ...pcapRecord(T0, 0, syn()), ...pcapRecord(T0, 1000, syn())];
    return whole.slice(0, whole.length - 30);
  })(),
  'unknown-block.pcapng': [
    ...shb(),
    ...idb(1, 65535),
    ...block(0x0000abcd, pad4([...Buffer.from('an unknown block type: readers skip it')])),
    ...block(0x00000bad, [...le32(32473), ...pad4([...Buffer.from('custom block (PEN 32473)')])]),
    ...epb(0, T0 * 1e6, syn()),
  ],
  'block-length-mismatch.pcapng': (() => {
    const b = [...shb(), ...idb(1, 65535), ...epb(0, T0 * 1e6, syn())];
    b[b.length - 4] ^= 0x04; // trailing copy of the EPB length no longer equals the leading one
    return b;
  })(),
  'unknown-interface.pcapng': [...shb(), ...idb(1, 65535), ...epb(0, T0 * 1e6, syn()), ...epb(1, T0 * 1e6 + 1, syn())],
  'empty.pcap': [],

  // packet-level defects (the files themselves are well-formed)
  'ipv4-ihl-below-5.pcap': [
    ...pcapHeader(65535),
    ...pcapRecord(T0, 0, [...ether(), ...ipv4(17, 8 + 4, { ihl: 4 }), ...be16(5353), ...be16(5353), ...be16(12), 0, 0, ...hex('deadbeef')]),
  ],
  'tcp-doff-past-end.pcap': [...pcapHeader(65535), ...pcapRecord(T0, 0, tcpFrame({ flags: 0x18, ack: 1, doff: 15, payload: [] }))],
  'tcp-mss-bad-length.pcap': [...pcapHeader(65535), ...pcapRecord(T0, 0, tcpFrame({ options: hex('020305 00') }))],
};

for (const [name, bytes] of Object.entries(fixtures)) {
  fs.writeFileSync(path.join(outDir, name), Uint8Array.from(bytes));
  process.stdout.write(`${name}: ${bytes.length} bytes\n`);
}
