import { describe, expect, it } from 'vitest';
import { failover, hedgeDelay, memberOrder, writeAttemptDeadline } from '../../src/registry/failover.js';

class Silence extends Error {}
const unanswered = (e: unknown): boolean => e instanceof Silence;
/** An attempt that never settles unless the request is settled (then it rejects, as a dropped request does). */
const silent = (signal: AbortSignal): Promise<never> => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Silence('dropped'))));

describe('failover', () => {
  it('asks the next member when one fails for want of an answer, and says who answered', async () => {
    const asked: number[] = [];
    const r = await failover(async (i) => {
      asked.push(i);
      if (i < 2) throw new Silence(`member ${i} refused`);
      return 'value';
    }, { members: 3, deadline: Date.now() + 1000, unanswered });
    expect(r).toEqual({ value: 'value', member: 2 });
    expect(asked).toEqual([0, 1, 2]);
  });

  it('stops at the first error that is an answer (auth, permission, not found)', async () => {
    const asked: number[] = [];
    await expect(failover(async (i) => {
      asked.push(i);
      throw new Error('permission denied');
    }, { members: 3, deadline: Date.now() + 1000, unanswered })).rejects.toThrow('permission denied');
    expect(asked).toEqual([0]);
  });

  it('reads: asks the next member while the first stays silent, and drops the silent one once answered', async () => {
    let dropped = false;
    const started = Date.now();
    const r = await failover((i, settled) => {
      if (i === 0) return silent(settled).catch((e) => { dropped = true; throw e; });
      return Promise.resolve(`from ${i}`);
    }, { members: 3, deadline: Date.now() + 5000, hedgeAfterMs: 50, unanswered });
    expect(r).toEqual({ value: 'from 1', member: 1 });
    expect(Date.now() - started).toBeLessThan(1000);
    await Promise.resolve();
    expect(dropped).toBe(true);
  });

  it('writes: never asks a second member while the first may still apply the request', async () => {
    const asked: number[] = [];
    const deadline = Date.now() + 150;
    await expect(failover((i) => {
      asked.push(i);
      // Silent until the deadline has passed (a few ms after it: a timer may fire a millisecond early by Date.now).
      return new Promise((_, reject) => setTimeout(() => reject(new Silence('timed out')), Math.max(0, deadline - Date.now()) + 5));
    }, { members: 3, deadline, unanswered })).rejects.toThrow('timed out');
    expect(asked).toEqual([0]);
  });

  it('rejects with the last "no answer" when every member failed', async () => {
    await expect(failover(async (i) => {
      throw new Silence(`member ${i}`);
    }, { members: 2, deadline: Date.now() + 1000, hedgeAfterMs: 10, unanswered })).rejects.toThrow('member 1');
  });

  it('orders members from the one that answered last and hedges within bounds', () => {
    expect(memberOrder(1, 3)).toEqual([1, 2, 0]);
    expect(hedgeDelay(5000, 1)).toBeUndefined();
    expect(hedgeDelay(5000, 3)).toBe(1000);
    expect(hedgeDelay(200, 3)).toBe(100);
    expect(hedgeDelay(2000, 3)).toBe(500);
  });
});

describe('writeAttemptDeadline', () => {
  it('gives each member left an equal share of the time left, and the last member all of it', () => {
    const now = 1_000;
    expect(writeAttemptDeadline(now + 6_000, 3, now)).toBe(now + 2_000);
    expect(writeAttemptDeadline(now + 6_000, 2, now)).toBe(now + 3_000);
    expect(writeAttemptDeadline(now + 6_000, 1, now)).toBe(now + 6_000);
    // After a member used its share, the next ones split what is left.
    expect(writeAttemptDeadline(now + 6_000, 2, now + 2_000)).toBe(now + 4_000);
    // Past the deadline: no time at all, never a deadline later than the request's.
    expect(writeAttemptDeadline(now, 2, now + 500)).toBe(now);
  });
});
