// `-m esp --espspi spi[:spi]` (libxt_esp.c; net/netfilter/xt_esp.c esp_mt: SPI = first 4 bytes of the ESP
// header, first fragments only, an unreadable header hot-dropped).

import { spiModule } from './spi-common.js';
import { IpProto } from '../../../decode/meta.js';

export const espMatch = spiModule('esp', 'espspi', IpProto.ESP, 0, 4, 8);
