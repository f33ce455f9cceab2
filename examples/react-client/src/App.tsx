import { Show, SignIn, UserButton, useAuth } from '@clerk/react';
import { useState } from 'react';
import { AgentPanel } from './AgentPanel';

/** Signed in with Clerk: each call gets a fresh session token from useAuth().getToken(). */
export function ClerkApp() {
  const { getToken } = useAuth();
  return (
    <main>
      <h1>Agent API client</h1>
      <Show when="signed-out">
        <SignIn />
      </Show>
      <Show when="signed-in">
        <UserButton />
        <AgentPanel getToken={() => getToken()} />
      </Show>
    </main>
  );
}

/**
 * No VITE_CLERK_PUBLISHABLE_KEY: paste a token printed by the example server's offline mode
 * (`npm start` in the repository root), or leave it empty to see the 401.
 */
export function OfflineApp() {
  const [token, setToken] = useState('');
  return (
    <main>
      <h1>Agent API client (offline mode)</h1>
      <p>
        VITE_CLERK_PUBLISHABLE_KEY is not set, so there is no Clerk sign-in. Paste the <code>TOKEN</code> or <code>ADMIN_TOKEN</code> printed by <code>npm start</code> in the repository
        root:
      </p>
      <textarea value={token} onChange={(event) => setToken(event.target.value.trim())} rows={4} cols={80} placeholder="eyJhbGciOi…" />
      <AgentPanel getToken={async () => token || null} />
    </main>
  );
}
