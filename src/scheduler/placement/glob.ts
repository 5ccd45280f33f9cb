/** Shell-style globs over names: `*` any run, `?` one character; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** One RegExp matching any of `globs`, or undefined for an empty list (matches nothing). */
export function anyGlob(globs: readonly string[] | undefined): RegExp | undefined {
  if (!globs || globs.length === 0) return undefined;
  return new RegExp(globs.map((g) => globToRegExp(g).source).join('|'));
}
