import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
// The API server in development (`npm run dev:server`); everything it serves goes through the proxy,
// so the app and the API share one origin and the session cookie just works.
const target = process.env.FASTNPC_DEV_API ?? 'http://localhost:8000';
const proxied = ['/api', '/healthz', '/docs', '/openapi.json'];

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // No public source maps: the server would hand out the whole source to anyone asking.
    sourcemap: false,
    chunkSizeWarningLimit: 800,
    // .vite/manifest.json: the server reads which files the signed-in app's chunk needs, to name
    // them in a preload header (src/http/static.ts); it is not served.
    manifest: true,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(proxied.map((p) => [p, { target, changeOrigin: false }])),
  },
});
