import { startNatsServer } from './deps';
import { libraryFanout, rawFanout } from './fanout.scenario';
import { libraryJetStream } from './jetstream.scenario';
(async () => {
  const server = await startNatsServer();
  try {
    const which = process.argv[2];
    if (which === 'fanout') console.log(await libraryFanout(server.url, 100_000, 'f.x'));
    if (which === 'rawfanout') console.log(await rawFanout(server.url, 100_000, 'f.x'));
    if (which === 'js') console.log(await libraryJetStream(server.url, 20_000, 'g1'));
  } finally { await server.dispose(); }
  process.exit(0);
})();
