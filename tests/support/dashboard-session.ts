// A dashboard session for a test: signs in through the login form with a token and hands back the session cookie.
export async function dashboardCookie(baseUrl: string, token: string): Promise<string> {
  const form = await fetch(`${baseUrl}/login`);
  const nonce = /name="_login" value="([^"]+)"/.exec(await form.text())![1];
  const signedIn = await fetch(`${baseUrl}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') },
    body: new URLSearchParams({ _login: nonce, token, next: '/' }),
  });
  return signedIn.headers.getSetCookie().find((c) => c.startsWith('herald_session='))!.split(';')[0];
}
