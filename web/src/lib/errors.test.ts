import { describe, expect, it } from 'vitest';
import metaFixture from './meta.fixture.json';
import type { Entity, Meta } from './meta';
import { ApiError } from './api';
import { errorMessageIn, errorsEn, errorsZh } from './errors';

const meta = metaFixture as unknown as Meta;
const contacts = meta.entities.find((e) => e.name === 'contacts')! as Entity;
const err = (status: number, code: string, message: string, fields = {}) => new ApiError(status, code, message, fields);

describe('API errors in the UI\'s language', () => {
  it('has a sentence for every code in both languages', () => {
    expect(Object.keys(errorsZh).sort()).toEqual(Object.keys(errorsEn).sort());
    for (const [k, v] of Object.entries(errorsZh)) expect(v, k).toMatch(/[\u4e00-\u9fff]/);
    // Every code docs/API.md lists (src/util/err.c), and the client's own "network".
    for (const c of ['invalid_json', 'bad_request', 'unauthorized', 'forbidden', 'not_found', 'method_not_allowed', 'conflict',
      'payload_too_large', 'unsupported_media_type', 'validation_failed', 'rate_limited', 'internal_error', 'database_error',
      'unavailable', 'io_error', 'insufficient_storage', 'network'])
      expect(errorsEn, c).toHaveProperty(c);
  });

  it('says a validation error in Chinese, with each field by its label and its message translated', () => {
    const e = err(422, 'validation_failed', '2 fields are not valid', { email: 'is not a valid e-mail address', name: 'is required' });
    const zh = errorMessageIn('zh-CN', e, meta, contacts);
    expect(zh).toBe('部分字段无效。 邮箱：不是有效的邮箱地址；姓名：为必填项');
    expect(zh).not.toMatch(/[a-z]{4}/);
    expect(errorMessageIn('en', e, meta, contacts)).toBe('Some fields are not valid. E-mail: is not a valid e-mail address; Name: is required');
  });

  it('names fields without the entity from the first entity that has one of that name', () => {
    const e = err(403, 'forbidden', 'you may only own contacts yourself', { owner_id: 'must be your own user id' });
    expect(errorMessageIn('zh-CN', e, meta)).toMatch(/^您没有执行此操作的权限。 负责人：/);
  });

  it('never shows the server\'s generic English in Chinese', () => {
    const e = err(422, 'validation_failed', 'one or more fields are not valid');
    expect(errorMessageIn('zh-CN', e, meta)).toBe('部分字段无效。');
    expect(errorMessageIn('en', e, meta)).toBe('Some fields are not valid.');
    expect(errorMessageIn('zh-CN', err(409, 'conflict', 'quote Q-1 has no lines'), meta)).toBe('与现有数据冲突。');
  });

  it('adds what the server says in particular: as it is in English, translated in Chinese where known', () => {
    const e = err(403, 'forbidden', 'your role may not edit contacts');
    expect(errorMessageIn('en', e, meta)).toBe('You are not allowed to do this. (your role may not edit contacts)');
    expect(errorMessageIn('zh-CN', e, meta)).toBe('您没有执行此操作的权限。（您的角色无权修改联系人）');
    const stale = err(409, 'conflict', 'contact 12 was changed by someone else: your version is 3, the current one 4');
    expect(errorMessageIn('zh-CN', stale, meta)).toBe('与现有数据冲突。（联系人 #12 已被他人修改，请刷新后再试）');
    expect(errorMessageIn('zh-CN', err(403, 'forbidden', 'only administrators change users'), meta)).toBe('您没有执行此操作的权限。（只有管理员可以修改用户）');
  });

  it('falls back to the server\'s message for a code it does not know, and says a lost connection', () => {
    expect(errorMessageIn('zh-CN', err(418, 'teapot', 'I am a teapot'), meta)).toBe('I am a teapot');
    expect(errorMessageIn('zh-CN', err(0, 'network', 'network_error'), meta)).toBe(errorsZh.network);
    expect(errorMessageIn('en', err(502, 'http_502', 'Bad Gateway'), meta)).toBe('Bad Gateway');
  });
});
