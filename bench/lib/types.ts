import type { Spread } from './stats.ts';

/** One line of the results table. */
export interface Row {
  /** 'ceiling', 'W1', 'W2', ... */
  workload: string;
  variant: string;
  metric: string;
  unit: string;
  spread: Spread;
  /** What the issue asks, when it asks something of this figure. */
  target?: { op: '<=' | '>='; value: number };
  /** The same figure as a fraction of the ceiling, filled by the runner. */
  ceilingRatio?: number;
  /** For a time: how many stanzas it delivered (the ceiling would take stanzas / rate). */
  stanzas?: number;
  /** Peer figure to compare with (FACTS.md). */
  peer?: string;
  /** Correctness per run: 'ok' or what went wrong. */
  checks?: string[];
  /** Where roomgate ran: child process or in the bench process. */
  mode?: string;
}

export interface WorkloadResult {
  rows: Row[];
  /** Raw per-run data (CPU per process, timings), kept in the JSON. */
  details: Record<string, unknown>;
}
