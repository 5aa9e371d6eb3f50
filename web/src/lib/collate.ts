// Sorting names the way people expect: Chinese by pinyin (阿 < 李 < 王 < 张),
// Latin letters alphabetically, numbers by value.

let collator: Intl.Collator | null = null;

export function nameCollator(): Intl.Collator {
  if (!collator) collator = new Intl.Collator('zh-CN-u-co-pinyin', { numeric: true, sensitivity: 'base' });
  return collator;
}

export function compareNames(a: string | null | undefined, b: string | null | undefined): number {
  return nameCollator().compare(a ?? '', b ?? '');
}

/** A sorted copy of items by the name that `key` picks. */
export function sortByName<T>(items: readonly T[], key: (t: T) => string | null | undefined): T[] {
  return [...items].sort((x, y) => compareNames(key(x), key(y)));
}
