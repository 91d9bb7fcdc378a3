/** Whether a statement may be sent twice: `read` is an idempotent read, anything else is `write`. */
export type StatementKind = 'read' | 'write';

/** What a statement does to the connection's session, for a connection the caller holds. */
export type SessionEffect = 'begin' | 'end' | 'replay' | 'session' | undefined;

const readStarts = new Set(['SELECT', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'VALUES', 'TABLE', 'WITH']);
// A read that locks rows, writes a file or a variable is not safe to repeat.
const lockingOrInto = /\bINTO\b|\bFOR\s+UPDATE\b|\bFOR\s+SHARE\b|\bLOCK\s+IN\s+SHARE\s+MODE\b/;
// Functions with a side effect, or whose answer depends on the session a retry would lose.
const sideEffects =
  /\b(GET_LOCK|RELEASE_LOCK|RELEASE_ALL_LOCKS|NEXTVAL|SETVAL|LASTVAL|LAST_INSERT_ID|ROW_COUNT|FOUND_ROWS|CONNECTION_ID|LAST_VALUE)\s*\(|\bNEXT\s+VALUE\s+FOR\b|\bPREVIOUS\s+VALUE\s+FOR\b|@\w*\s*:=/;
const writeWords = /\b(INSERT|UPDATE|DELETE|REPLACE|MERGE|CALL)\b/;

/**
 * Classifies one SQL text. A read is `SELECT`, `SHOW`, `DESCRIBE`, `EXPLAIN` (without `ANALYZE`),
 * `VALUES`, `TABLE` or `WITH ... SELECT`, with no `INTO`, no `FOR UPDATE`/`FOR SHARE`/`LOCK IN
 * SHARE MODE`, no lock, sequence or session functions, and a single statement. Anything not
 * recognised is a `write`: when in doubt, never send twice. Stored functions called from a
 * `SELECT` cannot be seen; mark such a query `{ idempotent: false }`.
 */
export function classify(sql: string): StatementKind {
  if (/\/\*[!M]/.test(sql)) return 'write'; // executable comments run whatever they hold
  const text = normalize(sql);
  if (/;\s*\S/.test(text)) return 'write'; // several statements
  const first = /^[A-Z]+/.exec(text)?.[0] ?? '';
  if (!readStarts.has(first)) return 'write';
  if (first === 'EXPLAIN' && /^EXPLAIN\s+(ANALYZE|EXTENDED\s+ANALYZE)\b/.test(text)) return 'write';
  if (first === 'WITH' && (writeWords.test(text) || !/\bSELECT\b/.test(text))) return 'write';
  if (lockingOrInto.test(text) || sideEffects.test(text)) return 'write';
  return 'read';
}

/**
 * What a statement does to its connection's session: it opens (`begin`) or closes (`end`) a
 * transaction, sets state a fresh connection can be given again by running it once more
 * (`replay`: `SET` of session or user variables to literal values, `SET NAMES`, `SET CHARACTER
 * SET`, `SET SESSION TRANSACTION ...`, `USE db`), or sets state that cannot be carried over
 * (`session`: a temporary table, a lock, `PREPARE`, `@x :=`, `SELECT ... INTO @x`, a `SET` whose
 * value is an expression, `SET TRANSACTION` for the next transaction only).
 */
export function sessionEffect(sql: string): SessionEffect {
  return sessionChange(sql)?.effect;
}

/** The session effect of `sql`, and for `replay` the name of what it sets (a later SET of it replaces it). */
export function sessionChange(sql: string): { readonly effect: SessionEffect; readonly key: string } | undefined {
  // Most statements are plain SELECTs: decide those without normalizing (no variable, no call:
  // then none of the functions below either).
  if (/^\s*select\b/i.test(sql) && !sql.includes('@') && (!sql.includes('(') || !/get_lock|setval|nextval/i.test(sql))) return undefined;
  const text = normalize(sql).replace(/;\s*$/, '');
  if (/^(START\s+TRANSACTION|BEGIN\b(?!\s+NOT\s+ATOMIC)|XA\s+(START|BEGIN))/.test(text)) return { effect: 'begin', key: '' };
  if (/^SET\s+(@@(SESSION\.)?|SESSION\s+|LOCAL\s+)?AUTOCOMMIT\s*=\s*(0|OFF|FALSE)$/.test(text)) return { effect: 'begin', key: '' };
  if (/^SET\s+(@@(SESSION\.)?|SESSION\s+|LOCAL\s+)?AUTOCOMMIT\s*=\s*(1|ON|TRUE)$/.test(text)) return { effect: 'end', key: '' };
  if (/^(COMMIT|ROLLBACK)\b(?!\s+(WORK\s+)?TO\b)/.test(text)) return { effect: 'end', key: '' };
  if (/^SET\b/.test(text)) return setChange(text);
  if (/^USE\s+(NAME|[A-Z0-9_$]+)$/.test(text)) return { effect: 'replay', key: 'use' };
  if (/^(USE|PREPARE|LOCK|CREATE\s+TEMPORARY|DROP\s+TEMPORARY)\b/.test(text)) return { effect: 'session', key: '' };
  if (/\b(GET_LOCK|SETVAL|NEXTVAL)\s*\(|@\w*\s*:=|\bINTO\s+@/.test(text)) return { effect: 'session', key: '' };
  return undefined;
}

const literal = String.raw`(''|[-+]?\d+(\.\d+)?([E][-+]?\d+)?|[A-Z_][A-Z0-9_]*|NAME)`;
const assignment = new RegExp(String.raw`^(SESSION\s+|LOCAL\s+|@@SESSION\.|@@LOCAL\.|@@)?(@?[A-Z_][A-Z0-9_$.]*|@NAME)\s*:?=\s*${literal}$`);

/** A `SET` statement: replayable when every assignment gives a session or user variable a literal. */
function setChange(text: string): { readonly effect: SessionEffect; readonly key: string } | undefined {
  if (/^SET\s+NAMES\s+(NAME|''|[A-Z0-9_]+)(\s+COLLATE\s+(NAME|''|[A-Z0-9_]+))?$/.test(text)) return { effect: 'replay', key: 'names' };
  if (/^SET\s+(CHARACTER\s+SET|CHARSET)\s+(NAME|''|[A-Z0-9_]+)$/.test(text)) return { effect: 'replay', key: 'names' };
  const transaction = /^SET\s+(SESSION\s+)?TRANSACTION\s+(.*)$/.exec(text);
  if (transaction)
    return transaction[1]
      ? { effect: 'replay', key: /ISOLATION/.test(transaction[2]!) ? 'isolation' : 'access' }
      : { effect: 'session', key: '' };
  if (/^SET\s+(GLOBAL|PERSIST|PERSIST_ONLY)\s|^SET\s+@@(GLOBAL|PERSIST)\./.test(text)) return undefined; // the server's, not the session's
  const parts = text.replace(/^SET\s+/, '').split(',');
  if (/\(/.test(text)) return { effect: 'session', key: '' };
  const names: string[] = [];
  for (const part of parts) {
    const m = assignment.exec(part.trim());
    if (!m) return { effect: 'session', key: '' };
    names.push(m[2]!);
  }
  return { effect: 'replay', key: `set ${names.join(',')}` };
}

/** Upper-cased SQL without comments, string literals, quoted names or leading parentheses. */
function normalize(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|\/\*[\s\S]*?\*\/|--(?:\s|$)[^\n]*|#[^\n]*/g, token)
    .trim()
    .replace(/^\(+\s*/, '')
    .toUpperCase();
}

// One pass, so a quote inside a comment or a comment marker inside a string cannot confuse it.
function token(match: string): string {
  if (match[0] === "'" || match[0] === '"') return "''";
  return match[0] === '`' ? 'NAME' : ' ';
}
