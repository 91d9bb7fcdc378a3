/** Whether a statement may be sent twice: `read` is an idempotent read, anything else is `write`. */
export type StatementKind = 'read' | 'write';

/** What a statement does to the connection's session, for a connection the caller holds. */
export type SessionEffect = 'begin' | 'end' | 'session' | undefined;

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

/** What a statement run on a held connection does to its transaction or session state. */
export function sessionEffect(sql: string): SessionEffect {
  const text = normalize(sql);
  if (/^(START\s+TRANSACTION|BEGIN\b(?!\s+NOT\s+ATOMIC)|XA\s+(START|BEGIN))/.test(text)) return 'begin';
  if (/^SET\s+(@@(SESSION\.)?|SESSION\s+|LOCAL\s+)?AUTOCOMMIT\s*=\s*(0|OFF|FALSE)\b/.test(text)) return 'begin';
  if (/^(COMMIT|ROLLBACK)\b(?!\s+(WORK\s+)?TO\b)/.test(text)) return 'end';
  if (/^(SET|USE|PREPARE|LOCK|CREATE\s+TEMPORARY|DROP\s+TEMPORARY)\b/.test(text)) return 'session';
  if (/\b(GET_LOCK|SETVAL|NEXTVAL)\s*\(|@\w*\s*:=|\bINTO\s+@/.test(text)) return 'session';
  return undefined;
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
