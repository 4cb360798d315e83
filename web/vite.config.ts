import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** Pages of the viewer: the app and the comparison report. */
const pages = { index: `${root}index.html`, report: `${root}report.html` };

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: { input: pages },
    // three.js alone is ~600 kB minified; one chunk for the app is fine for a viz tool.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npx vite web` during development: the API (npm start) answers /api and /docs.
    proxy: { '/api': 'http://127.0.0.1:8080', '/docs': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' },
  },
});
