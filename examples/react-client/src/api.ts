/** Calls to the example server, with the Clerk session token as a Bearer token. */

export const API_URL = (import.meta.env.VITE_API_URL ?? '').trim() || 'http://localhost:3000';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/**
 * `fetch` with `Authorization: Bearer <token>` when there is a token. Ask Clerk for the token right
 * before each call (`getToken()`): session tokens live 60 seconds and getToken() refreshes them.
 */
export async function callApi(path: string, token: string | null, init: RequestInit = {}): Promise<ApiAnswer> {
  const headers = new Headers(init.headers);
  if (token !== null && token !== '') headers.set('Authorization', `Bearer ${token}`);
  if (init.body !== undefined) headers.set('Content-Type', 'application/json');
  const response = await fetch(`${API_URL}${path}`, { ...init, headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: show the text.
  }
  return { status: response.status, body };
}
