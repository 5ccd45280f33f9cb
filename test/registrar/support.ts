/** Helpers shared by the registrar tests: a catalog that can be taken down, a capturing logger. */
import { pino, type Logger } from 'pino';
import { CatalogError, type Catalog } from '../../src/catalog/types.js';

/** Wraps a real catalog; while `down` is set every call fails with code `unavailable`. */
export function flaky(catalog: Catalog): { catalog: Catalog; setDown(down: boolean): void } {
  let down = false;
  const proxy = new Proxy(catalog, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) => {
        if (down) return Promise.reject(new CatalogError('unavailable', 'catalog down (test)'));
        return value.apply(target, args);
      };
    },
  });
  return { catalog: proxy, setDown: (d) => (down = d) };
}

/** A debug-level logger whose records are kept in `records`. */
export function capturingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { logger, records };
}
