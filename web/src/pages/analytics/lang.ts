// The answer page's language: the UI's locale signal, switched without a
// session (the logged-in UI stores the choice per user; a respondent has none).
import { applyLocale, locale, LOCALES } from '../../lib/i18n';
import type { Locale } from '../../lib/format';

export { locale, LOCALES };
export function setLanguageLocal(l: Locale) {
  applyLocale(l);
}
