/** Job specs share the one duration grammar of Maestro (src/config/duration.ts). */
export { parseDuration, formatDuration } from '../../config/duration.js';
