/**
 * Part 5's measurements: resident memory from /proc/<pid>/status (VmRSS) and start time to ready.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SERVICES, waitFor, type Platform, type Service } from '@mediamagic/testing';
import { now } from './harness';

/** Resident memory of a process in MB (2^20 bytes); NaN when it is gone. */
export function rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export type ByService = Record<Service, number>;

export function rssOf(platform: Platform): ByService {
  return Object.fromEntries(SERVICES.map((service) => [service, rssMb(platform.pid(service) ?? -1)])) as ByService;
}

/** Samples every service's RSS every `everyMs` until stopped; `peak()` is the highest seen per service. */
export function sampleRss(platform: Platform, everyMs = 200): { peak(): ByService; stop(): void } {
  const peak = rssOf(platform);
  const timer = setInterval(() => {
    const current = rssOf(platform);
    for (const service of SERVICES) if (!(peak[service] >= current[service])) peak[service] = current[service];
  }, everyMs);
  return { peak: () => ({ ...peak }), stop: () => clearInterval(timer) };
}

/** Every `ready in N ms` a service logged, oldest first. */
function loggedReadyTimes(platform: Platform, service: Service): number[] {
  return [...readFileSync(platform.logFile(service), 'utf8').matchAll(/ready in (\d+) ms/g)].map((match) => Number(match[1]));
}

/** The last `ready in N ms` a service logged. */
export function loggedReadyMs(platform: Platform, service: Service): number {
  return loggedReadyTimes(platform, service).at(-1) ?? Number.NaN;
}

/**
 * Restarts each service alone (SIGTERM, then start), one after the other on an otherwise idle platform:
 * the wall time from spawn until its `/health/ready` answers 200, and the `ready in` it logged.
 */
export async function restartTimes(platform: Platform): Promise<{ wall: ByService; logged: ByService }> {
  const wall = {} as ByService;
  const logged = {} as ByService;
  for (const service of SERVICES) {
    await platform.kill(service, 'SIGTERM');
    const starts = loggedReadyTimes(platform, service).length;
    const began = now();
    await platform.startService(service);
    wall[service] = now() - began;
    // The log file is written asynchronously: wait for this start's line to reach it.
    const times = await waitFor(() => {
      const all = loggedReadyTimes(platform, service);
      return all.length > starts && all;
    });
    logged[service] = times.at(-1)!;
  }
  return { wall, logged };
}

/** CPU time of a process in clock ticks of 10 ms, in user space and in the kernel; zeros when it is gone. */
function cpuTicks(pid: number): { user: number; system: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** The processes that share the machine in part 3, by name: the platform's, the bench's own, the broker and PostgreSQL. */
export function benchProcesses(platform: Platform, extra: Record<string, number> = {}): Record<string, number[]> {
  const named: Record<string, number[]> = { 'bench (autocannon, SMTP)': [process.pid] };
  for (const [name, pid] of Object.entries({ ...platform.pids(), ...extra })) named[name] = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      // Only the bench's own broker and database: other nats-servers and PostgreSQLs may run on the machine.
      if ((comm === 'nats-server' || comm === 'postgres') && descendsFromBench(Number(entry))) (named[comm] ??= []).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return named;
}

function descendsFromBench(pid: number): boolean {
  for (let current = pid, hops = 0; current > 1 && hops < 20; hops++) {
    if (current === process.pid) return true;
    try {
      current = Number(readFileSync(`/proc/${current}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * Runs `work` and says how much of one core each process used meanwhile (100% = one core busy), and how
 * much of that was in the kernel (system calls, which are dear on this machine).
 */
export async function cpuDuring<T>(processes: Record<string, number[]>, work: () => Promise<T>): Promise<{ result: T; usage: string }> {
  const ticks = (pids: number[]) =>
    pids.map(cpuTicks).reduce((sum, { user, system }) => ({ user: sum.user + user, system: sum.system + system }), { user: 0, system: 0 });
  const before = Object.fromEntries(Object.entries(processes).map(([name, pids]) => [name, ticks(pids)]));
  const stolenBefore = stolenTicks();
  const began = now();
  const result = await work();
  const seconds = (now() - began) / 1000;
  const stolen = (stolenTicks() - stolenBefore) / seconds;
  const usage = Object.entries(processes)
    .map(([name, pids]) => {
      const after = ticks(pids);
      const system = (after.system - before[name]!.system) / seconds;
      return [name, (after.user - before[name]!.user) / seconds + system, system] as const;
    })
    .filter(([, percent]) => percent >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([name, percent, system]) => `${name} ${Math.round(percent)}% (kernel ${Math.round(system)}%)`)
    .join(', ');
  return { result, usage: `${usage}; taken by the hypervisor (steal) ${Math.round(stolen)}%` };
}

/** Clock ticks the hypervisor ran something else while this VM's CPUs wanted to run (/proc/stat), all CPUs. */
function stolenTicks(): number {
  try {
    return Number(readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)[8] ?? 0);
  } catch {
    return 0;
  }
}
