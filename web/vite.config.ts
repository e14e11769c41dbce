import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

/** `npm run build:web`: the client, bundled whole (no CDN), into web/dist, which Parley serves at `/`. */
export default defineConfig({
  root: webRoot,
  base: '/',
  // JSX compiled by Vite's own transform for Preact: no framework plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    // `npx vite web` during development: the API of a Parley on :3000.
    proxy: { '/v1': { target: 'http://127.0.0.1:3000', ws: true } },
  },
});
