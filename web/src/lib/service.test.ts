import { describe, expect, it } from 'vitest';
import { formatDuration, isServicePath, pct, publicRoute, serviceRoute, slaView } from './service';
import { svcEn, svcZh, tsIn } from './service-i18n';

describe('service routes', () => {
  it('names the screens under /service', () => {
    expect(serviceRoute('/service')).toEqual({ name: 'console' });
    expect(serviceRoute('/service/')).toEqual({ name: 'console' });
    expect(serviceRoute('/service/wallboard')).toEqual({ name: 'wallboard' });
    expect(serviceRoute('/service/kb')).toEqual({ name: 'kb' });
    expect(serviceRoute('/service/kb/12')).toEqual({ name: 'kb', id: 12 });
    expect(serviceRoute('/service/kb/0')).toEqual({ name: 'notfound' });
    expect(serviceRoute('/service/nope')).toEqual({ name: 'notfound' });
    expect(isServicePath('/service/erlang')).toBe(true);
    expect(isServicePath('/services')).toBe(false);
  });
  it('knows the customers\' pages', () => {
    expect(publicRoute('/support')).toEqual({ name: 'support' });
    expect(publicRoute('/csat/AbC_123-xyz456789')).toEqual({ name: 'csat', token: 'AbC_123-xyz456789' });
    expect(publicRoute('/csat/short')).toBeNull();
    expect(publicRoute('/contacts')).toBeNull();
  });
});

describe('SLA timers', () => {
  const now = Date.parse('2026-01-05T02:00:00Z');
  it('counts down, warns in the last half hour, counts up when overdue', () => {
    expect(slaView('2026-01-05T04:05:00Z', 'on_track', now, 'en')).toEqual({ tone: 'ok', key: 'svc_due_in', t: '2 h 05 min' });
    expect(slaView('2026-01-05T02:20:00Z', 'on_track', now, 'zh-CN')).toEqual({ tone: 'warn', key: 'svc_due_in', t: '20分钟' });
    expect(slaView('2026-01-05T05:00:00Z', 'warning', now, 'en').tone).toBe('warn');
    expect(slaView('2026-01-05T01:00:00Z', 'breached', now, 'en')).toEqual({ tone: 'bad', key: 'svc_overdue', t: '1 h 00 min' });
    expect(slaView(null, 'paused', now, 'en')).toEqual({ tone: 'paused', key: 'svc_paused' });
    expect(slaView('2026-01-05T05:00:00Z', 'met', now, 'en').tone).toBe('met');
    expect(slaView(null, null, now, 'en')).toEqual({ tone: 'none', key: 'svc_no_sla' });
  });
  it('says durations in both languages', () => {
    expect(formatDuration(45, 'en')).toBe('45 s');
    expect(formatDuration(90061, 'zh-CN')).toBe('1天1小时');
    expect(formatDuration(-5, 'en')).toBe('0 s');
    expect(pct(0.8883, 'en')).toBe('88.8%');
    expect(pct(null, 'en')).toBe('—');
  });
});

describe('service messages', () => {
  it('has every key in both languages with the same placeholders', () => {
    expect(Object.keys(svcZh).sort()).toEqual(Object.keys(svcEn).sort());
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(svcEn) as (keyof typeof svcEn)[]) expect(ph(svcZh[k]), k).toEqual(ph(svcEn[k]));
    expect(tsIn('zh-CN', 'svc_submitted', { number: 'CS-000001' })).toBe('谢谢！您的工单号是 CS-000001。');
  });
});
