import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSelector, matches, parseSelector } from '../../src/api/index.js';

describe('label selectors', () => {
  const labels = { tier: 'frontend', env: 'prod', 'app.kubernetes.io/name': 'web', empty: '' };

  it('matches each operator with Kubernetes semantics', () => {
    const table: [string, boolean][] = [
      ['', true],
      ['tier=frontend', true],
      ['tier==frontend', true],
      ['tier=backend', false],
      ['tier!=backend', true],
      ['tier!=frontend', false],
      ['missing!=x', true], // absent keys satisfy != and notin
      ['tier', true],
      ['missing', false],
      ['!missing', true],
      ['!tier', false],
      ['env in (dev,prod)', true],
      ['env in (dev)', false],
      ['missing in (a)', false],
      ['env notin (dev)', true],
      ['env notin (prod,dev)', false],
      ['missing notin (a)', true],
      ['tier=frontend,env!=dev', true],
      ['tier=frontend,env=dev', false],
      [' tier = frontend , env in ( prod ) ', true],
      ['app.kubernetes.io/name=web', true],
      ['empty=', true],
      ['tier=', false],
    ];
    for (const [text, want] of table) assert.equal(matches(parseSelector(text), labels), want, text);
  });

  it('rejects malformed selectors, naming the problem', () => {
    const table: [string, RegExp][] = [
      ['tier in (a', /expected "," or "\)"/],
      ['tier in a', /expected "\("/],
      ['tier=a b', /expected ","/],
      ['tier=a,', /trailing ","/],
      [',', /label key/],
      ['=a', /label key/],
      ['-bad=a', /invalid label key/],
      ['tier=bad value!', /expected ","|invalid/],
      ['tier=-x', /invalid label value/],
      ['tier > 3', /label key|operator/],
    ];
    for (const [text, re] of table) {
      assert.throws(() => parseSelector(text), (err: any) => err.code === 'bad_selector' && re.test(err.message), text);
    }
  });

  it('formats to a canonical text that parses back to the same selector', () => {
    const sel = parseSelector('tier = frontend,!legacy,env notin (dev, test),gpu,a!=b');
    const text = formatSelector(sel);
    assert.equal(text, 'tier=frontend,!legacy,env notin (dev,test),gpu,a!=b');
    assert.deepEqual(parseSelector(text), sel);
  });
});
