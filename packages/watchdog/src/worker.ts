// The watchdog thread: watches the heartbeats of the main thread and of watched worker threads,
// and probes the server from outside its event loop, so it sees a stall while it lasts, not after.
// It sleeps until the next moment a stall could be due (Atomics.waitAsync with a timeout), never on
// a fixed poll.
import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { type TakenStack, ThreadCapture, describeStack } from './capture.js';
import { endProcess } from './exit.js';
import { readKernelState, threadAlive } from './kernel.js';
import { probeOnce } from './probe.js';
import {
  type FromWorker,
  type ProbeTarget,
  type StallEvent,
  type ThreadInfo,
  type ToWorker,
  type WorkerConfig,
  registryChannel,
} from './protocol.js';
import { ReportWriter } from './report.js';
import { reportBody } from './report-body.js';
import { type GcTime, SharedReader } from './shared.js';
import { SpareFd } from './spare-fd.js';

// In Node since 16; TypeScript's lib has it from es2024.
interface WaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}

interface Watched {
  readonly info: ThreadInfo;
  readonly reader: SharedReader;
  episode?: Episode;
}

interface Episode {
  readonly since: number;
  readonly beats: number;
  capture?: ThreadCapture;
  /** Settles once the stall event is final (posted), with it and its report file. */
  done?: Promise<Reported>;
}

/** A final stall event and its report file, which the GC pauses join once the thread is back. */
interface Reported {
  readonly event: StallEvent;
  readonly path: string | undefined;
}

const config = workerData as WorkerConfig;
const wake = new Int32Array(config.wake);
const spare = new SpareFd();
const reports = new ReportWriter(config.reportDir, config.reportsPerHour, spare, (path, error) =>
  post({
    type: 'warning',
    code: 'BULWARK_WATCHDOG_REPORT_NOT_WRITTEN',
    message: `watchdog report ${path} not written: ${(error as Error).message}`,
  }),
);
const threads = new Map<number, Watched>();
const registry = new BroadcastChannel(registryChannel);
let closed = false;
let target: ProbeTarget | undefined = config.probe?.target;

// The server's health, seen from outside.
const server = {
  deaf: false,
  since: 0,
  probing: false,
  nextAt: Date.now() + (config.probe?.intervalMs ?? 0),
  answered: 0,
  failures: 0,
  firstFailureAt: 0,
  lastError: '',
};

watch(config.main);
parentPort!.on('message', (message: ToWorker) => {
  if (message.type === 'target') target = message.target;
  if (message.type === 'close') shutdown();
  wakeUp();
});
registry.addEventListener('message', (event) => {
  const message = (event as MessageEvent).data as { type: string; thread?: ThreadInfo; threadId?: number };
  if (message.type === 'hello-thread') sayHello();
  if (message.type === 'thread') watch(message.thread!);
  if (message.type === 'bye') threads.delete(message.threadId!);
  wakeUp();
});
sayHello();
void loop();

function sayHello(): void {
  registry.postMessage({ type: 'hello', beatMs: config.beatMs, wake: config.wake });
}

function watch(info: ThreadInfo): void {
  threads.set(info.threadId, { info, reader: new SharedReader(info.shared) });
}

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

function wakeUp(): void {
  Atomics.add(wake, 0, 1);
  Atomics.notify(wake, 0);
}

async function loop(): Promise<void> {
  while (!closed) {
    const seen = Atomics.load(wake, 0);
    const now = Date.now();
    let next = now + 60_000;
    for (const thread of threads.values()) next = Math.min(next, check(thread, now));
    if (config.probe) next = Math.min(next, checkServer(now));
    const wait = (Atomics as unknown as WaitAsync).waitAsync(wake, 0, seen, Math.max(1, next - Date.now()));
    if (wait.async) await wait.value;
  }
}

