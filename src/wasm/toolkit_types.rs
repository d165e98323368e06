//! TypeScript declarations of the toolkit API (`on`, `decide`, `upcast`, CloudEvents,
//! `revert`), written by hand like `types.rs`. They extend `EventLog` and `LogEvent` by
//! declaration merging (an interface merges into the class of the same name), so the
//! toolkit's surface stays in one place next to its bindings.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = r#"
export interface LogEvent<D = Json> {
  /** On a compensation appended by `revert`: the id of the event it reverts. */
  reverts?: string;
  /** On an event that compensations revert: their ids, in the total order. */
  revertedBy?: string[];
}

/** A draft whose stream may be left out (it defaults to the decided / reverted event's). */
export type StreamDraft<D = Json> = Omit<NewEvent<D>, "stream"> & { stream?: string };

/** What an upcaster sees: an event's type and data at one schema version. */
export interface UpcastShape {
  type: string;
  data: Json;
}

/** Turns version `v` of an event into version `v + 1`; may rename the type. */
export type Upcaster = (shape: UpcastShape) => { type?: string; data: Json };

/** Passed to `onError` when a handler failed (threw or its promise rejected). */
export interface HandlerFailure<D = Json> {
  /** The handler's name. */
  name: string;
  /** The event it failed on; undefined when the registration itself failed (storage, or
   * the name was stored with other types: a `TypeError`). */
  event?: LogEvent<D>;
  /** Failures on this event so far. */
  attempts: number;
  /** When the event is tried again (ms since the epoch). */
  retryAt: number;
}

export interface OnOptions<D = Json> {
  /** Names the handler's durable progress (per device). Reusing a name with other types is refused. */
  name: string;
  /** Called on every failure; without it the error goes to `reportError` (window "error" event). */
  onError?: (error: unknown, failure: HandlerFailure<D>) => void;
  /** Backoff of retries: `baseMs · 2^(attempts-1)`, capped at `maxMs` (default 1 s, 5 min). */
  retry?: { baseMs?: number; maxMs?: number };
}

/** A named handler registered with `log.on`. */
export class Consumer {
  private constructor();
  readonly name: string;
  /** True while this tab runs the handler (it holds the handler's Web Lock). */
  readonly active: boolean;
  /** Stops the handler in this tab; a tab waiting with the same name takes over. */
  stop(): void;
  /** Resolves once every event that can run now has run and its progress is stored
   * (events waiting for a retry excepted); at once when this tab is not active. */
  idle(): Promise<void>;
  free(): void;
}

/** The functional core of an aggregate, for `log.decide`. */
export interface Decider<S, C, D = Json> {
  /** The state before the stream's first event (copied with `structuredClone` per attempt). */
  initial: S;
  evolve: (state: S, event: LogEvent<D>) => S;
  /** The events `command` produces in `state`; throw to refuse the command. */
  decide: (command: C, state: S) => StreamDraft<D> | StreamDraft<D>[] | Promise<StreamDraft<D> | StreamDraft<D>[]>;
}

export interface DecideOptions {
  /** Retries after a `ConcurrencyError` before it is rethrown (default 2). */
  maxRetries?: number;
}

/** What `importCloudEvents` merged. */
export interface ImportResult {
  /** Events new to this log, now stored. */
  applied: number;
  /** Events it already had. */
  duplicates: number;
  /** Events waiting for their causal dependencies. */
  pending: number;
}

export interface EventLog {
  /** Runs `handler` once per event (of `types`; `[]`: every type) per device, in causal
   * order, including events from other tabs and sync; retried with backoff on failure. */
  on<D = Json>(types: string | string[], handler: (event: LogEvent<D>) => unknown, options: OnOptions<D>): Consumer;
  /** Folds `stream` with `evolve`, appends what `decide(command, state)` returns with an
   * expected version, retrying on `ConcurrencyError`; resolves with the appended events. */
  decide<S, C, D = Json>(stream: string, decider: Decider<S, C, D>, command: C, options?: DecideOptions): Promise<LogEvent<D>[]>;
  /** Registers an upcaster from schema version `fromVersion` (meta `schema`, default 1) of `type`.
   * Register upcasters right after `open`, before projections and handlers. */
  upcast(type: string, fromVersion: number, upcaster: Upcaster): void;
  /** The selected events as CloudEvents 1.0 JSON Lines (one event per line). */
  exportCloudEvents(filter?: Filter): string;
  /** Merges CloudEvents JSON Lines like a sync (`DecodeError` / `InvalidEventError` on bad input, log unchanged). */
  importCloudEvents(text: string): Promise<ImportResult>;
  /** Appends `compensate` linked to `eventId` (meta `reverts`); its stream defaults to the original's. */
  revert<D = Json>(eventId: string, compensate: StreamDraft<D>): Promise<LogEvent<D>>;
}
"#;
