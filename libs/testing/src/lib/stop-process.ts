import type { ChildProcess } from 'node:child_process';

/**
 * Sends `signal` and resolves once the process has exited; SIGKILL follows after `graceMs` if it has
 * not. At once for a process that already ended.
 */
export async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(signal);
  const killer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}