/** Looks at one thread's heartbeat; returns when it next needs a look. */
function check(thread: Watched, now: number): number {
  const { reader, episode } = thread;
  if (episode) {
    // A worker thread that ended during its stall is over it too.
    const gone = thread.info.threadId !== 0 && !threadAlive(thread.info.tid);
    if (gone) threads.delete(thread.info.threadId);
    if (gone || reader.beats() !== episode.beats) void recover(thread);
    return now + config.beatMs;
  }
  const last = reader.lastBeat();
  // The thread stopped at most one beat after its last one: only then is a stall sure to be real.
  const due = last + config.stallMs + config.beatMs;
  if (now < due) return due;
  if (thread.info.threadId !== 0 && !threadAlive(thread.info.tid)) {
    threads.delete(thread.info.threadId);
    return now + 60_000;
  }
  thread.episode = { since: last, beats: reader.beats() };
  reader.wantWake(true);
  thread.episode.done = onBlocked(thread, thread.episode, now);
  return now + config.beatMs;
}

async function onBlocked(thread: Watched, episode: Episode, detectedAt: number): Promise<Reported> {
  const { info, reader } = thread;
  const base = {
    kind: 'blocked' as const,
    thread: { name: info.name, threadId: info.threadId },
    detectedAt,
    durationMs: detectedAt - episode.since,
    ...serving(reader),
    action: config.action,
  };
  // An exit with a code runs inside the pause that took the main thread's stack (see ThreadCapture).
  const hold = info.threadId === 0 && config.action === 'exit' && 'code' in config.exit;
  const capture = (episode.capture = new ThreadCapture(info.threadId, () => reader.beats() === episode.beats, hold));
  const quick = await Promise.race([
    capture.taken,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), config.captureTimeoutMs)),
  ]);
  if (quick) {
    const event: StallEvent = { ...base, capture: 'inspector', ...describeStack(quick.frames) };
    const path = finish(event, undefined, capture);
    capture.cancel(); // lets a held pause go, unless the exit runs in it
    return { event, path };
  }
  // Not paused in time: the thread is in native code or a syscall (a worker out of the inspector's
  // reach may be running JS: no claim of native code there). Report the kernel's view now; the
  // pause stays asked for and lands as the thread comes back to JS.
  const kernel = spare.use(() => readKernelState(info.tid));
  const where = kernel?.syscall !== undefined ? 'syscall' : kernel && capture.reachable ? 'native' : 'none';
  const event: StallEvent = { ...base, stack: [], capture: where, kernel };
  if (!capture.reachable) return { event, path: finish(event) };
  const reportPath = reports.write(fileKind(event), reportBody(event, { stallMs: config.stallMs, stackPending: true }));
  act(event, capture);
  const late = await capture.taken;
  const final = late ? withLateStack(event, late, episode.since) : event;
  if (late && reportPath) reports.update(reportPath, reportBody(final, { stallMs: config.stallMs }));
  post({ type: 'stall', event: { ...final, reportPath } });
  return { event: final, path: reportPath };
}

/**
 * A pause asked for while the thread is in native code lands once it is back in JS: on the first
 * function it calls, or in a loop of a function it was already in. A function just entered is
 * code that ran after the stall, so that frame is dropped; every frame under it was on the stack
 * during the stall.
 */
function withLateStack(event: StallEvent, taken: TakenStack, since: number): StallEvent {
  return { ...event, ...describeStack(taken.entered ? taken.frames.slice(1) : taken.frames), stackTakenAfterMs: taken.at - since };
}

function serving(reader: SharedReader): Pick<StallEvent, 'requests' | 'moreRequests' | 'state'> {
  const { requests, more } = reader.requests();
  return { requests, moreRequests: more || undefined, state: reader.state() };
}

async function recover(thread: Watched): Promise<void> {
  const episode = thread.episode!;
  const until = Date.now();
  thread.episode = undefined;
  thread.reader.wantWake(false);
  episode.capture?.cancel();
  const { event, path } = await episode.done!;
  const lastedMs = until - episode.since;
  const gc = await gcDuring(thread, episode.since, until);
  if (path) reports.update(path, reportBody(event, { stallMs: config.stallMs, over: { lastedMs, gc } }));
  post({
    type: 'recover',
    event: { kind: 'blocked', thread: { name: thread.info.name, threadId: thread.info.threadId }, durationMs: lastedMs, gc },
  });
}

/**
 * The GC pauses between `from` and `to`, once the thread has told them: Node reports a pause a
 * loop turn or two after it ended, so after two more beats (or a few beat periods at most).
 */
