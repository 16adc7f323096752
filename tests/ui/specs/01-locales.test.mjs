// The two languages carry the same strings: every English key has a Chinese one, and Chinese
// has extra keys only for the API's error codes (English shows the API's own message).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import en from '../../../web/js/locales/en.js';
import zh from '../../../web/js/locales/zh-CN.js';

test('en and zh-CN have the same keys (zh-CN may translate error codes besides)', () => {
  const missing = Object.keys(en).filter((key) => !(key in zh));
  assert.deepEqual(missing, [], 'keys in en.js without a zh-CN.js translation');
  const extra = Object.keys(zh).filter((key) => !(key in en) && !/^(error|field)\./.test(key));
  assert.deepEqual(extra, [], 'keys in zh-CN.js that en.js lacks');
  for (const [key, value] of Object.entries(en)) {
    assert.equal(typeof zh[key] === 'function' || typeof zh[key] === 'string', true, `${key} is a string or a function`);
    const vars = (v) => (typeof v === 'string' ? [...v.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort() : null);
    if (typeof value === 'string' && typeof zh[key] === 'string') {
      assert.deepEqual(vars(zh[key]), vars(value), `${key}: the same {placeholders} in both`);
    }
  }
});
