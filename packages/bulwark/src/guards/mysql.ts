import type { Guard } from '@bulwark/core';
import { type WrapOptions, instrumentMysql2 } from '@bulwark/mysql';
import type { GuardPlugin } from './plugin.js';

/** `enable({ mysql: true | options })`: every mysql2 pool and connection retries reads. */
export const mysql = {
  enable: (options): Guard => instrumentMysql2(options === true ? {} : options),
} satisfies GuardPlugin<WrapOptions>;
