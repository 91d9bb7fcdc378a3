import type { DoctorReport, ProcessReport } from './doctor.js';
import type { Finding } from './finding.js';

const STATUS: Record<Finding['status'], string> = { hazard: 'HAZARD', covered: 'covered', ok: 'ok', unknown: 'unknown' };
const INDENT = ' '.repeat(2 + 9 + 11);

/** The report as a table a person reads: one block per process, one row per finding; evidence and fix under each row that is not ok. */
export function renderTable(report: DoctorReport, width = 100): string {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const head = `bulwark doctor: ${count(report.processes.length, 'process', 'processes')}, ${count(report.hazards, 'hazard', 'hazards')} (sampled over ${(report.sampleMs / 1000).toFixed(1)} s${report.root === '/' ? '' : `, configuration under ${report.root}`})`;
  if (report.processes.length === 0) return `${head}\nno Node process of this user to examine (name one with --pid)\n`;
  return `${head}\n${report.processes.map((p) => renderProcess(p, width)).join('')}`;
}

function renderProcess(process: ProcessReport, width: number): string {
  const user = process.user ? ` (${process.user})` : '';
  const lines = [
    '',
    `pid ${process.pid}  uid ${process.uid}${user}  ${clip(process.command, width - 30)}${process.gone ? '  [ended while examined]' : ''}`,
  ];
  for (const f of process.findings) {
    const row = `  ${STATUS[f.status].padEnd(9)}${f.check.padEnd(11)}`;
    lines.push(...wrap(f.summary, width - INDENT.length).map((text, i) => (i === 0 ? row : INDENT) + text));
    if (f.status === 'ok') continue;
    for (const fact of f.evidence)
      lines.push(...wrap(`read: ${fact}`, width - INDENT.length).map((t, i) => INDENT + (i ? '      ' : '') + t));
    if (f.fix) lines.push(...wrap(`fix: ${f.fix}`, width - INDENT.length).map((t, i) => INDENT + (i ? '     ' : '') + t));
  }
  return `${lines.join('\n')}\n`;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Splits `text` into lines of at most `width` characters at spaces (a longer word stands alone). */
function wrap(text: string, width: number): string[] {
  const out = [''];
  for (const word of text.split(' ')) {
    const last = out.length - 1;
    if (out[last] === '') out[last] = word;
    else if (out[last]!.length + 1 + word.length <= width) out[last] += ` ${word}`;
    else out.push(word);
  }
  return out;
}
