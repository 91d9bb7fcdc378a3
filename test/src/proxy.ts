import { once } from 'node:events';
import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * What the proxy does to a command (a client packet with sequence id 0, i.e. after the
 * handshake) or to a new connection:
 * - `reset-before-answer`: forward the request, then reset the client before any byte of the answer
 *   (the story's moment: the server may well have executed it);
 * - `close-before-answer`: forward the request, then close the client cleanly (a FIN, no reset)
 *   before any byte of the answer, as a server closing the session on it would;
 * - `reset-after-bytes`: forward the request, pass `bytes` bytes of the answer, then reset;
 * - `delay`: hold the request for `ms` before forwarding it;
 * - `blackhole`: swallow the request and never answer;
 * - `close-on-connect`: accept a connection and close it at once;
 * - `hang-on-connect`: accept a connection and never answer (no greeting).
 */
export type FaultKind =
  'reset-before-answer' | 'close-before-answer' | 'reset-after-bytes' | 'delay' | 'blackhole' | 'close-on-connect' | 'hang-on-connect';

export interface FaultRule {
  readonly kind: FaultKind;
  /** Fire at most this many times. @default Infinity */
  readonly count?: number;
  /** Chance of firing for each eligible command or connection. @default 1 */
  readonly probability?: number;
  /** Only commands whose SQL text matches (COM_QUERY, COM_STMT_PREPARE). @default every command */
  readonly match?: RegExp | ((sql: string) => boolean);
  /** For `reset-after-bytes`. @default 1 */
  readonly bytes?: number;
  /** For `delay`. @default 100 */
  readonly ms?: number;
}

/** One fault the proxy injected. */
export interface FaultRecord {
  readonly kind: FaultKind;
  readonly connection: number;
  /** The first 200 characters of the statement, for commands. */
  readonly sql?: string;
}

const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const COM_STMT_EXECUTE = 0x17;
const faultable = new Set([COM_QUERY, COM_STMT_PREPARE, COM_STMT_EXECUTE]);
const connectKinds = new Set<FaultKind>(['close-on-connect', 'hang-on-connect']);

interface Armed extends FaultRule {
  left: number;
}

/** A fault-injecting TCP proxy in front of a MySQL server that understands packet boundaries. */
export class FaultProxy {
  readonly host = '127.0.0.1';
  readonly log: FaultRecord[] = [];
  /** Connections accepted and commands seen. */
  readonly counts = { connections: 0, commands: 0 };
  #rules: Armed[] = [];
  #sockets = new Set<Socket>();

  private constructor(
    readonly server: Server,
    readonly port: number,
    readonly target: { readonly host: string; readonly port: number },
  ) {}

  /** Starts a proxy on a free loopback port forwarding to `target`. */
  static async start(target: { readonly host: string; readonly port: number }): Promise<FaultProxy> {
    const ready: { proxy?: FaultProxy } = {};
    const server = createServer({ noDelay: true }, (client) => ready.proxy!.#accept(client));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (ready.proxy = new FaultProxy(server, (server.address() as { port: number }).port, target));
  }

  /** Arms a fault rule; rules are tried in the order they were added. */
  fault(rule: FaultRule): this {
    this.#rules.push({ ...rule, left: rule.count ?? Infinity });
    return this;
  }

  /** Disarms every rule. */
  clear(): this {
    this.#rules = [];
    return this;
  }

  /** How many faults of `kind` (or of any kind) fired so far. */
  fired(kind?: FaultKind): number {
    return kind ? this.log.filter((r) => r.kind === kind).length : this.log.length;
  }

  /** Resets every open connection, as a NAT or a failover would. */
  resetAll(): void {
    for (const socket of this.#sockets) socket.resetAndDestroy();
  }

  /** Stops accepting, resets every open connection. Idempotent. */
  async close(): Promise<void> {
    this.resetAll();
    if (!this.server.listening) return;
    const closed = once(this.server, 'close');
    this.server.close();
    await closed;
  }

  #track(socket: Socket): Socket {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    return socket;
  }

  #pick(eligible: (rule: Armed) => boolean): Armed | undefined {
    const rule = this.#rules.find((r) => r.left > 0 && eligible(r) && Math.random() < (r.probability ?? 1));
    if (rule) rule.left--;
    return rule;
  }

  #accept(client: Socket): void {
    const id = ++this.counts.connections;
    this.#track(client);
    const onConnect = this.#pick((r) => connectKinds.has(r.kind));
    if (onConnect) {
      this.log.push({ kind: onConnect.kind, connection: id });
      if (onConnect.kind === 'close-on-connect') client.destroy();
      return;
    }
    const server = this.#track(connect({ host: this.target.host, port: this.target.port, noDelay: true }));
    new Pair(this, id, client, server).start();
  }

  /** @internal Decides the fault for one command packet. */
  commandFault(connection: number, command: number, sql: string | undefined): Armed | undefined {
    this.counts.commands++;
    if (!faultable.has(command)) return undefined;
    const rule = this.#pick((r) => !connectKinds.has(r.kind) && matches(r, sql));
    if (rule) this.log.push({ kind: rule.kind, connection, ...(sql === undefined ? {} : { sql: sql.slice(0, 200) }) });
    return rule;
  }
}

