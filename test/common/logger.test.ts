import { describe, expect, it } from 'vitest';
import { redactAndClip, redactSecrets } from '../../common/index.js';

const KEY = 'sk-proj-Q7vX2mR9tL4pN8wK3cH6bY1dF5gJ0s';
const BARE = 'Zq8vR2mT7xLp4Nw9Kc3Hb6Yd1Fg5Js';

describe('redactSecrets', () => {
  it('redacts a known key split by spaces or line breaks, and an unknown sk- key split into chunks', () => {
    const spaced = `${BARE.slice(0, 10)} ${BARE.slice(10, 20)}\n${BARE.slice(20)}`;
    expect(redactSecrets(`bad key ${spaced} here`, [BARE])).toBe('bad key [redacted] here');
    expect(
      redactSecrets(
        `Incorrect API key provided: ${KEY.slice(0, 12)} ${KEY.slice(12, 24)} ${KEY.slice(24)}. You can find`,
      ),
    ).toBe('Incorrect API key provided: [redacted]. You can find');
  });

  it('redacts a key base64-encoded at any byte alignment, known or shaped like a key', () => {
    for (const prefix of ['', 'u:', 'user:', 'ab']) {
      const encoded = Buffer.from(`${prefix}${BARE}`).toString('base64');
      expect(redactSecrets(`credentials ${encoded} refused`, [BARE]), prefix).toBe('credentials [redacted] refused');
      const unknown = Buffer.from(`${prefix}${KEY}`).toString('base64');
      expect(redactSecrets(`header ${unknown} refused`), prefix).toBe('header [redacted] refused');
    }
  });

  it('redacts a known key cut off at the end of the text by someone else', () => {
    expect(redactSecrets(`… key ${BARE.slice(0, 14)}`, [BARE])).toBe('… key [redacted]');
  });

  it('leaves ordinary text and base64 alone', () => {
    const text = `the pod ${Buffer.from('hello world, nothing secret here').toString('base64')} is fine`;
    expect(redactSecrets(text, [BARE])).toBe(text);
  });
});

describe('redactAndClip', () => {
  it('redacts before cutting, so a key straddling the cut leaves no prefix', () => {
    for (const key of [KEY, BARE]) {
      for (let at = 380; at < 400; at += 3) {
        const clipped = redactAndClip(`${'x'.repeat(at)}${key} and more`, 400, [key]);
        expect(clipped.length).toBeLessThanOrEqual(400);
        for (let n = 6; n <= key.length; n++) expect(clipped).not.toContain(key.slice(0, n));
      }
    }
  });
});
