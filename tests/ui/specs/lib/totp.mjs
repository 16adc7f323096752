// RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30-second steps) from a base32 secret, as an
// authenticator app computes it, so a spec can type the code the app would show.

import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (padding and spaces ignored, any case) → bytes. */
export function base32Decode(text) {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 30-second step a moment falls in. */
export const step = (ms = Date.now()) => Math.floor(ms / 30_000);

/** The 6-digit code for `secret` at step `counter` (RFC 4226 dynamic truncation). */
export function totp(secret, counter = step()) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', base32Decode(secret)).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1_000_000).padStart(6, '0');
}

/**
 * Waits until the clock is past step `used` (a code is accepted once: a second sign-in needs
 * the next code), then returns the current step. Waiting, not a timed assertion.
 */
export async function stepAfter(used) {
  while (step() <= used) {
    await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 50));
  }
  return step();
}
