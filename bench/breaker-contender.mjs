// One of the processes contending for the same tickets in bench/breaker.mjs: prints ns per pair.
import { resource } from '@bulwark/breaker';

const [name, ipc, pairs] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const res = resource(name, { tickets: 4, ipc });
const round = () => {
  for (let i = 0; i < pairs; i++) if (res.tryAcquire()) res.release();
};
round(); // warm-up, while the others start
const started = process.hrtime.bigint();
round();
console.log(Number(process.hrtime.bigint() - started) / pairs);
res.close();
