export interface SpecProblem {
  /** Where, in the spec's own terms: `ports[1].container`, `containers[0].image`; '' for the document. */
  path: string;
  message: string;
}

/** A job spec that cannot be accepted; lists every problem found, never just the first. */
export class SpecError extends Error {
  readonly code = 'invalid_spec' as const;
  readonly problems: SpecProblem[];
  constructor(problems: SpecProblem[]) {
    super(`invalid job spec: ${problems.map((p) => `${p.path || '(document)'}: ${p.message}`).join('; ')}`);
    this.name = 'SpecError';
    this.problems = problems;
  }
}
