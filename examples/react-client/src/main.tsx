import { ClerkProvider } from '@clerk/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ClerkApp, OfflineApp } from './App';

const publishableKey = (import.meta.env.VITE_CLERK_PUBLISHABLE_KEY ?? '').trim();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    {publishableKey === '' ? (
      <OfflineApp />
    ) : (
      <ClerkProvider publishableKey={publishableKey}>
        <ClerkApp />
      </ClerkProvider>
    )}
  </StrictMode>,
);
