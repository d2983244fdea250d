/**
 * A bounded list of the newest items, kept in small pages so that adding one copies a page and
 * the list of pages, not the whole list: a room adds to its list of own message ids once per
 * user message, and copying 256 entries each time was a tenth of W3's allocations
 * (docs/BENCHMARKS.md); so does its list of applied event ids, once per event. Plain JSON (arrays of arrays), so it snapshots as it is.
 *
 * A flat array (what snapshots held before pages) reads as one page.
 */
export type Recent<T> = T[][];

/** Items per page. */
export const PAGE_SIZE = 32;

function pagesOf<T>(list: Recent<T> | T[] | undefined): Recent<T> {
  if (!list?.length) return [];
  return Array.isArray(list[0]) ? list as Recent<T> : [list as T[]];
}

/** The list with `item` added last, keeping the newest `keep` items. */
export function addRecent<T>(list: Recent<T> | T[] | undefined, item: T, keep: number): Recent<T> {
  const pages = pagesOf(list);
  const last = pages.at(-1);
  const next = last && last.length < PAGE_SIZE ? [...pages.slice(0, -1), [...last, item]] : [...pages, [item]];
  let over = -keep;
  for (const page of next) over += page.length;
  // over the bound: the oldest pages lose their oldest items
  while (over > 0) {
    const oldest = next[0]!;
    if (oldest.length <= over) {
      next.shift();
      over -= oldest.length;
    } else {
      next[0] = oldest.slice(over);
      over = 0;
    }
  }
  return next;
}

/** A list of the newest `keep` of `items` (oldest first), in pages. */
export function recentOf<T>(items: T[], keep: number): Recent<T> {
  const kept = items.slice(-keep);
  const pages: Recent<T> = [];
  for (let i = 0; i < kept.length; i += PAGE_SIZE) pages.push(kept.slice(i, i + PAGE_SIZE));
  return pages;
}

/** The newest item that `match` accepts. */
export function findRecent<T>(list: Recent<T> | T[] | undefined, match: (item: T) => boolean): T | undefined {
  const pages = pagesOf(list);
  for (let i = pages.length - 1; i >= 0; i--) {
    const found = pages[i]!.findLast(match);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Whether `item` is in the list (by `===`), newest pages first: no closure per call. */
export function hasRecent<T>(list: Recent<T> | T[] | undefined, item: T): boolean {
  const pages = pagesOf(list);
  for (let i = pages.length - 1; i >= 0; i--) if (pages[i]!.includes(item)) return true;
  return false;
}

/** The newest item. */
export function newestRecent<T>(list: Recent<T> | T[] | undefined): T | undefined {
  return pagesOf(list).at(-1)?.at(-1);
}

/** The items, oldest first. */
export function recentItems<T>(list: Recent<T> | T[] | undefined): T[] {
  // concat, not flat(): V8 11.3's flat() took ≈ 32 µs for 8 pages of 32, concat ≈ 0.3 µs
  return ([] as T[]).concat(...pagesOf(list));
}
