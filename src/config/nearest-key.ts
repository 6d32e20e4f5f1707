/** Edit distance, for "did you mean" on a misspelt key. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? Math.max(a.length, b.length);
}

/** `localDC` abbreviates `localDataCenter`: its capitals are the initials of the longer name's later words. */
function abbreviates(short: string, long: string): boolean {
  const words = long.split(/(?=[A-Z])/);
  const first = words[0] ?? '';
  if (!short.toLowerCase().startsWith(first.toLowerCase())) return false;
  const initials = words.slice(1).map((word) => word[0] ?? '').join('');
  return short.slice(first.length).toLowerCase() === initials.toLowerCase() && initials.length > 0;
}

/**
 * The known key a user most likely meant: same name in another case, the same last part under another section, an
 * abbreviation, or the closest spelling within a few edits. Undefined when nothing is close.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const last = (name: string): string => name.slice(name.lastIndexOf('.') + 1);
  const section = (name: string): string => name.slice(0, Math.max(0, name.lastIndexOf('.')));
  return known.find((k) => k.toLowerCase() === lower)
    ?? known.find((k) => section(k) === section(key) && abbreviates(last(key), last(k)))
    ?? known.find((k) => last(k).toLowerCase() === last(key).toLowerCase())
    ?? known
      .map((k) => ({ k, d: distance(lower, k.toLowerCase()) }))
      .filter(({ k, d }) => d <= Math.max(2, Math.floor(k.length / 5)))
      .sort((a, b) => a.d - b.d)[0]?.k;
}
