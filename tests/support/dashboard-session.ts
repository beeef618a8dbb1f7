// Signs in to the dashboard through its form, as a browser does: the session cookie and the page's CSRF token.

export const cookiesOf = (response: Response) => response.headers.getSetCookie().map((c) => c.split(';')[0]);

export interface DashboardSession {
  cookie: string;
  csrf: string;
  location: string | null;
  setCookie: string;
}

export async function signIn(baseUrl: string, token: string, next = '/'): Promise<DashboardSession> {
  const form = await fetch(`${baseUrl}/login`);
  const nonce = /name="_login" value="([^"]+)"/.exec(await form.text())![1];
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(form).join('; ') },
    body: new URLSearchParams({ _login: nonce, token, next }),
  });
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('herald_session=')) ?? '';
  const cookie = setCookie.split(';')[0]!;
  const page = await (await fetch(`${baseUrl}/`, { headers: { cookie } })).text();
  const csrf = /name="csrf-token" content="([^"]*)"/.exec(page)?.[1] ?? '';
  return { cookie, csrf, location: response.headers.get('location'), setCookie };
}

/** Just the session cookie, for a test that only reads pages. */
export async function dashboardCookie(baseUrl: string, token: string): Promise<string> {
  return (await signIn(baseUrl, token)).cookie;
}
