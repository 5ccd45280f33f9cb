/** The L4 cases on the JavaScript relay (Node sockets), forced with MAESTRO_NATIVE=0 as when the addon is missing. */
import { l4Cases } from './l4-cases.js';
import { l4DepartedCases } from './l4-departed.js';

process.env.MAESTRO_NATIVE = '0';
l4Cases('L4 js');
l4DepartedCases('L4 js');