async function gcDuring(thread: Watched, from: number, to: number): Promise<GcTime | undefined> {
  const told = thread.reader.beats() + 2;
  for (let waits = 0; waits < 4 && thread.reader.beats() < told && threads.has(thread.info.threadId); waits++)
    await new Promise((resolve) => setTimeout(resolve, config.beatMs));
  return thread.reader.gcTime(from, to);
}

/** Decides whether a probe is due; returns when it next needs a look. */
function checkServer(now: number): number {
  const interval = config.probe!.intervalMs;
  if (now < server.nextAt) return server.nextAt;
  server.nextAt = now + interval;
  const main = threads.get(0)!;
  // A server that answered real requests in the interval is not deaf: no probe needed.
  const answered = main.reader.answered();
  if (answered !== server.answered) {
    server.answered = answered;
    onAnswer();
  } else if (target && !server.probing && !main.episode) void runProbe(target, main);
  return server.nextAt;
}

function onAnswer(): void {
  server.failures = 0;
  if (server.deaf) {
    server.deaf = false;
    post({ type: 'recover', event: { kind: 'deaf', thread: { name: 'main', threadId: 0 }, durationMs: Date.now() - server.since } });
  }
}

async function runProbe(probed: ProbeTarget, main: Watched): Promise<void> {
  server.probing = true;
  const started = Date.now();
  const beatsBefore = main.reader.beats();
  const result = await probeOnce(probed, config.probe!.timeoutMs);
  server.probing = false;
  // A server idle and healthy is probed rarely; one that failed a probe is asked again soon.
  if (!result.ok) server.nextAt = Math.min(server.nextAt, started + config.probe!.confirmMs);
  wakeUp();
  if (result.ok) return onAnswer();
  // Deaf means the loop kept beating through every failed probe; a stalled loop is `blocked`.
  if (main.episode || (main.reader.beats() === beatsBefore && Date.now() - started > config.beatMs * 2) || server.deaf) return;
  if (server.failures++ === 0) server.firstFailureAt = started;
  server.lastError = result.error;
  if (server.failures >= config.probe!.failures) await onDeaf(probed, main);
}

async function onDeaf(probed: ProbeTarget, main: Watched): Promise<void> {
  server.deaf = true;
  server.since = server.firstFailureAt;
  const detectedAt = Date.now();
  let kick: StallEvent['kick'];
  if (config.kickSignal) {
    // The guard installed a no-op listener: epoll_wait returns EINTR and libuv's signal pipe wakes the loop.
    process.kill(process.pid, config.kickSignal);
    const again = await probeOnce(probed, config.probe!.timeoutMs);
    kick = { signal: config.kickSignal, helped: again.ok };
  }
  const event: StallEvent = {
    kind: 'deaf',
    thread: { name: 'main', threadId: 0 },
    detectedAt,
    durationMs: detectedAt - server.firstFailureAt,
    stack: [],
    capture: 'none',
    kernel: spare.use(() => readKernelState(main.info.tid)),
    ...serving(main.reader),
    probeFailures: server.failures,
    probeError: server.lastError,
    kick,
    action: kick?.helped ? 'report' : config.action,
  };
  finish(event, probed.label);
  if (kick?.helped) onAnswer();
}

/** Writes the report, posts the stall event and acts; returns the report's path. */
function finish(event: StallEvent, probeLabel?: string, capture?: ThreadCapture): string | undefined {
  const reportPath = reports.write(fileKind(event), reportBody(event, { stallMs: config.stallMs, probe: probeLabel }));
  post({ type: 'stall', event: { ...event, reportPath } });
  act(event, capture);
  return reportPath;
}

/** The configured action; a stuck main thread is ended through its capture (inside the held pause). */
function act(event: StallEvent, capture?: ThreadCapture): void {
  if (event.action !== 'exit') return;
  const askMain = (code: number) => post({ type: 'exit', code });
  endProcess(config.exit, event.kind === 'deaf', askMain, capture && ((code) => capture.exit(code)));
}

function shutdown(): void {
  closed = true;
  for (const { episode } of threads.values()) episode?.capture?.cancel();
  registry.close();
  spare.close();
  process.exit(0);
}

// The main thread's reports keep their plain name; a worker thread's carry its threadId.
function fileKind(event: StallEvent): string {
  return event.thread.threadId === 0 ? event.kind : `${event.kind}-thread${event.thread.threadId}`;
}
