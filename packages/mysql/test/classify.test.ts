import { describe, expect, it } from 'vitest';
import { BulwarkError } from '@bulwark/core';
import { classify, isTransient, sessionEffect } from '../dist/index.js';

describe('statement classifier', () => {
  it.each([
    'SELECT * FROM t WHERE id = ?',
    '  select 1',
    'SHOW PROCESSLIST',
    'DESCRIBE t',
    'DESC t',
    'EXPLAIN SELECT * FROM t',
    'EXPLAIN UPDATE t SET a = 1',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    '((SELECT 1) UNION (SELECT 2))',
    '/* hint */ SELECT 1',
    '-- comment\nSELECT 1',
    '# comment\nSELECT 1',
    "SELECT 'INSERT INTO t' AS text",
    "SELECT 'it''s; DROP TABLE t' AS s",
    'SELECT `into` FROM t',
    'SELECT SLEEP(0)',
    'SELECT NOW(), UUID(), RAND()',
    'SELECT 1;',
    'VALUES (1), (2)',
  ])('%s is an idempotent read', (sql) => expect(classify(sql)).toBe('read'));

  it.each([
    'INSERT INTO t VALUES (1)',
    'UPDATE t SET a = 1',
    'DELETE FROM t',
    'REPLACE INTO t VALUES (1)',
    'CALL proc()',
    'DO GET_LOCK("x", 1)',
    'SET @a = 1',
    'CREATE TABLE t (id INT)',
    'SELECT a INTO @v FROM t',
    "SELECT a FROM t INTO OUTFILE '/tmp/x'",
    'SELECT * FROM t FOR UPDATE',
    'SELECT * FROM t FOR SHARE',
    'SELECT * FROM t LOCK IN SHARE MODE',
    "SELECT GET_LOCK('l', 1)",
    "SELECT RELEASE_LOCK('l')",
    'SELECT NEXTVAL(s)',
    'SELECT NEXT VALUE FOR s',
    'SELECT LAST_INSERT_ID(5)',
    'SELECT LAST_INSERT_ID()',
    'SELECT FOUND_ROWS()',
    'SELECT @n := @n + 1',
    'SELECT 1; DELETE FROM t',
    'WITH x AS (SELECT 1) DELETE FROM t',
    'EXPLAIN ANALYZE SELECT 1',
    '/*! SELECT 1 */ DELETE FROM t',
    'LOCK TABLES t READ',
    '',
  ])('%s is not (sent once only)', (sql) => expect(classify(sql)).toBe('write'));

  it.each([
    ['START TRANSACTION', 'begin'],
    ['begin', 'begin'],
    ['SET autocommit = 0', 'begin'],
    ['XA START "x"', 'begin'],
    ['COMMIT', 'end'],
    ['ROLLBACK', 'end'],
    ['ROLLBACK TO SAVEPOINT s', undefined],
    ['SET @x = 1', 'replay'],
    ["SET time_zone = '+00:00'", 'replay'],
    ["SET SESSION sql_mode = 'STRICT_ALL_TABLES', @@session.wait_timeout = 60", 'replay'],
    ['SET NAMES utf8mb4', 'replay'],
    ['SET NAMES utf8mb4 COLLATE utf8mb4_bin', 'replay'],
    ['SET CHARACTER SET utf8mb4', 'replay'],
    ['SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', 'replay'],
    ['USE other', 'replay'],
    ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'session'],
    ["SET sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')", 'session'],
    ['SET @x = (SELECT MAX(id) FROM t)', 'session'],
    ['SET @y = @x', 'session'],
    ['SET GLOBAL max_connections = 10', undefined],
    ['CREATE TEMPORARY TABLE t (id INT)', 'session'],
    ['LOCK TABLES t WRITE', 'session'],
    ["SELECT GET_LOCK('l', 1)", 'session'],
    ['SELECT 1', undefined],
  ])('on a held connection %s counts as %s', (sql, effect) => expect(sessionEffect(sql)).toBe(effect));
});

describe('transient errors', () => {
  // A guard's error that happens to read like mysql2's closed-state message.
  class ShedError extends BulwarkError {
    static readonly code = 'ERR_SOME_GUARD_SHED';
    constructor() {
      super("Can't add new command when connection is in closed state (shed by a guard)");
    }
  }

  it('a lost connection is transient', () => {
    expect(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(new Error("Can't add new command when connection is in closed state"))).toBe(true);
  });

  it('any bulwark error is an answer from a guard, never transient, whatever its code or message', () => {
    expect(isTransient(new ShedError())).toBe(false);
    expect(isTransient(Object.assign(new ShedError(), { code: 'ECONNRESET' }))).toBe(false);
  });
});
