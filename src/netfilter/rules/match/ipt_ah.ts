// `-m ah --ahspi spi[:spi]` (libipt_ah.c; net/ipv4/netfilter/ipt_ah.c ah_mt: SPI at byte 4 of the 12-byte
// authentication header, first fragments only, an unreadable header hot-dropped).

import { spiModule } from './spi-common.js';
import { IpProto } from '../../../decode/meta.js';

export const ahMatch = { ...spiModule('ah', 'ahspi', IpProto.AH, 4, 4, 12), family: 4 as const };
