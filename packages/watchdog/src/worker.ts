// The watchdog thread: watches the main thread's heartbeat and probes its server from outside its
// event loop, so it sees a stall while it lasts, not after it ends.
import { parentPort, workerData } from 'node:worker_threads';
import { captureStack } from './capture.js';
import { endProcess } from './exit.js';
import { heartbeatAge } from './heartbeat.js';
import { readKernelState } from './kernel.js';
import { probeOnce } from './probe.js';
import type { FromWorker, ProbeTarget, StallEvent, ToWorker, WorkerConfig } from './protocol.js';
import { ReportWriter } from './report.js';
import { SpareFd } from './spare-fd.js';
import { reportBody } from './report-body.js';

const config = workerData as WorkerConfig;
const spare = new SpareFd();
const reports = new ReportWriter(config.reportDir, config.reportsPerHour, spare);
let target: ProbeTarget | undefined = config.probe?.target;
let state: 'healthy' | 'blocked' | 'deaf' = 'healthy';
let since = 0;
let handling = false;
let probing = false;
let failures = 0;
let firstFailureAt = 0;
let lastError: string | undefined;

const timers = [setInterval(checkHeartbeat, config.pollMs)];
if (config.probe) timers.push(setInterval(() => void runProbe(), config.probe.intervalMs));

parentPort!.on('message', (message: ToWorker) => {
  if (message.type === 'target') target = message.target;
  if (message.type === 'close') shutdown();
});

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

function checkHeartbeat(): void {
  if (handling) return;
  const age = heartbeatAge(config.heartbeat);
  if (age > config.stallMs && state === 'healthy') void onBlocked(age);
  else if (age <= config.stallMs && state === 'blocked') recover();
}

async function onBlocked(age: number): Promise<void> {
  state = 'blocked';
  const detectedAt = Date.now();
  since = detectedAt - age;
  handling = true;
  const stack = await captureStack(config.captureTimeoutMs);
  // Read after the attempt: a thread that did not pause is still where the kernel shows it.
  const kernel = stack ? undefined : spare.use(() => readKernelState());
  const how = stack ? 'inspector' : kernel?.syscall !== undefined ? 'syscall' : 'none';
  finish({ kind: 'blocked', detectedAt, durationMs: age, stack: stack ?? [], capture: how, kernel, action: config.action });
}

async function runProbe(): Promise<void> {
  if (!target || probing || handling || state === 'blocked') return;
  probing = true;
  const started = Date.now();
  const freshBefore = heartbeatAge(config.heartbeat) <= config.stallMs;
  const result = await probeOnce(target, config.probe!.timeoutMs);
  probing = false;
  if (result.ok) {
    failures = 0;
    if (state === 'deaf' && !handling) recover();
    return;
  }
  // Deaf means the loop kept beating through every failed probe; a stale heartbeat is `blocked`.
  if (!freshBefore || heartbeatAge(config.heartbeat) > config.stallMs || state !== 'healthy') return;
  if (failures++ === 0) firstFailureAt = started;
  lastError = result.error;
  if (failures >= config.probe!.failures) await onDeaf(target);
}

async function onDeaf(probed: ProbeTarget): Promise<void> {
  state = 'deaf';
  const detectedAt = Date.now();
  since = firstFailureAt;
  handling = true;
  let kick: StallEvent['kick'];
  if (config.kickSignal) {
    // The guard installed a no-op listener: epoll_wait returns EINTR and libuv's signal pipe wakes the loop.
    process.kill(process.pid, config.kickSignal);
    const again = await probeOnce(probed, config.probe!.timeoutMs);
    kick = { signal: config.kickSignal, helped: again.ok };
  }
  const event: StallEvent = {
    kind: 'deaf', detectedAt, durationMs: detectedAt - firstFailureAt, stack: [], capture: 'none', kernel: spare.use(() => readKernelState()),
    probeFailures: failures, probeError: lastError, kick, action: kick?.helped ? 'report' : config.action,
  };
  finish(event, probed.label);
  if (kick?.helped) recover();
}

function finish(event: StallEvent, probeLabel?: string): void {
  const reportPath = reports.write(event.kind, reportBody(event, { stallMs: config.stallMs, probe: probeLabel }));
  post({ type: 'stall', event: { ...event, reportPath } });
  handling = false;
  if (event.action === 'exit') endProcess(config.exit, event.kind === 'deaf', (code) => post({ type: 'exit', code }));
}

function recover(): void {
  post({ type: 'recover', event: { kind: state === 'deaf' ? 'deaf' : 'blocked', durationMs: Date.now() - since } });
  state = 'healthy';
  failures = 0;
}

function shutdown(): void {
  for (const timer of timers) clearInterval(timer);
  spare.close();
  process.exit(0);
}
