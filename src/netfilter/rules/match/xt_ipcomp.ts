// `-m ipcomp --ipcompspi cpi[:cpi]` (libxt_ipcomp.c; net/netfilter/xt_ipcomp.c comp_mt: the 16-bit CPI at
// byte 2 of the 4-byte IPComp header, first fragments only, an unreadable header hot-dropped).

import { spiModule } from './spi-common.js';

/** IPPROTO_COMP. */
export const IPPROTO_COMP = 108;

export const ipcompMatch = spiModule('ipcomp', 'ipcompspi', IPPROTO_COMP, 2, 2, 4);
