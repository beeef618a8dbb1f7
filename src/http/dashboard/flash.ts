// One message carried across a redirect (after a form post) in a short-lived signed cookie, shown once. Never a
// secret: a new token is shown in the answer to the post itself (see the tokens page).
import type {} from '@fastify/cookie'; // its request.cookies / reply.setCookie types
import type { FastifyReply, FastifyRequest } from 'fastify';

const FLASH_COOKIE = 'herald_flash';

export interface Flash {
  kind: 'ok' | 'error';
  message: string;
  /** A value to copy (a new token), shown once beside the message; only in a page rendered directly, never a cookie. */
  secret?: string;
}

export function setFlash(reply: FastifyReply, flash: Omit<Flash, 'secret'>): void {
  const { kind, message } = flash;
  reply.setCookie(FLASH_COOKIE, JSON.stringify({ kind, message }), { signed: true, httpOnly: true, sameSite: 'strict', path: '/', maxAge: 60 });
}

export function takeFlash(request: FastifyRequest, reply: FastifyReply): Flash | undefined {
  const raw = request.cookies?.[FLASH_COOKIE];
  if (!raw) return undefined;
  reply.clearCookie(FLASH_COOKIE, { path: '/' });
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return undefined;
  try {
    const flash = JSON.parse(unsigned.value) as Flash;
    if (flash.kind !== 'ok' && flash.kind !== 'error') return undefined;
    return { kind: flash.kind, message: String(flash.message) };
  } catch {
    return undefined;
  }
}

/** Redirect after a form post, with a message for the next page. */
export function redirectWithFlash(reply: FastifyReply, location: string, flash: Omit<Flash, 'secret'>): FastifyReply {
  setFlash(reply, flash);
  return reply.redirect(location, 303);
}
