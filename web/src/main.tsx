import { render } from 'preact';
import { signal } from '@preact/signals';
import { App } from './app';
import { resume } from './lib/session';
import { applyLocale, locale } from './lib/i18n';
import './styles.css';

const ready = signal(false);
applyLocale(locale.value);

function Root() {
  return <App ready={ready.value} />;
}

render(<Root />, document.getElementById('app')!);
resume().finally(() => (ready.value = true));
