// An error from the API as one sentence in the UI's language.
//
// The server answers every failure with {"error": {"code", "message", "fields"}}
// (docs/API.md lists the codes). Its message is English and often specific
// ("contact 12 was changed by someone else: ..."), so the sentence is built from
// the stable code, in Chinese and English alike; the server's words are added
// where they say more: in English as they are, in Chinese when a known pattern
// translates them. The per-field messages of a refused form are listed, with
// the fields' names from the metadata. A code this UI does not know (a newer
// server) shows the server's message.
import type { ApiError } from './api';
import type { Locale } from './format';
import type { Entity, Meta } from './meta';
import { serverMessageIn } from './i18n';

type Code =
  | 'bad_request' | 'invalid_json' | 'unauthorized' | 'forbidden' | 'not_found' | 'method_not_allowed'
  | 'conflict' | 'payload_too_large' | 'unsupported_media_type' | 'validation_failed' | 'rate_limited'
  | 'internal_error' | 'database_error' | 'out_of_memory' | 'unavailable' | 'io_error' | 'insufficient_storage'
  | 'network';

export const errorsEn: Record<Code, string> = {
  bad_request: 'The server did not accept the request.',
  invalid_json: 'The data sent was not valid.',
  unauthorized: 'Please sign in again.',
  forbidden: 'You are not allowed to do this.',
  not_found: 'This record does not exist or was deleted.',
  method_not_allowed: 'This cannot be done here.',
  conflict: 'This conflicts with the current data.',
  payload_too_large: 'What was sent is too large.',
  unsupported_media_type: 'The server does not take data of this kind.',
  validation_failed: 'Some fields are not valid.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  internal_error: 'The server had a problem. Try again; if it goes on, tell your administrator.',
  database_error: 'The database had a problem. Try again; if it goes on, tell your administrator.',
  out_of_memory: 'The server is out of memory. Try again later.',
  unavailable: 'The server is busy. Try again in a moment.',
  io_error: 'The server’s storage failed. Nothing was saved; try again later.',
  insufficient_storage: 'The server’s disk is full. Nothing was saved; try again later.',
  network: 'The server cannot be reached. Check the connection and try again.',
};

export const errorsZh: Record<Code, string> = {
  bad_request: '服务器未接受此请求。',
  invalid_json: '发送的数据无效。',
  unauthorized: '请重新登录。',
  forbidden: '您没有执行此操作的权限。',
  not_found: '记录不存在或已被删除。',
  method_not_allowed: '此处不能执行该操作。',
  conflict: '与现有数据冲突。',
  payload_too_large: '发送的内容过大。',
  unsupported_media_type: '服务器不接受此类数据。',
  validation_failed: '部分字段无效。',
  rate_limited: '尝试次数过多，请稍后再试。',
  internal_error: '服务器出现问题。请重试；如果问题持续，请联系管理员。',
  database_error: '数据库出现问题。请重试；如果问题持续，请联系管理员。',
  out_of_memory: '服务器内存不足，请稍后再试。',
  unavailable: '服务器繁忙，请稍后再试。',
  io_error: '服务器存储故障，未保存任何内容，请稍后再试。',
  insufficient_storage: '服务器磁盘已满，未保存任何内容，请稍后再试。',
  network: '无法连接服务器，请检查网络后重试。',
};

/** The server's own message for each code when it has nothing more to say (src/util/err.c): never worth repeating. */
const SERVER_DEFAULT: Record<string, string> = {
  bad_request: 'the request is not valid',
  invalid_json: 'the body is not a valid JSON object',
  validation_failed: 'one or more fields are not valid',
  unauthorized: 'a valid bearer token is required',
  forbidden: 'not allowed for this user',
  not_found: 'not found',
  method_not_allowed: 'method not allowed here',
  conflict: 'the record changed or a unique value is taken',
  payload_too_large: 'the request body is too large',
  unsupported_media_type: 'the body must be application/json',
  rate_limited: 'too many requests',
  out_of_memory: 'out of memory',
  database_error: 'database error',
  internal_error: 'internal error',
  unavailable: 'the server is busy; try again',
};

const ACTION_ZH: Record<string, string> = { read: '查看', create: '新建', edit: '修改', delete: '归档', export: '导出', import: '导入' };

/** Top-level messages of the server said in Chinese; {e} is an entity's name (plural or singular in English). */
const DETAIL_ZH: [RegExp, (m: RegExpExecArray, ent: (n: string) => string) => string][] = [
  [/^your role may not (\w+) (\w+)$/, (m, ent) => `您的角色无权${ACTION_ZH[m[1]] ?? m[1]}${ent(m[2])}`],
  [/^you may not (\w+) this (\w+)$/, (m, ent) => `您无权${ACTION_ZH[m[1]] ?? m[1]}这条${ent(m[2])}`],
  [/^only administrators may do this$/, () => '只有管理员可以执行此操作'],
  [/^only administrators change (\w+)$/, (m, ent) => `只有管理员可以修改${ent(m[1])}`],
  [/^you may only own (\w+) yourself$/, (m, ent) => `${ent(m[1])}的负责人只能是您自己`],
  [/^(\w+) (\d+) was changed by someone else/, (m, ent) => `${ent(m[1])} #${m[2]} 已被他人修改，请刷新后再试`],
  [/^(\w+) (\d+) is archived; restore it/, (m, ent) => `${ent(m[1])} #${m[2]} 已归档，请先恢复`],
  [/^(\w+) is already used by (\w+) (\d+)$/, (m, ent) => `该值已被${ent(m[2])} #${m[3]} 使用`],
  [/^you cannot archive your own account$/, () => '不能归档您自己的账户'],
];

function entityName(l: Locale, m: Meta | null, name: string): string {
  const e = m?.entities.find((x) => x.name === name || x.singular === name);
  return e ? (l === 'zh-CN' ? e.label['zh-CN'] : e.label.en) : name;
}

function fieldName(l: Locale, m: Meta | null, name: string, entity?: Entity): string {
  // The entity's own field first; else the first entity with a field of that name (owner_id is 负责人 everywhere).
  const f = entity?.fields.find((x) => x.name === name) ?? m?.entities.flatMap((e) => e.fields).find((x) => x.name === name);
  return f ? (f.label[l] ?? f.label.en ?? name) : name;
}

function isCode(c: string): c is Code {
  return Object.prototype.hasOwnProperty.call(errorsEn, c);
}

/** The sentence for an ApiError in language l; `entity` names the fields of the form that was sent. */
export function errorMessageIn(l: Locale, err: Pick<ApiError, 'code' | 'message' | 'fields' | 'status'>, m: Meta | null, entity?: Entity): string {
  const zh = l === 'zh-CN';
  const code = err.status === 0 ? 'network' : err.code;
  if (!isCode(code)) return err.message || (zh ? errorsZh.internal_error : errorsEn.internal_error);
  const head = (zh ? errorsZh : errorsEn)[code];
  const fields = Object.entries(err.fields ?? {});
  if (fields.length) {
    const list = fields.map(([n, msg]) => `${fieldName(l, m, n, entity)}${zh ? '：' : ': '}${serverMessageIn(l, msg)}`);
    return `${head} ${list.join(zh ? '；' : '; ')}`;
  }
  const msg = (err.message ?? '').trim();
  if (!msg || code === 'network' || msg === SERVER_DEFAULT[code]) return head;
  if (!zh) return `${head} (${msg})`;
  for (const [re, say] of DETAIL_ZH) {
    const hit = re.exec(msg);
    if (hit) return `${head}（${say(hit, (n) => entityName(l, m, n))}）`;
  }
  return head;
}
