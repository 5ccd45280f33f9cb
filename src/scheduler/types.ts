/** The scheduler's view of the shared state is the neutral module's: src/state/. */
export * from '../state/index.js';
