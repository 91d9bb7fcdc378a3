import { type StatementKind, classify } from './classify.js';

/** One statement as the caller gave it, with the caller's `idempotent` mark taken out. */
export interface Statement {
  readonly method: 'query' | 'execute';
  readonly sql: string;
  /** What goes to mysql2: the SQL string or the options object without `idempotent`. */
  readonly request: string | Record<string, unknown>;
  readonly values: unknown;
  readonly kind: StatementKind;
}

/** Parses `query(sqlOrOptions, values)` arguments; `{ sql, idempotent }` overrides the classifier. */
export function statementOf(method: 'query' | 'execute', sqlOrOptions: unknown, values: unknown): Statement {
  if (typeof sqlOrOptions === 'object' && sqlOrOptions !== null) {
    const { idempotent, ...request } = sqlOrOptions as Record<string, unknown>;
    const sql = String(request.sql ?? '');
    const kind = typeof idempotent === 'boolean' ? (idempotent ? 'read' : 'write') : classify(sql);
    return { method, sql, request, values, kind };
  }
  const sql = String(sqlOrOptions);
  return { method, sql, request: sql, values, kind: classify(sql) };
}
