const NONE: readonly never[] = [];

/**
 * How the demo network forgets: once a list is a tenth over `max`, its oldest entries go, down
 * to `max` (a splice per entry would shift all the others each time). Returns those dropped.
 */
export function keepNewest<T>(list: T[], max: number): readonly T[] {
  return list.length > max + max / 10 ? list.splice(0, list.length - max) : NONE;
}
