import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/index.js';
import { durationFlag, formatDuration, MAX_TIMER_MS, parseDuration } from '../../src/config/duration.js';
import { parseDuration as specDuration } from '../../src/scheduler/spec/index.js';

test('one grammar: what job specs take, flags take', () => {
  const good: [string, number][] = [['500ms', 500], ['1.5s', 1_500], ['1m30s', 90_000], ['2h', 7_200_000], ['1h1m1s1ms', 3_661_001], ['0', 0], ['0s', 0]];
  for (const [text, ms] of good) {
    assert.equal(parseDuration(text), ms, text);
    assert.equal(durationFlag('--x', text), ms, text);
  }
  // The scheduler's spec reads the same module, so a spec and a flag can never disagree.
  assert.equal(specDuration, parseDuration);
  assert.equal(parseDuration(250), 250);
});

test('what is not a duration: bare numbers, unknown units, signs, spaces, junk', () => {
  for (const text of ['', '30', '1.5', '5x', '1d', '-1s', '+1s', '5s ', ' 5s', '1m 30s', 's', '1.s', '.5s', '1e3ms', '5S', '١s']) {
    assert.equal(parseDuration(text), undefined, JSON.stringify(text));
    assert.throws(() => durationFlag('--resync', text), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `--resync: expected a duration like 1m30s, 500ms or 2h, got "${text}"`);
      return true;
    });
  }
  for (const v of [-1, NaN, Infinity, null, undefined, {}, ['5s']]) assert.equal(parseDuration(v), undefined, String(v));
  // A number too long for a string of digits to stay finite is not a duration either.
  assert.equal(parseDuration(`${'9'.repeat(400)}h`), undefined);
});

test('a flag longer than a timer can wait is refused, naming the limit', () => {
  assert.equal(durationFlag('--x', '596h'), 596 * 3_600_000);
  assert.throws(() => durationFlag('--resync', '597h'), /--resync: "597h" is longer than the most it takes/);
  assert.ok(MAX_TIMER_MS < 597 * 3_600_000);
});

test('formatDuration writes the shortest exact spelling, which parses back', () => {
  for (const ms of [1, 500, 1_000, 90_000, 120_000, 3_600_000, 3_661_001]) assert.equal(parseDuration(formatDuration(ms)), ms);
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(7_200_000), '2h');
});
