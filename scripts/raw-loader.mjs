// Node module hook so that `import src from '../../shaders/x.wgsl?raw'` works outside Vite (CLI, scripts),
// exactly as it does in Vite and Vitest: the default export is the file's text.
import { register } from 'node:module';

register('./raw-loader-hooks.mjs', import.meta.url);
