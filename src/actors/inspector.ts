/**
 * A live view of a worker's actors (rooms and sessions), fed by XState's inspection events.
 * It keeps each actor's latest state and a short log of what happened, and tells subscribers
 * (the inspector page's event stream) as it happens. Off unless `inspect.port` is configured:
 * inspection costs a callback per transition.
 */
import type { InspectionEvent } from 'xstate';

export interface InspectedActor {
  kind: 'room' | 'session';
  /** `room:<user>:<legacyId>` or `session:<user>`. */
  key: string;
  user: string;
  /** The room's JID, or the user's for a session. */
  label: string;
  /** The state, dotted (`joined.idle`), or `hibernated` once it left memory. */
  state: string;
  status: string;
  summary: Record<string, unknown>;
  updatedAt: string;
}

export interface InspectorRecord { at: string; key: string; event: string; state: string }

export type InspectorListener = (change: { actor: InspectedActor; record: InspectorRecord }) => void;

/** How many records the log keeps. */
export const INSPECTOR_LOG_SIZE = 500;

export class Inspector {
  private readonly actors = new Map<string, InspectedActor>();
  private readonly contexts = new Map<string, unknown>();
  private readonly log: InspectorRecord[] = [];
  private readonly listeners = new Set<InspectorListener>();

  /** The `inspect` callback for one root actor (pass it to `createActor`). */
  observe(kind: 'room' | 'session', key: string, user: string, label: string): (ev: InspectionEvent) => void {
    return (ev) => {
      // the root actor's own snapshots; invoked hooks (fill, sendText ...) show as its states
      if (ev.type !== '@xstate.snapshot' || ev.actorRef.sessionId !== ev.rootId) return;
      const snapshot = ev.snapshot as { value?: unknown; status?: string; context?: Record<string, unknown> };
      this.update(kind, key, user, label, stateName(snapshot.value), snapshot.status ?? 'active', snapshot.context ?? {}, ev.event.type);
    };
  }

  /** The actor left memory (hibernated, or its partition moved away). */
  left(key: string, why: 'hibernated' | 'moved' | 'ended'): void {
    const actor = this.actors.get(key);
    if (!actor) return;
    this.update(actor.kind, key, actor.user, actor.label, why, actor.status, this.contexts.get(key) as Record<string, unknown> ?? {}, `runtime.${why}`);
    // out of memory means out of the inspector's memory too: a hibernated room keeps its line
    // (and summary), not its context; an ended one goes
    this.contexts.delete(key);
    if (why === 'ended') this.actors.delete(key);
  }

  list(): InspectedActor[] {
    return [...this.actors.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  context(key: string): unknown {
    return this.contexts.get(key);
  }

  recent(): InspectorRecord[] {
    return [...this.log];
  }

  subscribe(listener: InspectorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private update(kind: 'room' | 'session', key: string, user: string, label: string, state: string, status: string, context: Record<string, unknown>, event: string): void {
    const at = new Date().toISOString();
    const actor: InspectedActor = { kind, key, user, label, state, status, summary: summarize(kind, context), updatedAt: at };
    this.actors.set(key, actor);
    this.contexts.set(key, context);
    const record = { at, key, event, state };
    this.log.push(record);
    if (this.log.length > INSPECTOR_LOG_SIZE) this.log.shift();
    for (const listener of this.listeners) listener({ actor, record });
  }
}

/** `{ joined: 'idle' }` → `joined.idle`. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [k, v] = Object.entries(value)[0] ?? [];
    return k === undefined ? '' : `${k}.${stateName(v)}`.replace(/\.$/, '');
  }
  return String(value);
}

function summarize(kind: 'room' | 'session', c: Record<string, unknown>): Record<string, unknown> {
  if (kind === 'session') return { error: c.error ?? null, reconnects: c.reconnects ?? 0 };
  const info = c.info as { name?: string; subject?: string } | null;
  return {
    name: info?.name ?? null,
    subject: info?.subject ?? null,
    participants: Array.isArray(c.participants) ? c.participants.length : 0,
    resources: c.resources ?? [],
  };
}