function matches(rule: FaultRule, sql: string | undefined): boolean {
  if (!rule.match) return true;
  if (sql === undefined) return false;
  return typeof rule.match === 'function' ? rule.match(sql) : rule.match.test(sql);
}

/** One client connection and its server connection, with the client's packets parsed. */
class Pair {
  #pending = Buffer.alloc(0);
  #answerBudget = Infinity;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly proxy: FaultProxy,
    readonly id: number,
    readonly client: Socket,
    readonly server: Socket,
  ) {}

  start(): void {
    const { client, server } = this;
    client.on('data', (chunk: Buffer) => this.#fromClient(chunk));
    server.on('data', (chunk: Buffer) => this.#fromServer(chunk));
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
  }

  #fromServer(chunk: Buffer): void {
    if (this.#answerBudget === Infinity) return void this.client.write(chunk);
    const passed = chunk.subarray(0, this.#answerBudget);
    this.#answerBudget -= passed.length;
    if (passed.length > 0) this.client.write(passed);
    if (this.#answerBudget === 0) {
      this.#answerBudget = -1;
      this.client.resetAndDestroy();
      this.server.destroy();
    }
  }

  #fromClient(chunk: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= 4) {
      const length = this.#pending.readUIntLE(0, 3);
      if (this.#pending.length < 4 + length) return;
      const packet = this.#pending.subarray(0, 4 + length);
      this.#pending = this.#pending.subarray(4 + length);
      // Packets go out in order; a delayed command holds the ones after it.
      this.#chain = this.#chain.then(() => this.#forward(packet));
    }
  }

  async #forward(packet: Buffer): Promise<void> {
    const sequence = packet[3];
    const command = packet[4]!;
    const rule = sequence === 0 ? this.proxy.commandFault(this.id, command, sqlOf(packet)) : undefined;
    if (!rule) return void this.server.write(packet);
    switch (rule.kind) {
      case 'reset-before-answer':
        this.server.end(packet);
        this.client.resetAndDestroy();
        return;
      case 'close-before-answer':
        this.server.removeAllListeners('data'); // the answer never reaches the client
        this.server.end(packet);
        this.client.end();
        return;
      case 'reset-after-bytes':
        this.#answerBudget = Math.max(1, rule.bytes ?? 1);
        return void this.server.write(packet);
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, rule.ms ?? 100));
        if (!this.server.destroyed) this.server.write(packet);
        return;
      case 'blackhole':
        this.#chain = new Promise(() => {});
        return;
      default:
        return void this.server.write(packet);
    }
  }
}

function sqlOf(packet: Buffer): string | undefined {
  const command = packet[4];
  if (command !== COM_QUERY && command !== COM_STMT_PREPARE) return undefined;
  return packet.subarray(5).toString('utf8');
}

/** Starts a {@link FaultProxy} in front of `target`. */
export function startFaultProxy(target: { readonly host: string; readonly port: number }): Promise<FaultProxy> {
  return FaultProxy.start(target);
}
