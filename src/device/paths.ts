import { fileURLToPath } from 'node:url';

/** kit's install folder: firmware/ and boards/ ship beside src/ and dist/ (both one level down). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
