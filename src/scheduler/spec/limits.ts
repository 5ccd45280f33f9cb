import { CST, Lexer } from 'yaml';
import type { SpecProblem } from './errors.js';

/**
 * How big and how deep a job spec may be. A real spec is a few hundred bytes, 5 levels deep, with
 * tens of keys; these bounds are far above that and low enough that the YAML library's costlier
 * steps (alias resolution walks the whole document per alias; duplicate-key checks compare every
 * key of a mapping with every other) stay within milliseconds. Checked before composing YAML or
 * validating a value, so an oversized document costs one linear pass and no more.
 */
export const SPEC_LIMITS = {
  /**
   * Bytes of spec text (UTF-8): a spec is a few KB, this leaves room for long env values. Parsing
   * YAML costs ~5-10 µs a byte here at worst (deep flow nesting), so this also bounds one parse.
   */
  maxBytes: 64 * 1024,
  /** Nested collections (mappings and lists); the document itself is depth 0. */
  maxDepth: 32,
  /** Scalars, aliases and collections in the whole document. */
  maxNodes: 10_000,
  /** Entries of one mapping or one list (env, labels, command …). */
  maxEntries: 1_000,
  /** YAML aliases (`*name`) in the document; expansion is bounded by yaml's maxAliasCount too. */
  maxAliases: 64,
  /** Problems listed in an error; the rest are counted in one last problem. */
  maxProblems: 20,
} as const;

export type SpecLimits = typeof SPEC_LIMITS;

/** Counts while walking; stops descending once a limit is passed, so hostile input costs one pass. */
class ShapeCounter {
  nodes = 0;
  aliases = 0;
  readonly problems: SpecProblem[] = [];
  private readonly reported = new Set<string>();

  constructor(private readonly limits: SpecLimits) {}

  /** False (and one problem, once per kind) when the walk must stop. */
  enter(depth: number): boolean {
    if (++this.nodes > this.limits.maxNodes) return this.fail('nodes', `more than ${this.limits.maxNodes} values in the document`);
    if (depth > this.limits.maxDepth) return this.fail('depth', `nested deeper than ${this.limits.maxDepth} levels`);
    return true;
  }

  entries(count: number): boolean {
    return count <= this.limits.maxEntries || this.fail('entries', `a mapping or list has more than ${this.limits.maxEntries} entries`);
  }

  alias(): boolean {
    return ++this.aliases <= this.limits.maxAliases || this.fail('aliases', `more than ${this.limits.maxAliases} aliases`);
  }

  get stopped(): boolean {
    return this.problems.length > 0;
  }

  private fail(kind: string, message: string): false {
    if (!this.reported.has(kind)) this.problems.push({ path: '', message: `too large: ${message}` });
    this.reported.add(kind);
    return false;
  }
}

/** Limit problems of the raw text, before any parsing. */
export function textProblems(text: string, limits: SpecLimits = SPEC_LIMITS): SpecProblem[] {
  // One UTF-8 byte per UTF-16 unit at least, up to 3: the cheap bound decides most cases.
  const bytes = text.length * 3 <= limits.maxBytes ? text.length : Buffer.byteLength(text, 'utf8');
  return bytes > limits.maxBytes ? [{ path: '', message: `too large: ${bytes} bytes (at most ${limits.maxBytes})` }] : [];
}

/**
 * Limit problems visible in yaml's token stream, which is cheap to make (a 64 KiB spec lexes in
 * tens of milliseconds) where the syntax tree is not: deep flow nesting (`[[[[`), compact nested
 * lists (`- - - -`), thousands of aliases or values each cost yaml's parser much more. Stops at the
 * first limit passed; what tokens cannot tell (block nesting, entries of block collections) the
 * tree walk below checks exactly.
 */
export function tokenProblems(text: string, limits: SpecLimits = SPEC_LIMITS): SpecProblem[] {
  const counter = new ShapeCounter(limits);
  let flow = 0;
  let indicators = 0;
  let documents = 0;
  for (const token of new Lexer().lex(text)) {
    switch (CST.tokenType(token)) {
      case 'flow-map-start':
      case 'flow-seq-start':
        counter.enter(++flow + indicators);
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        flow = Math.max(0, flow - 1);
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        // `- - - x` nests one list per indicator on the line.
        counter.enter(flow + ++indicators);
        break;
      case 'newline':
        indicators = 0;
        break;
      case 'alias':
        counter.alias();
        break;
      case 'scalar':
        counter.enter(flow + indicators);
        break;
      case 'doc-start':
        if (++documents > 1) counter.problems.push({ path: '', message: 'more than one document (---): send one job spec' });
        break;
      default:
        break;
    }
    if (counter.stopped) break;
  }
  return counter.problems;
}

/** Limit problems of a YAML concrete syntax tree (linear to build), before it is composed. */
export function cstProblems(tokens: readonly CST.Token[], limits: SpecLimits = SPEC_LIMITS): SpecProblem[] {
  const counter = new ShapeCounter(limits);
  const walk = (token: CST.Token | null | undefined, depth: number): void => {
    if (!token || counter.stopped) return;
    switch (token.type) {
      case 'document':
        return walk(token.value, depth);
      case 'alias':
        if (counter.enter(depth)) counter.alias();
        return;
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'block-scalar':
        counter.enter(depth);
        return;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (!counter.enter(depth + 1) || !counter.entries(token.items.length)) return;
        for (const item of token.items) {
          walk(item.key, depth + 1);
          walk(item.value, depth + 1);
        }
        return;
      default:
        return;
    }
  };
  for (const token of tokens) walk(token, 0);
  return counter.problems;
}

/** Limit problems of an already-parsed value (a JSON body, a caller's object). */
export function valueProblems(value: unknown, limits: SpecLimits = SPEC_LIMITS): SpecProblem[] {
  const counter = new ShapeCounter(limits);
  const walk = (v: unknown, depth: number): void => {
    if (counter.stopped) return;
    if (typeof v !== 'object' || v === null) return void counter.enter(depth);
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    if (!counter.enter(depth + 1) || !counter.entries(children.length)) return;
    for (const child of children) walk(child, depth + 1);
  };
  walk(value, 0);
  return counter.problems;
}
