/**
 * A place where the fault-injection suite kills the process, to prove that nothing is lost there:
 * with `FAULT_KILL_AFTER_COMMIT=<name>` in its environment the process dies with SIGKILL at the
 * fault point `<name>`, as a crash or an OOM kill would. Tests only; no configuration sets it.
 */
export function faultPoint(name: string): void {
  if (process.env['FAULT_KILL_AFTER_COMMIT'] === name) process.kill(process.pid, 'SIGKILL');
}
