import { type WrapOptions, instrumentMysql2 } from '@bulwark/mysql';
import type { Guard } from '@bulwark/core';
import type { GuardPlugin } from './plugin.js';

/** `enable({ mysql: true | options })`: every mysql2 pool and connection retries reads. */
export const mysql: GuardPlugin<WrapOptions> = {
  name: 'mysql',
  enable(options): Guard {
    const undo = instrumentMysql2(options === true ? {} : options);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      undo();
    };
    return Object.assign({ close }, { [Symbol.dispose]: close });
  },
};
