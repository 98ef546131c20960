// Preload for BENCH_CPU_PROF=<dir> (NODE_OPTIONS="--import <this file>"; --cpu-prof is not allowed in NODE_OPTIONS):
// profiles the whole process with the inspector and writes <dir>/<name>-<pid>.cpuprofile when it exits.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // The in-thread session answers synchronously, so this completes inside the exit handler.
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const name = (process.argv[1] ?? 'node').split('/').slice(-2, -1)[0] ?? 'node';
      writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
