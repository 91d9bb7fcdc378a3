// A small HTTP service over MySQL that knows nothing of bulwark. It reopens its log on SIGHUP,
// as a service under logrotate does. Run it plain, or with BULWARK_MYSQL=1 --import bulwark/register.
import diagnostics_channel from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import mysql from 'mysql2/promise';

const pool = mysql.createPool({
  host: '127.0.0.1',
  port: Number(process.env.DB_PORT),
  user: 'root',
  database: 'bulwark',
  connectionLimit: 8,
});
const stats = { hups: 0, retries: 0 };
process.on('SIGHUP', () => stats.hups++); // "reopen the log"
diagnostics_channel.subscribe('bulwark:mysql:retry', () => stats.retries++);

async function handle(request) {
  const [, kind, id] = request.url.split('/');
  if (kind === 'stats') return stats;
  if (kind === 'orders' && request.method === 'GET')
    return (await pool.query('SELECT id, request FROM orders WHERE request = ?', [Number(id)]))[0];
  if (kind === 'orders' && request.method === 'POST') return (await pool.query('INSERT INTO orders (request) VALUES (?)', [Number(id)]))[0];
  throw Object.assign(new Error('not found'), { status: 404 });
}

const server = createServer((request, response) => {
  handle(request).then(
    (body) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    (error) => response.writeHead(error.status ?? 500).end(JSON.stringify({ code: error.code, ...error.bulwark })),
  );
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
