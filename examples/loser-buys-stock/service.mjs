// A stock fastify service, as teams write it: pino logs to a file through fastify's
// `logger: { file }`, and there is no bulwark code and no SIGHUP handler anywhere. It serves
// requests to itself and logs a numbered line (`n <i>`) with each, continuously.
// IPC 'stop' ends the logging and prints `done <count>`.
import Fastify from 'fastify';
import { get } from 'node:http';

const app = Fastify({ logger: { file: process.env.LOG } });
let count = 0;
app.get('/work', async (request) => {
  request.log.info(`n ${count++}`);
  return 'ok';
});
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${app.server.address().port}/work`;

let running = true;
const loop = (async () => {
  while (running) await new Promise((resolve, reject) => get(url, (res) => res.resume().on('end', resolve)).on('error', reject));
})();

process.on('message', async (message) => {
  if (message !== 'stop') return;
  running = false;
  await loop;
  await app.close();
  console.log(`done ${count}`);
  process.exit(0);
});
console.log(`ready ${process.pid}`);
