export * from './types.js';
export { watch, sleep, type WatchOptions } from './watch.js';
