/**
 * Kubernetes label selectors: `tier=frontend,env!=dev,key,!key,env in (a,b),env notin (c)`.
 * A pure parser and matcher, shared by the API (`?selector=`) and the CLI (`-l`), with the
 * Kubernetes semantics: requirements are ANDed, `!=` and `notin` also match when the key is
 * absent, an empty selector matches everything.
 */

export type Operator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists';

export interface Requirement {
  key: string;
  op: Operator;
  /** One value for `=`/`!=`, the set for `in`/`notin`, none for the existence checks. */
  values: string[];
}

export type Selector = readonly Requirement[];

export class SelectorError extends Error {
  readonly code = 'bad_selector';
  constructor(
    readonly selector: string,
    reason: string,
  ) {
    super(`selector "${selector}": ${reason}`);
    this.name = 'SelectorError';
  }
}

// Kubernetes: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

type Token = { kind: 'word'; text: string } | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2) as '==' | '!=' });
      i += 2;
    } else if ('=!(),'.includes(c)) {
      tokens.push({ kind: 'op', text: c as '=' | '!' | '(' | ')' | ',' });
      i++;
    } else {
      const m = /^[^\s=!(),]+/.exec(text.slice(i))!;
      tokens.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

/** Parses a selector; throws SelectorError (code `bad_selector`) naming what is wrong. */
export function parseSelector(text: string): Selector {
  const tokens = tokenize(text);
  const out: Requirement[] = [];
  let i = 0;
  const fail = (reason: string): never => {
    throw new SelectorError(text, reason);
  };
  const peek = (): Token | undefined => tokens[i];
  const isOp = (t: Token | undefined, op: string): boolean => t?.kind === 'op' && t.text === op;
  const word = (what: string): string => {
    const t = tokens[i++];
    if (t?.kind !== 'word') fail(`expected ${what}${t ? ` before "${t.text}"` : ' at the end'}`);
    return (t as { text: string }).text;
  };
  const key = (): string => {
    const k = word('a label key');
    checkKey(k, fail);
    return k;
  };
  // A value may be empty (`env=` matches an empty value), as in Kubernetes.
  const value = (): string => {
    const t = peek();
    if (t?.kind !== 'word') return '';
    i++;
    checkValue(t.text, fail);
    return t.text;
  };

  while (i < tokens.length) {
    if (isOp(peek(), '!')) {
      i++;
      out.push({ key: key(), op: '!exists', values: [] });
    } else {
      const k = key();
      const t = peek();
      if (t === undefined || isOp(t, ',')) {
        out.push({ key: k, op: 'exists', values: [] });
      } else if (isOp(t, '=') || isOp(t, '==') || isOp(t, '!=')) {
        i++;
        out.push({ key: k, op: t.text === '!=' ? '!=' : '=', values: [value()] });
      } else if (t.kind === 'word' && (t.text === 'in' || t.text === 'notin')) {
        i++;
        if (!isOp(tokens[i++], '(')) fail(`expected "(" after "${t.text}"`);
        const values: string[] = [];
        for (;;) {
          values.push(value());
          const next = tokens[i++];
          if (isOp(next, ')')) break;
          if (!isOp(next, ',')) fail(`expected "," or ")" in the value list of "${k}"`);
        }
        out.push({ key: k, op: t.text, values });
      } else {
        fail(`expected an operator (=, ==, !=, in, notin) after "${k}"`);
      }
    }
    if (i < tokens.length && !isOp(tokens[i++], ',')) fail(`expected "," between requirements`);
    if (isOp(tokens[i - 1], ',') && i === tokens.length) fail('trailing ","');
  }
  return out;
}

function checkKey(k: string, fail: (reason: string) => never): void {
  const slash = k.indexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (!NAME.test(name) || (prefix !== undefined && !PREFIX.test(prefix))) fail(`invalid label key "${k}"`);
}

function checkValue(v: string, fail: (reason: string) => never): void {
  if (!NAME.test(v)) fail(`invalid label value "${v}"`);
}

/** True when the labels satisfy every requirement. */
export function matches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels[r.key] : undefined;
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
      case 'in':
        return has && r.values.includes(v!);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(v!);
    }
  });
}

/** The canonical text of a selector (stable, for logs and round-trips). */
export function formatSelector(selector: Selector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case '!exists':
          return `!${r.key}`;
        case '=':
        case '!=':
          return `${r.key}${r.op}${r.values[0]}`;
        default:
          return `${r.key} ${r.op} (${r.values.join(',')})`;
      }
    })
    .join(',');
}
