import { Cleanup, type Guard } from '@bulwark/core';
import { type WrapOptions, instrumentMysql2 } from '@bulwark/mysql';
import type { GuardPlugin } from './plugin.js';

/** `enable({ mysql: true | options })`: every mysql2 pool and connection retries reads. */
export const mysql: GuardPlugin<WrapOptions> = {
  name: 'mysql',
  enable(options): Guard {
    const cleanup = new Cleanup();
    cleanup.defer(instrumentMysql2(options === true ? {} : options));
    return { close: () => cleanup.run() };
  },
};
