/**
 * The worker thread that parses job specs for the API (see spec-parser.ts): whatever a spec costs
 * to parse, it costs here, never on the event loop that DNS, the proxies, the scheduler and the
 * agent share.
 */
import { parentPort } from 'node:worker_threads';
import { parseJobSpec, SpecError, validateJob } from '../scheduler/spec/index.js';
import type { ParseReply, ParseRequest } from './spec-parser.js';

function parse(req: ParseRequest): ParseReply {
  try {
    if (req.format === 'yaml') return { id: req.id, ok: true, job: parseJobSpec(req.text) };
    let value: unknown;
    try {
      // V8's JSON.parse is linear and does not recurse on nesting; shape limits follow in validateJob.
      value = JSON.parse(req.text);
    } catch (err) {
      return { id: req.id, ok: false, code: 'bad_request', message: `body is not valid JSON: ${(err as Error).message}` };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { id: req.id, ok: false, code: 'bad_request', message: 'body must be a JSON object' };
    }
    return { id: req.id, ok: true, job: validateJob(value) };
  } catch (err) {
    if (err instanceof SpecError) return { id: req.id, ok: false, code: 'invalid_spec', message: err.message, problems: err.problems };
    return { id: req.id, ok: false, code: 'internal', message: (err as Error).stack ?? String(err) };
  }
}

parentPort!.on('message', (req: ParseRequest) => parentPort!.postMessage(parse(req)));
