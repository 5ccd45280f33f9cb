import { SPEC_LIMITS } from './limits.js';

export interface SpecProblem {
  /** Where, in the spec's own terms: `ports[1].container`, `containers[0].image`; '' for the document. */
  path: string;
  message: string;
}

/**
 * A job spec that cannot be accepted; lists every problem found, never just the first — up to
 * `SPEC_LIMITS.maxProblems`, then one last problem counting the rest, so a spec with thousands of
 * mistakes gets a short answer.
 */
export class SpecError extends Error {
  readonly code = 'invalid_spec' as const;
  readonly problems: SpecProblem[];
  /** `capped`: the list comes from another SpecError (e.g. across a thread) and is capped already. */
  constructor(problems: SpecProblem[], capped = false) {
    const max = capped ? Infinity : SPEC_LIMITS.maxProblems;
    const shown = (problems.length > max ? [...problems.slice(0, max), { path: '', message: `and ${problems.length - max} more problems` }] : problems).map(
      (p) => ({ path: clip(p.path), message: clip(p.message) }),
    );
    super(`invalid job spec: ${shown.map((p) => `${p.path || '(document)'}: ${p.message}`).join('; ')}`);
    this.name = 'SpecError';
    this.problems = shown;
  }
}

/** Paths echo the spec's own keys, which may be huge: a reply stays a few KB whatever was sent. */
function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
