import { useState } from 'react';
import { API_URL, callApi, type ApiAnswer } from './api';

/** Where the panel gets a session token for each call; `null` sends none. */
export type TokenSource = () => Promise<string | null>;

const CALLS: { label: string; path: string; init?: RequestInit }[] = [
  { label: 'GET /api/agents', path: '/api/agents' },
  {
    label: 'POST /api/agents/weather/generate',
    path: '/api/agents/weather/generate',
    init: { method: 'POST', body: JSON.stringify({ prompt: 'Will it rain in Lisbon?' }) },
  },
  { label: 'GET /api/admin/usage (org admins)', path: '/api/admin/usage' },
];

/** Buttons that call the example server's routes, and the last answer. */
export function AgentPanel({ getToken }: { getToken: TokenSource }) {
  const [answer, setAnswer] = useState<(ApiAnswer & { label: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run(call: (typeof CALLS)[number]) {
    setError(null);
    try {
      const token = await getToken();
      setAnswer({ label: call.label, ...(await callApi(call.path, token, call.init)) });
    } catch (caught) {
      setAnswer(null);
      setError(`Could not reach ${API_URL}: ${caught instanceof Error ? caught.message : String(caught)}`);
    }
  }

  return (
    <section>
      <p>
        API: <code>{API_URL}</code>
      </p>
      {CALLS.map((call) => (
        <button key={call.path} type="button" onClick={() => void run(call)} style={{ marginRight: 8 }}>
          {call.label}
        </button>
      ))}
      {error !== null && <p role="alert">{error}</p>}
      {answer !== null && (
        <>
          <h3>
            {answer.label} → <output>{answer.status}</output>
          </h3>
          <pre>{JSON.stringify(answer.body, null, 2)}</pre>
        </>
      )}
    </section>
  );
}
