import { type Finding, finding } from './finding.js';
import { procStatus } from './procfs.js';

const SIGHUP_BIT = 1n << 0n; // signal 1: bit 0 of the masks

/**
 * SIGHUP neither caught nor ignored: the kernel's default action ends the process (exit 129) on
 * the first HUP that logrotate's postrotate or a reload sends.
 */
export function checkSighup(pid: number): Finding {
  const status = procStatus(pid);
  const caught = BigInt(`0x${status.get('SigCgt') ?? '0'}`);
  const ignored = BigInt(`0x${status.get('SigIgn') ?? '0'}`);
  const evidence = [`/proc/${pid}/status: SigCgt ${status.get('SigCgt')}, SigIgn ${status.get('SigIgn')} (SIGHUP is bit 0)`];
  if (caught & SIGHUP_BIT) return finding('sighup', 'ok', 'SIGHUP is caught: a HUP runs its handler', evidence);
  if (ignored & SIGHUP_BIT)
    return finding('sighup', 'ok', 'SIGHUP is ignored (nohup?): a HUP neither kills it nor reloads it, so logs are not reopened', evidence);
  return finding(
    'sighup',
    'hazard',
    'SIGHUP is neither caught nor ignored: the first HUP (logrotate postrotate, a reload) ends it with exit 129',
    evidence,
    'catch it: onHup(reload) from @bulwark/hup, or BULWARK_HUP=1 node --import bulwark/register',
  );
}
