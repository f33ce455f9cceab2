import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dev server's origin, http://localhost:5173, is the example server's default CORS_ORIGIN.
export default defineConfig({
  plugins: [react()],
  server: { port: 5173, strictPort: true },
});
