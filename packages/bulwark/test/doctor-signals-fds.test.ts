import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, ProcessNotFoundError, doctor } from '../dist/index.js';
import { Leftovers, examine, findings, statuses } from './doctor-helpers.js';

const left = new Leftovers();
afterEach(() => left.remove());

describe('bulwark doctor: SIGHUP', () => {
  it('flags a Node service with no SIGHUP handler: the first HUP would end it', async () => {
    const child = await left.start('service.cjs', { env: { HUP: 'none' } });
    const [sighup] = findings(await examine(child.pid), 'sighup');
    expect(sighup).toMatchObject({ status: 'hazard', summary: expect.stringContaining('exit 129') });
    expect(sighup!.evidence[0]).toMatch(new RegExp(`^/proc/${child.pid}/status: SigCgt [0-9a-f]{16}, SigIgn [0-9a-f]{16}`));
    expect(sighup!.fix).toContain('onHup');
    // The doctor only read: the child is still there, untouched.
    expect(child.running).toBe(true);
  });

  it('passes the same service once the hup guard is on', async () => {
    const child = await left.start('service.cjs', { env: { HUP: 'guard' } });
    expect(statuses(await examine(child.pid), 'sighup')).toEqual(['ok']);
  });
});

describe("bulwark doctor: fds against RLIMIT_NOFILE (New Year's Day)", () => {
  it('flags a service that leaked most of a low RLIMIT_NOFILE', async () => {
    const child = await left.start('service.cjs', { nofile: 100, env: { FDS: '70' } });
    const [fds] = findings(await examine(child.pid), 'fds');
    expect(fds).toMatchObject({
      status: 'hazard',
      summary: expect.stringMatching(/^\d+ of 100 fds open \(\d+% of the soft RLIMIT_NOFILE\)/),
    });
    expect(fds!.evidence[0]).toContain('Max open files 100 (soft) 100 (hard)');
  });

  it('passes the same service under the same limit when it holds few fds', async () => {
    const child = await left.start('service.cjs', { nofile: 100 });
    expect(statuses(await examine(child.pid), 'fds')).toEqual(['ok']);
  });

  it("reads a running leak budget's forecast: one fd per reload, and how many reloads are left", async () => {
    const child = await left.start('service.cjs', { nofile: 256, env: { HUP: 'budget', LEAKY_RELOADS: '12' } });
    const [fds] = findings(await examine(child.pid), 'fds');
    expect(fds).toMatchObject({ status: 'hazard', summary: expect.stringMatching(/^fd grows 1 per reload: \d+ reloads left$/) });
    expect(fds!.evidence[1]).toMatch(new RegExp(`bulwark-\\d+/hup-${child.pid}\\.json: 12 reload\\(s\\), fd at \\d+, \\+1/reload`));
  });

  it('passes a service whose leak budget found no leak, and names the budget as evidence', async () => {
    const child = await left.start('service.cjs', { env: { HUP: 'budget' } });
    const [fds] = findings(await examine(child.pid), 'fds');
    expect(fds).toMatchObject({ status: 'ok', summary: expect.stringContaining('leak budget running') });
  });
});

describe('bulwark doctor as a function', () => {
  it('rejects bad options naming the option, and an unknown pid with ERR_DOCTOR_PROCESS_NOT_FOUND', async () => {
    await expect(doctor({ sampleMs: -1 })).rejects.toThrow(InvalidOptionError);
    await expect(doctor({ sampleMs: -1 })).rejects.toThrow(/sampleMs/);
    await expect(doctor({ pids: [1.5] })).rejects.toThrow(/pids\[0\]/);
    await expect(doctor({ root: 'relative' })).rejects.toThrow(/root/);
    await expect(doctor({ pids: [2 ** 22 + 1] })).rejects.toMatchObject({ code: 'ERR_DOCTOR_PROCESS_NOT_FOUND' });
    await expect(doctor({ pids: [2 ** 22 + 1] })).rejects.toBeInstanceOf(ProcessNotFoundError);
  });

  it('holds nothing open once its report is in', async () => {
    const child = await left.start('service.cjs');
    const before = process.getActiveResourcesInfo().length;
    await examine(child.pid);
    // Nothing added: another test's handle may close meanwhile, so fewer is fine.
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(before);
    expect(existsSync(`/proc/${child.pid}`)).toBe(true);
  });
});
