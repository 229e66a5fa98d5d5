// A tiny observable value for services that React components subscribe to (useSyncExternalStore).
import { useSyncExternalStore } from 'react';

export class Observable<T> {
  private listeners = new Set<() => void>();
  constructor(private value: T) {}
  get = (): T => this.value;
  set(next: T): void {
    this.value = next;
    for (const l of [...this.listeners]) l();
  }
  update(fn: (v: T) => T): void {
    this.set(fn(this.value));
  }
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
}

export function useObservable<T>(o: Observable<T>): T {
  return useSyncExternalStore(o.subscribe, o.get, o.get);
}
