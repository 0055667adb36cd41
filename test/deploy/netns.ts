/**
 * Hosts on one machine: each is a network namespace with its own address, plugged by a veth pair
 * into a bridge that lives in a namespace of its own. The machine itself (where the test client
 * runs) joins the bridge with one address too. Needs root and iproute2. Everything is named after
 * a random run id, so concurrent runs never collide, and `destroy()` removes all of it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

export class Network {
  readonly id = randomBytes(2).toString('hex');
  /** A /24 of 10/8 picked per run. */
  readonly prefix = `10.${100 + (parseInt(this.id.slice(0, 2), 16) % 150)}.${parseInt(this.id.slice(2), 16)}`;
  private readonly hosts: string[] = [];
  private readonly switchNs = `fn${this.id}-sw`;
  private readonly rootLink = `fn${this.id}r`;
  private built = false;

  /** The address of host number `n` (1 is the machine itself). */
  addr(n: number): string {
    return `${this.prefix}.${n}`;
  }

  create(): void {
    ip('netns', 'add', this.switchNs);
    this.built = true;
    ip('-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.switchNs, 'link', 'set', 'br0', 'up');
    ip('link', 'add', this.rootLink, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', this.switchNs);
    ip('-n', this.switchNs, 'link', 'set', 'uplink', 'master', 'br0', 'up');
    ip('addr', 'add', `${this.addr(1)}/24`, 'dev', this.rootLink);
    ip('link', 'set', this.rootLink, 'up');
  }

  /** A namespace named `name` at address `n`; returns the namespace name. */
  addHost(name: string, n: number): string {
    const ns = `fn${this.id}-${name}`;
    const port = `p${n}`;
    ip('netns', 'add', ns);
    this.hosts.push(ns);
    ip('-n', this.switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', this.switchNs, 'link', 'set', port, 'master', 'br0', 'up');
    ip('-n', ns, 'addr', 'add', `${this.addr(n)}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** Unplugs (or replugs) a host: its packets go nowhere, as when a machine loses its network. */
  setLink(ns: string, up: boolean): void {
    ip('-n', ns, 'link', 'set', 'eth0', up ? 'up' : 'down');
  }

  destroy(): void {
    if (!this.built) return;
    for (const ns of this.hosts) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* already gone */
      }
    }
    try {
      ip('link', 'del', this.rootLink);
    } catch {
      /* removed with the switch namespace */
    }
    try {
      ip('netns', 'del', this.switchNs);
    } catch {
      /* already gone */
    }
    this.built = false;
  }
}

/** A long-running process inside a namespace, logging to a file. */
export class HostProcess {
  child?: ChildProcess;
  constructor(
    readonly name: string,
    private readonly ns: string,
    private readonly argv: string[],
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {}

  start(): void {
    const fd = openSync(this.logFile, 'a');
    this.child = spawn('ip', ['netns', 'exec', this.ns, ...this.argv], { env: { ...process.env, ...this.env }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child.on('error', () => {});
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: the host dies without a word (no drain, no goodbye to the database). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited in time (nginx's workers only go with their master). */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
