// Outcomes the SMTP server already accepted are written as soon as the database answers again, never dropped;
// a real error of the statement is not waited out.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { OutcomeRecorder } from '../../../src/email/outcome-recorder.js';

const recorder = new OutcomeRecorder(pino({ level: 'silent' }), { initialDelayMs: 1, maxDelayMs: 2 });
const chunk = { dispatchId: 1, batchNo: 1, outcomes: 10 };

describe('OutcomeRecorder', () => {
  it('retries the write through a database outage until it is taken', async () => {
    let calls = 0;
    const written = await recorder.keep(chunk, async () => {
      calls++;
      if (calls <= 3) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return 'written';
    });
    expect(written).toBe('written');
    expect(calls).toBe(4);
  });

  it('throws an error that is not an outage at once', async () => {
    let calls = 0;
    await expect(recorder.keep(chunk, async () => {
      calls++;
      throw Object.assign(new Error('invalid input syntax'), { code: '22P02' });
    })).rejects.toThrow('invalid input syntax');
    expect(calls).toBe(1);
  });
});
