// The story: 3000 Apache servers died on New Year's Day; each daily graceful reload had leaked one
// pthread key (limit 1024) for about three years. Here a reload leaks one fd under RLIMIT_NOFILE
// 1024, through 1100 days of reloads in fast-forward, without and with the guard's leak budget.
import { fileURLToPath } from 'node:url';
import { spawnNode } from '@bulwark/test-rig';

const service = fileURLToPath(new URL('./service.mjs', import.meta.url));
const run = async (env) => {
  const child = spawnNode(service, { nofile: 1024, env: { DAYS: '1100', ...env } });
  const exit = await child.exited;
  return { exit, stdout: child.stdout, stderr: child.stderr };
};

const bare = await run({});
const diedOf = bare.stderr.match(/\b(EMFILE)\b/)?.[1];
const lastDay = Number(bare.stderr.match(/died on day (\d+)/)?.[1] ?? NaN);

const guarded = await run({ GUARD: '1' });
const leakLine = guarded.stdout.split('\n').find((l) => l.startsWith('leak '));
const [, leakDay, json] = leakLine?.match(/^leak (\d+) (.*)$/) ?? [];
const leak = json ? JSON.parse(json) : undefined;
const firstError = guarded.stdout.match(/^reload-error (\d+) (\w+)/m);
const failedDay = firstError ? Number(firstError[1]) : NaN;
const truth = failedDay - Number(leakDay) - 1;
const offBy = leak ? (Math.abs(leak.reloadsLeft - truth) / truth) * 100 : NaN;

if (leak) {
  console.log(`leak report: ${JSON.stringify(leak)}`);
  console.log(
    `forecast: limit reached in ${leak.reloadsLeft} reloads, about ${leak.reloadsLeft} days (${(leak.reloadsLeft / 365).toFixed(1)} years) at one reload a day`,
  );
}
console.log(
  `without guard: died of ${diedOf ?? 'nothing?'} on day ${lastDay} (exit ${bare.exit.code ?? bare.exit.signal}), no warning; 1 fd leaked per reload, RLIMIT_NOFILE 1024`,
);
console.log(
  `with guard: day ${leakDay} leak report: limit reached in ${leak?.reloadsLeft} reloads, about ${leak?.reloadsLeft} days at one reload a day ` +
    `(EMFILE came on day ${failedDay}, forecast off by ${offBy.toFixed(1)}%; ${leak?.resource} +${leak?.growthPerReload}/reload, ${leak?.current} of ${leak?.limit}; ` +
    `${guarded.exit.code === 0 && guarded.stdout.includes('lived 1100') ? 'alive after 1100 reloads' : 'DEAD'})`,
);

const failureShown = diedOf === 'EMFILE' && bare.exit.code !== 0;
const fixShown = leak !== undefined && Number(leakDay) <= 16 && offBy <= 5 && guarded.exit.code === 0;
process.exit(failureShown && fixShown ? 0 : 1);
