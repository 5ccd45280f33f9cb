export type { StateView, ViewChange } from './types.js';
export { createStateView, type IndexedStateView, type StateViewOptions } from './view.js';
export { ViewState } from './core.js';
