/** The page as served: its stylesheet and early script inline, allowed by exactly their hashes. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { inlinePage } from '../../src/ui/inline.js';
import { CSP, cspWith } from '../../src/ui/serve.js';

const sha = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;

describe('inlinePage', () => {
  const files = new Map([['style.css', 'body{margin:0}'], ['early.js', 'window.x=1;']]);

  it('inlines the named stylesheet and script, and hashes exactly what it inlined', () => {
    const page = inlinePage('<link rel="stylesheet" href="style.css"><script src="early.js"></script><script type="module" src="app.js"></script>', files);
    assert.equal(page.html, '<style>body{margin:0}</style><script>window.x=1;</script><script type="module" src="app.js"></script>');
    assert.deepEqual(page.styleHashes, [sha('body{margin:0}')]);
    assert.deepEqual(page.scriptHashes, [sha('window.x=1;')]);
  });

  it('leaves a name it does not have as it is', () => {
    const html = '<link rel="stylesheet" href="other.css"><script src="nope.js"></script>';
    assert.deepEqual(inlinePage(html, files), { html, scriptHashes: [], styleHashes: [] });
  });

  it('refuses a file that would end its own block early', () => {
    assert.throws(() => inlinePage('<script src="a.js"></script>', new Map([['a.js', 'x="</script><script>alert(1)"']])), /cannot be inlined/);
    assert.throws(() => inlinePage('<link rel="stylesheet" href="a.css">', new Map([['a.css', 'a{}</STYLE>']])), /cannot be inlined/);
  });

  it('adds the hashes to script-src and style-src only, keeping the rest of the CSP', () => {
    const csp = cspWith(["'sha256-A'"], ["'sha256-B'"]);
    assert.equal(csp, CSP.replace("script-src 'self'", "script-src 'self' 'sha256-A'").replace("style-src 'self'", "style-src 'self' 'sha256-B'"));
    assert.equal(cspWith([], []), CSP);
  });
});
