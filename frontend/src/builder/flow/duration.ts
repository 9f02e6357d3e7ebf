/** ISO 8601 durations as a number and a unit (P3D ↔ 3 days), the way the designer's inputs build them. */
export const DURATION_UNITS = ['M', 'H', 'D', 'W'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];

export interface SimpleDuration {
  amount: number;
  unit: DurationUnit;
}

const SIMPLE = /^P(?:(\d+)W|(\d+)D|T(\d+)H|T(\d+)M)$/;

/** A duration of one unit (PT15M, PT2H, P3D, P1W); null for anything else (P1DT2H), which stays as text. */
export function parseSimpleDuration(text: string | undefined): SimpleDuration | null {
  const match = SIMPLE.exec(text ?? '');
  if (!match) return null;
  const [, weeks, days, hours, minutes] = match;
  if (weeks) return { amount: Number(weeks), unit: 'W' };
  if (days) return { amount: Number(days), unit: 'D' };
  if (hours) return { amount: Number(hours), unit: 'H' };
  return { amount: Number(minutes), unit: 'M' };
}

export function formatDuration({ amount, unit }: SimpleDuration): string {
  const n = Math.max(0, Math.round(amount));
  return unit === 'H' || unit === 'M' ? `PT${n}${unit}` : `P${n}${unit}`;
}
