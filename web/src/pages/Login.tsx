import { useState } from 'preact/hooks';
import { login } from '../lib/session';
import { ApiError } from '../lib/api';
import { LOCALES, applyLocale, locale, t } from '../lib/i18n';
import { errorText } from '../components/ui';

export function LoginForm(props: { username?: string; onDone: () => void; doLogin: (u: string, p: string) => Promise<void> }) {
  const [username, setUsername] = useState(props.username ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await props.doLogin(username.trim(), password);
      setPassword('');
      props.onDone();
    } catch (err) {
      setError(err instanceof ApiError && (err.status === 401 || err.status === 422) ? t('login_failed') : errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="login-form" onSubmit={submit} noValidate>
      <div class="field">
        <label for="login-username">{t('username')}</label>
        <input id="login-username" name="username" autoComplete="username" value={username} required
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)} autoFocus={!props.username} />
      </div>
      <div class="field">
        <label for="login-password">{t('password')}</label>
        <input id="login-password" name="password" type="password" autoComplete="current-password" value={password} required
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)} autoFocus={!!props.username} />
      </div>
      {error && <p class="alert alert-error" role="alert">{error}</p>}
      <button class="btn btn-primary btn-block" type="submit" disabled={busy}>
        {busy ? t('signing_in') : t('sign_in')}
      </button>
    </form>
  );
}

export function LoginPage() {
  return (
    <main class="login-page" id="main">
      <div class="login-card">
        <div class="login-brand">
          <span class="brand-mark big" aria-hidden="true">客</span>
          <div>
            <h1>{t('login_title')}</h1>
            <p class="muted">{t('login_subtitle')}</p>
          </div>
        </div>
        {/* Once logged in, the app goes on to the page asked for (?next=), see App. */}
        <LoginForm onDone={() => {}} doLogin={login} />
        <div class="login-lang" role="group" aria-label={t('language')}>
          {LOCALES.map((l) => (
            <button type="button" class={`btn btn-link ${locale.value === l.code ? 'active' : ''}`} aria-pressed={locale.value === l.code}
              lang={l.code} key={l.code} onClick={() => applyLocale(l.code)}>
              {l.name}
            </button>
          ))}
        </div>
      </div>
    </main>
  );
}
