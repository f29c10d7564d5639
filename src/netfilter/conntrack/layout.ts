// Fixed-size record layout of the shared conntrack table (struct nf_conn split into typed-array fields).
// Three regions per entry: R (Int32: tuples, hash links, lifecycle), F (Float64: times and counters) and
// a versioned block V/VF (Int32/Float64: status, mark, timeout, tracker state) kept per version so that
// other vCPUs can read the previous version until a writer's finish time. Indices are field offsets.

/** R_STATE values: where a record is in its life. */
export const RecState = {
  FREE: 0,
  /** Allocated by init_conntrack, attached to one packet, in no hash chain. */
  UNCONFIRMED: 1,
  /** Inserted by __nf_conntrack_confirm. */
  CONFIRMED: 2,
  /** Killed (nf_ct_delete) but still linked until no viewer can see it any more. */
  DYING: 3,
} as const;

// --- R: Int32 fields per record ---------------------------------------------------------------------
export const R_STATE = 0;
export const R_PROTO = 1;
/** ORIGINAL tuple: src, dst, sport, dport (addresses stored as int32, read with >>> 0). */
export const R_OSRC = 2;
export const R_ODST = 3;
export const R_OSPORT = 4;
export const R_ODPORT = 5;
/** REPLY tuple. */
export const R_RSRC = 6;
export const R_RDST = 7;
export const R_RSPORT = 8;
export const R_RDPORT = 9;
/** Next node in the hash chain of the ORIGINAL / REPLY tuple (encoded link, 0 = end). */
export const R_NEXT_O = 10;
export const R_NEXT_R = 11;
/** Which tuples are hashed: bit 0 ORIGINAL, bit 1 REPLY (IPS_NAT_CLASH entries hash only REPLY). */
export const R_HASHED = 12;
/** By-source chain link (entry index + 1, 0 = end) and membership flag. */
export const R_BYSRC_NEXT = 13;
export const R_BYSRC_IN = 14;
/** vCPU of the packet that created the entry, and of the packet that killed it (-1 = none / everyone). */
export const R_CREATE_VCPU = 15;
export const R_KILL_VCPU = 16;
/** Newest saved older version: history slot + 1 (0 = none) and that slot's sequence number. */
export const R_HIST = 17;
export const R_HIST_SEQ = 18;
/** Free-list link (entry index + 1, 0 = end). */
export const R_FREE_NEXT = 19;
/** Bumped on every allocation, so a stale handle can be told from a reused record. */
export const R_GEN = 20;
/** The entry's conntrack zone, packed as Tuple.zone (zoneIdFor reads it per direction). */
export const R_ZONE = 21;
export const R_STRIDE = 24;

// --- F: Float64 fields per record -------------------------------------------------------------------
/** Start time s of the creating packet. */
export const F_CREATE_NS = 0;
/** Time from which other vCPUs see the entry (the confirming packet's finish time f). */
export const F_VISIBLE_NS = 1;
/** Time from which other vCPUs see the entry as deleted (the killing packet's f). */
export const F_KILL_NS = 2;
/** nf_conn_acct counters: packets and bytes per direction (never versioned: they only add up). */
export const F_PKTS_O = 3;
export const F_BYTES_O = 4;
export const F_PKTS_R = 5;
export const F_BYTES_R = 6;
export const F_STRIDE = 8;

// --- V: Int32 fields per version (slot 0..cap-1 = the entry's current version, then history slots) ----
export const V_STATUS = 0;
export const V_MARK = 1;
/** ip_ct_tcp: state, seen[2] (td_end, td_maxend, td_maxwin, td_maxack, td_scale, flags), retrans, last_*. */
export const V_TCP_STATE = 2;
/** seen[dir] block starts at V_SEEN + dir * SEEN_STRIDE. */
export const V_SEEN = 3;
export const SEEN_END = 0;
export const SEEN_MAXEND = 1;
export const SEEN_MAXWIN = 2;
export const SEEN_MAXACK = 3;
export const SEEN_SCALE = 4;
export const SEEN_FLAGS = 5;
export const SEEN_STRIDE = 6;
export const V_RETRANS = 15;
export const V_LAST_DIR = 16;
export const V_LAST_INDEX = 17;
export const V_LAST_SEQ = 18;
export const V_LAST_ACK = 19;
export const V_LAST_END = 20;
export const V_LAST_WIN = 21;
export const V_LAST_WSCALE = 22;
export const V_LAST_FLAGS = 23;
/** vCPU of the packet that wrote this version. */
export const V_WRITER = 24;
/** History slots only: older version (slot + 1), its sequence number, this slot's sequence number. */
export const V_H_PREV = 25;
export const V_H_PREV_SEQ = 26;
export const V_H_SEQ = 27;
/** First and one-past-last field copied between versions. */
export const V_COPY_END = 25;
export const V_STRIDE = 28;

// --- VF: Float64 fields per version -------------------------------------------------------------------
/**
 * Timeout: absolute expiry time (ns) once confirmed; the relative timeout (ns) while unconfirmed, as the
 * kernel keeps ct->timeout relative until __nf_conntrack_confirm adds the confirmation time.
 */
export const VF_DEADLINE = 0;
/** UDP/GRE ct->proto.udp.stream_ts: absolute time after which a replied flow counts as a stream. */
export const VF_STREAM_TS = 1;
/** Time from which other vCPUs see this version (the writer's finish time). */
export const VF_VISIBLE = 2;
/** History slots only: time after which no viewer needs this version (its successor's VF_VISIBLE). */
export const VF_H_EXPIRE = 3;
export const VF_COPY_END = 3;
export const VF_STRIDE = 4;

/** ip_ct_tcp_state flags (nf_conntrack_tcp.h) and IP_CT_EXP_CHALLENGE_ACK / IP_CT_TCP_SIMULTANEOUS_OPEN. */
export const TcpFlagBit = {
  WINDOW_SCALE: 0x01,
  SACK_PERM: 0x02,
  CLOSE_INIT: 0x04,
  BE_LIBERAL: 0x08,
  DATA_UNACKNOWLEDGED: 0x10,
  MAXACK_SET: 0x20,
  EXP_CHALLENGE_ACK: 0x40,
  SIMULTANEOUS_OPEN: 0x80,
} as const;

/** Encoded hash-chain link for entry `idx` hashed under direction `dir` (0 = end of chain). */
export function encodeLink(idx: number, dir: number): number {
  return ((idx << 1) | dir) + 1;
}
