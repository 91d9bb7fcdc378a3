// `node --import bulwark/register app.js` or `node -r bulwark/register app.js`:
// enables the guards named by BULWARK_<GUARD> environment variables, with no code change.
import { enableFromEnv } from './from-env.js';

enableFromEnv();
